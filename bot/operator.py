"""Operator tools behind ``aioe credits``: find an account by identity or id, grant, show."""

from __future__ import annotations

import sys
import uuid

from adapters.console.render import body
from bot.bootstrap import App, bootstrap
from bot.settings import Settings
from core.identity import Identity, Requester
from core.model import Account, PostResult

NOTHING_TO_GRANT = "Nothing to grant: give a number of credits other than 0."


class UnknownAccount(SystemExit):
    """The operator named an identity or account id that has no account."""

    def __init__(self, user: str) -> None:
        super().__init__(f"no account {user!r}; give platform:namespace:user_id or an account id")


def _identity(user: str) -> Identity | None:
    """``platform:namespace:user_id`` as an identity; ``None`` for anything else (an id)."""
    if user.count(":") < 2:
        return None
    try:
        return Identity.parse(user)
    except ValueError:
        raise UnknownAccount(user) from None


async def look_up_account(app: App, user: str) -> Account:
    """The existing account of an identity or an account id; never creates one."""
    identity = _identity(user)
    async with app.uow_factory(readonly=True) as uow:
        if identity is None:
            account = await uow.accounts.get(user)
        else:
            account = await uow.accounts.find(identity)
    if account is None:
        raise UnknownAccount(user)
    return account


async def open_account(app: App, user: str) -> Account:
    """An identity's account, opened (with the welcome grant) if new, so operators may
    pre-load credits for someone who has not written yet; a bare id must exist."""
    identity = _identity(user)
    if identity is None:
        return await look_up_account(app, user)
    requester = Requester(
        identity.platform, identity.namespace, identity.user_id, namespace=identity.namespace
    )
    return await app.bot.open_account(requester)


async def grant(settings: Settings, user: str, amount: int, reason: str) -> None:
    """Add ``amount`` credits (take them away when negative) and print the new balance."""
    if amount == 0:
        raise SystemExit(NOTHING_TO_GRANT)
    async with bootstrap(settings) as app:
        account = await open_account(app, user)
        async with app.uow_factory() as uow:
            result = await app.credits.adjust(
                uow, account.wallet_id, amount, f"operator:{uuid.uuid4()}", reason
            )
            balance = await uow.ledger.balance(account.wallet_id)
            await uow.commit()
        if result is PostResult.INSUFFICIENT:
            raise SystemExit(f"{account.id} has {balance} credits; cannot take {-amount}")
        sys.stdout.write(f"{account.id}: {amount:+d} ({reason}); balance {balance}\n")


async def show(settings: Settings, user: str) -> None:
    """Print an existing account's balance and last movements."""
    async with bootstrap(settings) as app:
        account = await look_up_account(app, user)
        statement = await app.bot.statement(account)
        sys.stdout.write(f"account {account.id} ({account.display_name})\n{body(statement)}\n")
