"""The unit of work: one transaction that is kept only when committed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, StatementError

from adapters.sql.tables import accounts
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Account, Movement, PostResult
from tests.adapters.sql.builders import T0, console, new_account


async def test_leaving_without_commit_rolls_everything_back(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        account, _ = await uow.accounts.ensure(console("ada"), "Ada", T0)
        await uow.ledger.post(account.wallet_id, Movement.GRANT, 25, "grant:ada", T0)

    async with uow_factory() as uow:
        assert await uow.accounts.get(account.id) is None
        assert await uow.wallets.get(account.wallet_id) is None
        again, created = await uow.accounts.ensure(console("ada"), "Ada", T0)
        grant = await uow.ledger.post(again.wallet_id, Movement.GRANT, 25, "grant:ada", T0)
    assert created
    assert grant is PostResult.POSTED


async def test_an_error_inside_the_unit_rolls_back_and_propagates(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=5)).wallet_id

    with pytest.raises(RuntimeError, match="provider down"):
        async with uow_factory() as uow:
            await uow.ledger.post(wallet_id, Movement.RESERVE, -5, "reserve:1", T0)
            raise RuntimeError("provider down")

    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 5


async def test_work_after_a_commit_needs_its_own_commit(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=5)).wallet_id

    async with uow_factory() as uow:
        await uow.ledger.post(wallet_id, Movement.RESERVE, -2, "reserve:1", T0)
        await uow.commit()
        await uow.ledger.post(wallet_id, Movement.RESERVE, -2, "reserve:2", T0)

    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 3
        assert [e.idempotency_key for e in await uow.ledger.recent(wallet_id, 5)] == [
            "reserve:1",
            "grant:ada",
        ]


async def test_times_read_back_are_aware_utc_and_naive_times_are_refused(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = (await new_account(uow_factory)).id

    async with uow_factory.engine.connect() as connection:
        stored = await connection.scalar(
            select(accounts.c.created_at).where(accounts.c.id == account_id)
        )
    assert stored == T0
    assert stored.utcoffset() == timedelta(0)

    with pytest.raises(StatementError, match="naive datetime"):
        async with uow_factory() as uow:
            await uow.accounts.ensure(console("bob"), "Bob", datetime(2025, 1, 1))


async def test_a_readonly_unit_reads_at_once_while_a_writer_holds_its_transaction_open(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ada = await new_account(uow_factory, "ada", credits=5)

    async def read_balance() -> tuple[int, Account | None]:
        async with uow_factory(readonly=True) as reader:
            balance = await reader.ledger.balance(ada.wallet_id)
            found = await reader.accounts.get(ada.id)
            await reader.commit()
        return balance, found

    async with uow_factory() as writer:
        await writer.ledger.post(ada.wallet_id, Movement.GRANT, 7, "grant:more", T0)
        # Far shorter than SQLite's busy timeout: a reader queueing for the lock fails.
        balance, found = await asyncio.wait_for(read_balance(), timeout=2)
        await writer.commit()

    assert balance == 5
    assert found is not None
    assert (found.display_name, found.balance) == ("Ada", 5)


async def test_a_readonly_unit_refuses_to_write_and_changes_nothing(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=5)).wallet_id

    with pytest.raises(DBAPIError):
        async with uow_factory(readonly=True) as uow:
            await uow.ledger.post(wallet_id, Movement.GRANT, 100, "grant:sneaky", T0)
    with pytest.raises(DBAPIError):
        async with uow_factory(readonly=True) as uow:
            await uow.ledger.balance(wallet_id)
            await uow.commit()
            await uow.accounts.ensure(console("bob"), "Bob", T0)
    with pytest.raises(DBAPIError):
        async with uow_factory(readonly=True) as uow:
            await uow.wallets.team("slack", "T1", T0)

    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 5
        account, created = await uow.accounts.ensure(console("bob"), "Bob", T0)
        await uow.commit()
    assert created
    async with uow_factory(readonly=True) as uow:
        assert await uow.accounts.get(account.id) == account


async def test_connections_a_readonly_unit_used_write_again_in_writing_units(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    for n in range(3):
        async with uow_factory(readonly=True) as uow:
            assert await uow.accounts.get("nobody") is None
        await new_account(uow_factory, f"user{n}", credits=n + 1)

    async with uow_factory(readonly=True) as uow:
        assert uow.readonly
        for n in range(3):
            found = await uow.accounts.find(console(f"user{n}"))
            assert found is not None
            assert found.balance == n + 1
