"""The credits ledger: accounts open with a free grant, jobs reserve, capture or release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import messages
from core.errors import InsufficientCredits
from core.identity import IdentityHasher, Requester
from core.model import Account, Job, LedgerEntry, Movement, PostResult
from core.ports import Clock, UnitOfWork


def settle_key(job_id: str) -> str:
    """One key for capture and release alike: a job is settled at most once."""
    return f"job:{job_id}:settle"


#: Tenants that are nobody's team: the terminal, and Discord's direct messages.
NO_TEAM = ("local", "dm")


@dataclass(frozen=True, slots=True)
class Spending:
    """Which wallet a person's next job holds its cost on, and the cap that applies."""

    wallet_id: str
    cap: int | None = None


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


#: The free grant's keys: a keyed hash of the identity, so the grant is given once per
#: identity, even to one that erased its account and came back, without keeping who.
WELCOME_PREFIX = "grant:welcome:h:"


def welcome_key(identity_digest: str) -> str:
    return f"{WELCOME_PREFIX}{identity_digest}"


class Credits:
    """Ledger rules over wallets; every movement carries an idempotency key, so retries
    are harmless."""

    def __init__(
        self, clock: Clock, free_grant: int, hasher: IdentityHasher, policy_version: str = ""
    ) -> None:
        self._clock = clock
        self._free_grant = free_grant
        self._hasher = hasher
        self._policy_version = policy_version

    async def open_account(self, uow: UnitOfWork, requester: Requester) -> Account:
        """The requester's account; a new identity gets the free grant exactly once (a
        new account starts having been shown the current privacy policy)."""
        now = self._clock()
        account, created = await uow.accounts.ensure(
            requester.identity,
            requester.display_name or requester.user_id,
            now,
            policy_version=self._policy_version,
        )
        if created and self._free_grant > 0:
            await uow.ledger.post(
                account.wallet_id,
                Movement.GRANT,
                self._free_grant,
                welcome_key(self._hasher.digest(requester.identity)),
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

    async def spending(
        self, uow: UnitOfWork, account: Account, platform: str, tenant: str
    ) -> Spending:
        """The person's own wallet, or their team's when they chose it and members may."""
        if tenant in NO_TEAM or await uow.wallets.source(account.id, platform, tenant) != "team":
            return Spending(account.wallet_id)
        team = await uow.wallets.find_team(platform, tenant)
        rules = await uow.wallets.rules(team.id) if team else None
        if team is None or rules is None or not rules.sharing:
            return Spending(account.wallet_id)
        return Spending(team.id, rules.member_cap)

    async def reserve(
        self,
        uow: UnitOfWork,
        wallet_id: str,
        job_id: str,
        cost: int,
        account_id: str,
        *,
        cap: int | None = None,
    ) -> None:
        """Hold ``cost`` for a job; raises ``InsufficientCredits`` and changes nothing. A
        free job holds nothing (and its settling posts nothing)."""
        if cost == 0:
            return
        if cap is not None:  # a team's wallet, with a monthly cap per member
            used = await uow.wallets.spent(wallet_id, account_id, month_start(self._clock()))
            if used + cost > cap:
                raise InsufficientCredits(
                    messages.OVER_TEAM_CAP.format(cap=cap, used=used, cost=cost)
                )
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
            if await uow.payments.frozen(wallet_id):
                raise InsufficientCredits(messages.WALLET_FROZEN)
            balance = await uow.ledger.balance(wallet_id)
            if balance < 0:
                raise InsufficientCredits(messages.IN_DEBT.format(balance=balance))
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
        if job.cost == 0:
            return True
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
