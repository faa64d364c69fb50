"""Operator tools behind ``aioe credits``: find an account by identity or id, grant, show."""

from __future__ import annotations

import sys
import uuid

from bot.bootstrap import App, bootstrap
from bot.settings import Settings
from core.identity import Requester
from core.model import Account, Movement, PostResult


class UnknownAccount(SystemExit):
    def __init__(self, user: str) -> None:
        super().__init__(f"no account {user!r}; give platform:tenant:user_id or an account id")


async def find_account(app: App, user: str) -> Account:
    """``platform:tenant:user_id`` opens the account if needed; a bare id must exist."""
    if user.count(":") >= 2:
        try:
            requester = Requester.parse(user)
        except ValueError:
            raise UnknownAccount(user) from None
        return await app.bot.open_account(requester)
    async with app.uow_factory() as uow:
        account = await uow.accounts.get(user)
    if account is None:
        raise UnknownAccount(user)
    return account


async def grant(settings: Settings, user: str, amount: int, reason: str) -> None:
    async with bootstrap(settings) as app:
        account = await find_account(app, user)
        kind = Movement.GRANT if amount >= 0 else Movement.ADJUST
        async with app.uow_factory() as uow:
            result = await app.credits.grant(
                uow, account.id, amount, f"operator:{uuid.uuid4()}", reason, kind
            )
            balance = await uow.ledger.balance(account.id)
            await uow.commit()
        if result is PostResult.INSUFFICIENT:
            raise SystemExit(f"{account.id} has {balance} credits; cannot take {-amount}")
        sys.stdout.write(f"{account.id}: {amount:+d} ({reason}); balance {balance}\n")


async def show(settings: Settings, user: str) -> None:
    async with bootstrap(settings) as app:
        account = await find_account(app, user)
        reply = await app.bot.show_credits(account)
        sys.stdout.write(f"account {account.id} ({account.display_name})\n{reply.text}\n")
