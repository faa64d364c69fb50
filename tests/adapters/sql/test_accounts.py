"""Accounts and identities on every configured database."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from adapters.sql.tables import accounts, identities
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Account
from tests.adapters.sql.builders import T0, at


async def _ensure(uows: SqlUnitOfWorkFactory, user_id: str) -> tuple[Account, bool]:
    async with uows() as uow:
        found = await uow.accounts.ensure("discord", "G1", user_id, "Grace", T0)
        await uow.commit()
    return found


async def test_racing_first_commands_from_one_identity_create_one_account(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    results = await asyncio.gather(*(_ensure(uow_factory, "42") for _ in range(20)))

    assert len({account.id for account, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    async with uow_factory.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(accounts)) == 1
        assert await connection.scalar(select(func.count()).select_from(identities)) == 1


async def test_an_identity_keeps_its_account_and_another_identity_gets_its_own(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    first, created = await _ensure(uow_factory, "42")
    async with uow_factory() as uow:
        again, created_again = await uow.accounts.ensure("discord", "G1", "42", "Grace H", at(9))
        other_guild, created_other = await uow.accounts.ensure(
            "discord", "G2", "42", "Grace", at(9)
        )
        await uow.commit()

    assert (created, created_again, created_other) == (True, False, True)
    assert again == first
    assert other_guild.id != first.id
    assert first == Account(first.id, "Grace", 0, T0)


async def test_an_account_is_read_back_by_id_and_an_unknown_id_is_none(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account, _ = await _ensure(uow_factory, "7")

    async with uow_factory() as uow:
        assert await uow.accounts.get(account.id) == account
        assert await uow.accounts.get("no-such-account") is None


async def test_find_returns_the_account_of_a_known_identity_only(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account, _ = await _ensure(uow_factory, "42")

    async with uow_factory(readonly=True) as uow:
        found = await uow.accounts.find("discord", "G1", "42")
        other_guild = await uow.accounts.find("discord", "G2", "42")
        other_platform = await uow.accounts.find("slack", "G1", "42")

    assert found == account
    assert (other_guild, other_platform) == (None, None)


async def test_finding_an_unknown_identity_creates_nothing(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.accounts.find("console", "local", "ghost") is None
        await uow.commit()

    async with uow_factory.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(accounts)) == 0
        assert await connection.scalar(select(func.count()).select_from(identities)) == 0
