"""Accounts, identities and personal wallets on every configured database."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from adapters.sql.tables import accounts, identities, wallets
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.identity import Identity
from core.model import Account, Movement, Wallet, WalletKind
from tests.adapters.sql.builders import T0, at

GRACE = Identity("discord", "global", "42")


async def _ensure(uows: SqlUnitOfWorkFactory, identity: Identity = GRACE) -> tuple[Account, bool]:
    async with uows() as uow:
        found = await uow.accounts.ensure(identity, "Grace", T0)
        await uow.commit()
    return found


async def _count(uows: SqlUnitOfWorkFactory) -> tuple[int, int, int]:
    async with uows.engine.connect() as connection:
        return (
            await connection.scalar(select(func.count()).select_from(accounts)) or 0,
            await connection.scalar(select(func.count()).select_from(identities)) or 0,
            await connection.scalar(select(func.count()).select_from(wallets)) or 0,
        )


async def test_racing_first_commands_from_one_identity_create_one_account_and_one_wallet(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    results = await asyncio.gather(*(_ensure(uow_factory) for _ in range(20)))

    assert len({account.id for account, _ in results}) == 1
    assert len({account.wallet_id for account, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    assert await _count(uow_factory) == (1, 1, 1)


async def test_an_identity_keeps_its_account_and_other_identities_get_their_own(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    first, created = await _ensure(uow_factory)
    async with uow_factory() as uow:
        again, created_again = await uow.accounts.ensure(GRACE, "Grace H", at(9))
        other_namespace, created_in_namespace = await uow.accounts.ensure(
            Identity("discord", "G2", "42"), "Grace", at(9)
        )
        other_platform, created_on_platform = await uow.accounts.ensure(
            Identity("slack", "global", "42"), "Grace", at(9)
        )
        await uow.commit()

    assert (created, created_again, created_in_namespace, created_on_platform) == (
        True,
        False,
        True,
        True,
    )
    assert again == first
    assert len({first.id, other_namespace.id, other_platform.id}) == 3
    assert first == Account(first.id, "Grace", 0, T0, f"wal_{first.id}")


async def test_every_new_account_comes_with_its_own_empty_personal_wallet(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    grace, _ = await _ensure(uow_factory)
    ada, _ = await _ensure(uow_factory, Identity("console", "local", "ada"))

    async with uow_factory(readonly=True) as uow:
        wallet = await uow.wallets.get(grace.wallet_id)

    assert wallet == Wallet(
        id=f"wal_{grace.id}",
        kind=WalletKind.PERSONAL,
        balance=0,
        created_at=T0,
        account_id=grace.id,
    )
    assert ada.wallet_id == f"wal_{ada.id}" != grace.wallet_id


async def test_an_accounts_balance_is_its_personal_wallets_balance(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account, _ = await _ensure(uow_factory)
    async with uow_factory() as uow:
        team = await uow.wallets.team("discord", "G1", T0)
        await uow.ledger.post(account.wallet_id, Movement.GRANT, 12, "grant:1", T0)
        await uow.ledger.post(account.wallet_id, Movement.RESERVE, -5, "reserve:1", at(1))
        await uow.ledger.post(team.id, Movement.PURCHASE, 500, "purchase:team", at(2))
        await uow.commit()

    async with uow_factory(readonly=True) as uow:
        by_id = await uow.accounts.get(account.id)
        by_identity = await uow.accounts.find(GRACE)

    assert by_id is not None
    assert by_id.balance == 7
    assert by_identity == by_id


async def test_an_account_is_read_back_by_id_and_an_unknown_id_is_none(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account, _ = await _ensure(uow_factory)

    async with uow_factory() as uow:
        assert await uow.accounts.get(account.id) == account
        assert await uow.accounts.get("no-such-account") is None


async def test_find_returns_the_account_of_a_known_identity_only(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account, _ = await _ensure(uow_factory)

    async with uow_factory(readonly=True) as uow:
        found = await uow.accounts.find(GRACE)
        other_namespace = await uow.accounts.find(Identity("discord", "G2", "42"))
        other_platform = await uow.accounts.find(Identity("slack", "global", "42"))
        other_user = await uow.accounts.find(Identity("discord", "global", "43"))

    assert found == account
    assert (other_namespace, other_platform, other_user) == (None, None, None)


async def test_finding_an_unknown_identity_creates_nothing(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.accounts.find(Identity("console", "local", "ghost")) is None
        await uow.commit()

    assert await _count(uow_factory) == (0, 0, 0)
