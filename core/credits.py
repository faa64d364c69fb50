"""The credits ledger: accounts open with a free grant, jobs reserve, capture or release."""

from __future__ import annotations

from core import messages
from core.errors import InsufficientCredits
from core.identity import Requester
from core.model import Account, Job, LedgerEntry, Movement, PostResult
from core.ports import Clock, UnitOfWork


def settle_key(job_id: str) -> str:
    """One key for capture and release alike: a job is settled at most once."""
    return f"job:{job_id}:settle"


def welcome_key(requester: Requester) -> str:
    """The free grant's key names the identity, so it is given once per identity."""
    return f"grant:welcome:{requester.key}"


class Credits:
    """Ledger rules over wallets; every movement carries an idempotency key, so retries
    are harmless."""

    def __init__(self, clock: Clock, free_grant: int) -> None:
        self._clock = clock
        self._free_grant = free_grant

    async def open_account(self, uow: UnitOfWork, requester: Requester) -> Account:
        """The requester's account; a new identity gets the free grant exactly once."""
        now = self._clock()
        account, created = await uow.accounts.ensure(
            requester.identity, requester.display_name or requester.user_id, now
        )
        if created and self._free_grant > 0:
            await uow.ledger.post(
                account.wallet_id,
                Movement.GRANT,
                self._free_grant,
                welcome_key(requester),
                now,
                account_id=account.id,
                reason=messages.LEDGER_WELCOME,
            )
            refreshed = await uow.accounts.get(account.id)
            account = refreshed or account
        return account

    async def adjust(
        self, uow: UnitOfWork, wallet_id: str, amount: int, key: str, reason: str
    ) -> PostResult:
        """An operator's movement: a grant when positive, an adjustment when negative."""
        kind = Movement.GRANT if amount > 0 else Movement.ADJUST
        return await uow.ledger.post(wallet_id, kind, amount, key, self._clock(), reason=reason)

    async def reserve(
        self, uow: UnitOfWork, wallet_id: str, job_id: str, cost: int, account_id: str
    ) -> None:
        """Hold ``cost`` for a job; raises ``InsufficientCredits`` and changes nothing."""
        result = await uow.ledger.post(
            wallet_id,
            Movement.RESERVE,
            -cost,
            f"job:{job_id}:reserve",
            self._clock(),
            account_id=account_id,
            job_id=job_id,
            reason=messages.LEDGER_HELD,
        )
        if result is PostResult.INSUFFICIENT:
            balance = await uow.ledger.balance(wallet_id)
            raise InsufficientCredits(
                messages.INSUFFICIENT_CREDITS.format(cost=cost, balance=balance)
            )

    async def capture(self, uow: UnitOfWork, job: Job) -> bool:
        """Make a job's hold final; ``False`` if the job was already settled."""
        return await self._settle(
            uow, job, Movement.CAPTURE, 0, messages.LEDGER_SPENT.format(cost=job.cost)
        )

    async def release(self, uow: UnitOfWork, job: Job, reason: str) -> bool:
        """Return a job's hold; ``False`` if the job was already settled."""
        return await self._settle(uow, job, Movement.RELEASE, job.cost, reason)

    async def _settle(
        self, uow: UnitOfWork, job: Job, kind: Movement, amount: int, reason: str
    ) -> bool:
        result = await uow.ledger.post(
            job.wallet_id,
            kind,
            amount,
            settle_key(job.id),
            self._clock(),
            account_id=job.account_id,
            job_id=job.id,
            reason=reason,
        )
        return result is PostResult.POSTED

    async def statement(
        self, uow: UnitOfWork, wallet_id: str, limit: int = 10
    ) -> tuple[int, list[LedgerEntry]]:
        return await uow.ledger.balance(wallet_id), await uow.ledger.recent(wallet_id, limit)
