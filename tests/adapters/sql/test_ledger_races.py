"""The one-statement movement's edge cases, alone and racing, on every configured database.

Racing tests hold one unit of work open and start a second that must wait for it; on
PostgreSQL they go on only once the database shows the second waiting for a lock, so the
race is the one named. SQLite queues writers before they start, so there the second simply
runs after the first.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from adapters.sql.tables import ledger
from adapters.sql.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from core.model import Movement, PostResult
from tests.adapters.sql.builders import T0, at, ledger_sum, new_account

# Work done in the transaction that holds the lock another post then waits for.
Step = Callable[[SqlUnitOfWork], Awaitable[None]]

LOCK_WAITS = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def _rows(uows: SqlUnitOfWorkFactory, key: str) -> int:
    async with uows.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(ledger).where(ledger.c.idempotency_key == key)
        )
    return int(count or 0)


async def _balance(uows: SqlUnitOfWorkFactory, wallet_id: str) -> int:
    async with uows(readonly=True) as uow:
        return await uow.ledger.balance(wallet_id)


async def _post(
    uows: SqlUnitOfWorkFactory, wallet_id: str, amount: int, key: str, **options: bool
) -> PostResult:
    kind = Movement.RESERVE if amount < 0 else Movement.GRANT
    async with uows() as uow:
        result = await uow.ledger.post(wallet_id, kind, amount, key, T0, **options)
        await uow.commit()
    return result


async def _until_one_waits(uows: SqlUnitOfWorkFactory, task: asyncio.Task[PostResult]) -> None:
    """Return once another session waits for a lock (PostgreSQL only), checking all along
    that ``task`` did not finish instead: it must be the one waiting."""
    if uows.engine.dialect.name != "postgresql":
        return
    async with uows.engine.connect() as connection:
        for _ in range(20_000):
            assert not task.done(), f"the second post did not wait: {task.result()}"
            if await connection.scalar(LOCK_WAITS):
                return
            await connection.rollback()  # the server keeps one view of activity a transaction
    raise AssertionError("the second post never waited for the first")


def _reserving(wallet_id: str, amount: int, key: str) -> Step:
    async def step(uow: SqlUnitOfWork) -> None:
        assert await uow.ledger.post(wallet_id, Movement.RESERVE, amount, key, T0) is (
            PostResult.POSTED
        )

    return step


async def _behind(
    uows: SqlUnitOfWorkFactory,
    first_step: Step,
    wallet_id: str,
    amount: int,
    key: str,
    *,
    commit: bool = True,
) -> PostResult:
    """Take ``first_step`` in a transaction, start a post that has to wait behind it, then
    commit the first (or roll it back): what the waiting post comes to."""
    async with uows() as first:
        await first_step(first)
        second = asyncio.create_task(_post(uows, wallet_id, amount, key))
        await _until_one_waits(uows, second)
        if commit:
            await first.commit()
    return await second


async def test_two_posts_of_one_key_at_once_post_once_and_move_the_balance_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=40)).wallet_id

    for n in range(10):
        grants = await asyncio.gather(*(_post(uow_factory, wallet_id, 5, f"g{n}") for _ in "ab"))
        spends = await asyncio.gather(*(_post(uow_factory, wallet_id, -3, f"s{n}") for _ in "ab"))
        assert Counter(grants) == Counter(spends) == {PostResult.POSTED: 1, PostResult.DUPLICATE: 1}

    assert await _balance(uow_factory, wallet_id) == 40 + 10 * (5 - 3)
    assert await ledger_sum(uow_factory, wallet_id) == 40 + 10 * (5 - 3)


@pytest.mark.parametrize("where", ["same wallet", "another wallet"])
async def test_a_post_waiting_for_its_key_in_flight_elsewhere_is_a_duplicate_once_that_commits(
    uow_factory: SqlUnitOfWorkFactory, where: str
) -> None:
    first_wallet = (await new_account(uow_factory, "ada", credits=10)).wallet_id
    second_wallet = (
        first_wallet
        if where == "same wallet"
        else (await new_account(uow_factory, "bo", 10)).wallet_id
    )
    result = await _behind(uow_factory, _reserving(first_wallet, -3, "k"), second_wallet, -4, "k")

    assert result is PostResult.DUPLICATE
    assert await _rows(uow_factory, "k") == 1
    assert await _balance(uow_factory, first_wallet) == 7
    if where == "another wallet":
        assert await _balance(uow_factory, second_wallet) == 10
    assert await ledger_sum(uow_factory, second_wallet) == await _balance(
        uow_factory, second_wallet
    )


async def test_a_post_waiting_for_its_key_goes_in_when_the_other_writer_rolls_back(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=10)).wallet_id
    first = _reserving(wallet_id, -3, "k")  # rolled back: the unit ends without a commit
    result = await _behind(uow_factory, first, wallet_id, -4, "k", commit=False)

    assert result is PostResult.POSTED
    assert await _balance(uow_factory, wallet_id) == 6
    assert await ledger_sum(uow_factory, wallet_id) == 6


async def test_a_spend_waiting_behind_another_is_refused_on_the_balance_it_finds_and_leaves_no_row(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=3)).wallet_id
    result = await _behind(uow_factory, _reserving(wallet_id, -2, "a"), wallet_id, -2, "b")

    assert result is PostResult.INSUFFICIENT
    assert await _rows(uow_factory, "b") == 0
    assert await _balance(uow_factory, wallet_id) == 1
    assert await ledger_sum(uow_factory, wallet_id) == 1
    assert await _post(uow_factory, wallet_id, -1, "b") is PostResult.POSTED  # key still free


async def test_a_spend_waiting_behind_a_freeze_is_refused(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=3)).wallet_id

    async def freeze(uow: SqlUnitOfWork) -> None:
        await uow.payments.set_frozen(wallet_id, True, T0)

    result = await _behind(uow_factory, freeze, wallet_id, -1, "spend")

    assert result is PostResult.INSUFFICIENT
    assert await _rows(uow_factory, "spend") == 0
    assert await _balance(uow_factory, wallet_id) == 3


async def test_an_insufficient_post_changes_nothing_and_leaves_no_row(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=3)).wallet_id
    async with uow_factory() as uow:
        refused = await uow.ledger.post(wallet_id, Movement.RESERVE, -4, "too-much", T0)
        exact = await uow.ledger.post(wallet_id, Movement.RESERVE, -3, "all-of-it", at(1))
        nothing_left = await uow.ledger.post(wallet_id, Movement.ADJUST, -1, "one-more", at(2))
        entries = await uow.ledger.recent(wallet_id, 10)
        await uow.commit()

    assert (refused, exact, nothing_left) == (
        PostResult.INSUFFICIENT,
        PostResult.POSTED,
        PostResult.INSUFFICIENT,
    )
    assert [e.idempotency_key for e in entries] == ["all-of-it", "grant:ada"]
    assert await _rows(uow_factory, "too-much") == await _rows(uow_factory, "one-more") == 0
    assert await _balance(uow_factory, wallet_id) == 0


async def test_nothing_is_spent_from_a_frozen_wallet_but_credits_still_come_in(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=10)).wallet_id
    async with uow_factory() as uow:
        await uow.payments.set_frozen(wallet_id, True, T0)
        spend = await uow.ledger.post(wallet_id, Movement.RESERVE, -1, "spend", at(1))
        income = await uow.ledger.post(wallet_id, Movement.PURCHASE, 5, "buy", at(2))
        capture = await uow.ledger.post(wallet_id, Movement.CAPTURE, 0, "capture", at(3))
        clawback = await uow.ledger.post(
            wallet_id, Movement.REFUND, -20, "claw", at(4), allow_debt=True
        )
        await uow.payments.set_frozen(wallet_id, False, at(5))
        after_thaw = await uow.ledger.post(wallet_id, Movement.ADJUST, 6, "fix", at(6))
        spend_again = await uow.ledger.post(wallet_id, Movement.RESERVE, -1, "spend", at(7))
        await uow.commit()

    assert (spend, income, capture, clawback) == (
        PostResult.INSUFFICIENT,
        PostResult.POSTED,
        PostResult.POSTED,
        PostResult.POSTED,
    )
    assert (after_thaw, spend_again) == (PostResult.POSTED, PostResult.POSTED)
    assert await _balance(uow_factory, wallet_id) == 10 + 5 - 20 + 6 - 1
    assert await _rows(uow_factory, "spend") == 1


async def test_a_clawback_takes_the_balance_below_zero_and_then_only_income_moves_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=3)).wallet_id

    assert await _post(uow_factory, wallet_id, -5, "claw", allow_debt=True) is PostResult.POSTED
    assert await _balance(uow_factory, wallet_id) == -2
    assert await _post(uow_factory, wallet_id, -1, "spend") is PostResult.INSUFFICIENT
    assert await _post(uow_factory, wallet_id, 1, "top-up") is PostResult.POSTED
    assert await _post(uow_factory, wallet_id, -4, "claw2", allow_debt=True) is PostResult.POSTED
    assert await _post(uow_factory, wallet_id, -4, "claw2", allow_debt=True) is (
        PostResult.DUPLICATE
    )

    assert await _balance(uow_factory, wallet_id) == -5
    assert await ledger_sum(uow_factory, wallet_id) == -5
    assert await _rows(uow_factory, "spend") == 0


async def test_a_movement_of_zero_is_its_row_alone_even_on_an_empty_or_frozen_wallet(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory)).wallet_id
    async with uow_factory() as uow:
        await uow.payments.set_frozen(wallet_id, True, T0)
        first = await uow.ledger.post(wallet_id, Movement.CAPTURE, 0, "job:j1:settle", T0)
        again = await uow.ledger.post(wallet_id, Movement.RELEASE, 2, "job:j1:settle", at(1))
        await uow.commit()

    assert (first, again) == (PostResult.POSTED, PostResult.DUPLICATE)
    assert await _balance(uow_factory, wallet_id) == 0
    assert await _rows(uow_factory, "job:j1:settle") == 1


@pytest.mark.parametrize("amount", [5, 0, -1])
async def test_a_post_to_an_unknown_wallet_fails_and_leaves_nothing(
    uow_factory: SqlUnitOfWorkFactory, amount: int
) -> None:
    with pytest.raises(IntegrityError):
        async with uow_factory() as uow:
            await uow.ledger.post("wal_nobody", Movement.ADJUST, amount, "adjust:1", T0)
            await uow.commit()

    assert await _rows(uow_factory, "adjust:1") == 0


@pytest.mark.parametrize(
    ("amount", "key", "expected", "statements"),
    [
        pytest.param(-2, "spend", PostResult.POSTED, {"postgresql": 1, "sqlite": 2}, id="spend"),
        pytest.param(3, "grant", PostResult.POSTED, {"postgresql": 1, "sqlite": 2}, id="grant"),
        pytest.param(0, "capture", PostResult.POSTED, {"postgresql": 1, "sqlite": 1}, id="zero"),
        pytest.param(
            -2, "grant:ada", PostResult.DUPLICATE, {"postgresql": 1, "sqlite": 1}, id="dup"
        ),
        pytest.param(
            -9, "spend", PostResult.INSUFFICIENT, {"postgresql": 2, "sqlite": 3}, id="insufficient"
        ),
    ],
)
async def test_a_movement_is_one_statement_on_postgresql_and_its_steps_on_sqlite(
    uow_factory: SqlUnitOfWorkFactory,
    amount: int,
    key: str,
    expected: PostResult,
    statements: dict[str, int],
) -> None:
    wallet_id = (await new_account(uow_factory, credits=5)).wallet_id
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    async with uow_factory() as uow:
        await uow.ledger.balance(wallet_id)  # the transaction has begun before counting
        event.listen(uow_factory.engine.sync_engine, "before_cursor_execute", count)
        try:
            result = await uow.ledger.post(wallet_id, Movement.RESERVE, amount, key, T0)
        finally:
            event.remove(uow_factory.engine.sync_engine, "before_cursor_execute", count)

    assert result is expected
    assert len(sent) == statements[uow_factory.engine.dialect.name], sent
