"""The credit ledger on every configured database."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sql.tables import accounts, ledger
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Movement, PostResult
from tests.adapters.sql.builders import T0, at, new_account


async def _ledger_sum(uows: SqlUnitOfWorkFactory, account_id: str) -> int:
    async with uows.engine.connect() as connection:
        total = await connection.scalar(
            select(func.coalesce(func.sum(ledger.c.amount), 0)).where(
                ledger.c.account_id == account_id
            )
        )
    return int(total or 0)


async def _reserve(uows: SqlUnitOfWorkFactory, account_id: str, key: str) -> PostResult:
    async with uows() as uow:
        result = await uow.ledger.post(account_id, Movement.RESERVE, -1, key, T0, job_id=key)
        await uow.commit()
    return result


async def test_two_hundred_racing_reservations_against_ten_credits_post_exactly_ten(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = await new_account(uow_factory, credits=10)

    results = await asyncio.gather(
        *(_reserve(uow_factory, account_id, f"reserve:{n}") for n in range(200))
    )

    assert Counter(results) == {PostResult.POSTED: 10, PostResult.INSUFFICIENT: 190}
    async with uow_factory() as uow:
        assert await uow.ledger.balance(account_id) == 0
    assert await _ledger_sum(uow_factory, account_id) == 0


async def test_a_reused_idempotency_key_is_a_duplicate_and_changes_nothing(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = await new_account(uow_factory)
    async with uow_factory() as uow:
        first = await uow.ledger.post(account_id, Movement.PURCHASE, 50, "stripe:evt_1", T0)
        await uow.commit()

    async with uow_factory() as uow:
        again = await uow.ledger.post(account_id, Movement.PURCHASE, 50, "stripe:evt_1", at(5))
        other_amount = await uow.ledger.post(account_id, Movement.ADJUST, 7, "stripe:evt_1", at(6))
        await uow.commit()

    assert (first, again, other_amount) == (
        PostResult.POSTED,
        PostResult.DUPLICATE,
        PostResult.DUPLICATE,
    )
    async with uow_factory() as uow:
        assert await uow.ledger.balance(account_id) == 50
        assert len(await uow.ledger.recent(account_id, 10)) == 1


async def test_racing_posts_with_one_key_take_effect_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = await new_account(uow_factory)

    async def grant() -> PostResult:
        async with uow_factory() as uow:
            result = await uow.ledger.post(account_id, Movement.GRANT, 5, "welcome", T0)
            await uow.commit()
        return result

    results = await asyncio.gather(*(grant() for _ in range(10)))

    assert Counter(results) == {PostResult.POSTED: 1, PostResult.DUPLICATE: 9}
    async with uow_factory() as uow:
        assert await uow.ledger.balance(account_id) == 5


async def test_the_cached_balance_equals_the_sum_of_the_ledger(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = await new_account(uow_factory, credits=3)
    movements = [
        (Movement.RESERVE, -2, "reserve:a", PostResult.POSTED),
        (Movement.RESERVE, -2, "reserve:b", PostResult.INSUFFICIENT),
        (Movement.RELEASE, 2, "release:a", PostResult.POSTED),
        (Movement.RESERVE, -3, "reserve:c", PostResult.POSTED),
        (Movement.CAPTURE, 0, "capture:c", PostResult.POSTED),
        (Movement.PURCHASE, 100, "purchase:1", PostResult.POSTED),
        (Movement.REFUND, -40, "refund:1", PostResult.POSTED),
        (Movement.ADJUST, -61, "adjust:1", PostResult.INSUFFICIENT),
    ]
    async with uow_factory() as uow:
        for n, (kind, amount, key, expected) in enumerate(movements):
            assert await uow.ledger.post(account_id, kind, amount, key, at(n)) is expected, key
        await uow.commit()

    async with uow_factory() as uow:
        balance = await uow.ledger.balance(account_id)
    assert balance == 60
    assert await _ledger_sum(uow_factory, account_id) == balance


async def test_recent_lists_movements_newest_first_with_their_details(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = await new_account(uow_factory, credits=10)
    async with uow_factory() as uow:
        await uow.ledger.post(
            account_id, Movement.RESERVE, -4, "reserve:j1", at(1), job_id="j1", reason="imagine"
        )
        await uow.ledger.post(account_id, Movement.CAPTURE, 0, "capture:j1", at(2), job_id="j1")
        await uow.commit()

    async with uow_factory() as uow:
        entries = await uow.ledger.recent(account_id, 2)

    assert [(e.kind, e.amount, e.idempotency_key) for e in entries] == [
        (Movement.CAPTURE, 0, "capture:j1"),
        (Movement.RESERVE, -4, "reserve:j1"),
    ]
    assert entries[1].job_id == "j1"
    assert entries[1].reason == "imagine"
    assert entries[1].created_at == at(1)


async def test_the_database_itself_refuses_a_negative_balance(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account_id = await new_account(uow_factory, credits=1)

    with pytest.raises(IntegrityError):
        async with uow_factory.engine.begin() as connection:
            await connection.execute(
                update(accounts).where(accounts.c.id == account_id).values(balance=-1)
            )
