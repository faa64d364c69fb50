"""Idempotency keys of platform requests on every configured database: one claim per
key, its answer kept for a day, and a dead holder's claim taken over."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.sql.uow import SqlUnitOfWorkFactory
from tests.adapters.sql.builders import at, new_account

LEASE = 120.0
DAY = 24 * 3600.0
ANSWER: dict[str, Any] = {"kind": "text", "text": "Queued 2 images.", "actions": []}


class Keys:
    """One account's request keys, each call in a unit of work of its own."""

    def __init__(self, uows: SqlUnitOfWorkFactory, account_id: str) -> None:
        self.uows = uows
        self.account_id = account_id

    async def begin(self, key: str, owner: str, now: float) -> bool:
        async with self.uows() as uow:
            mine = await uow.requests.begin(
                key, self.account_id, owner, at(now), at(now + LEASE), at(now - DAY)
            )
            await uow.commit()
        return mine

    async def take_over(self, key: str, owner: str, now: float) -> bool:
        async with self.uows() as uow:
            mine = await uow.requests.take_over(key, owner, at(now), at(now + LEASE))
            await uow.commit()
        return mine

    async def finish(self, key: str, owner: str, answer: dict[str, Any] = ANSWER) -> bool:
        async with self.uows() as uow:
            stored = await uow.requests.finish(key, owner, answer)
            await uow.commit()
        return stored

    async def abandon(self, key: str, owner: str) -> None:
        async with self.uows() as uow:
            await uow.requests.abandon(key, owner)
            await uow.commit()

    async def answer(self, key: str) -> dict[str, Any] | None:
        async with self.uows(readonly=True) as uow:
            return await uow.requests.answer(key)


@pytest.fixture
async def keys(uow_factory: SqlUnitOfWorkFactory) -> Keys:
    return Keys(uow_factory, (await new_account(uow_factory)).id)


async def test_a_new_key_is_claimed_once_and_known_afterwards(keys: Keys) -> None:
    first = await keys.begin("k1", "req-a", now=0)
    repeat = await keys.begin("k1", "req-b", now=1)
    repeat_by_holder = await keys.begin("k1", "req-a", now=1)
    other_key = await keys.begin("k2", "req-b", now=1)

    assert (first, repeat, repeat_by_holder, other_key) == (True, False, False, True)
    assert await keys.answer("k1") is None


async def test_racing_requests_with_one_key_claim_it_once(keys: Keys) -> None:
    claims = await asyncio.gather(*(keys.begin("k1", f"req-{n}", now=0) for n in range(10)))

    assert claims.count(True) == 1


async def test_the_holder_stores_the_answer_and_repeats_read_it(keys: Keys) -> None:
    await keys.begin("k1", "req-a", now=0)

    by_stranger = await keys.finish("k1", "req-b", {"kind": "text", "text": "forged"})
    by_holder = await keys.finish("k1", "req-a")
    twice = await keys.finish("k1", "req-a", {"kind": "text", "text": "second"})

    assert (by_stranger, by_holder, twice) == (False, True, False)
    assert await keys.answer("k1") == ANSWER
    assert await keys.begin("k1", "req-c", now=LEASE + 1) is False
    assert await keys.answer("unknown") is None


async def test_a_claim_is_taken_over_only_once_its_lease_lapsed_unanswered(keys: Keys) -> None:
    await keys.begin("k1", "dead", now=0)

    while_live = await keys.take_over("k1", "retry", now=LEASE - 1)
    after_lapse = await keys.take_over("k1", "retry", now=LEASE + 1)
    again_by_another = await keys.take_over("k1", "third", now=LEASE + 2)

    assert (while_live, after_lapse, again_by_another) == (False, True, False)
    assert await keys.finish("k1", "dead") is False
    assert await keys.finish("k1", "retry") is True
    assert await keys.answer("k1") == ANSWER


async def test_an_answered_key_is_never_taken_over(keys: Keys) -> None:
    await keys.begin("k1", "req-a", now=0)
    await keys.finish("k1", "req-a")

    assert await keys.take_over("k1", "retry", now=10 * LEASE) is False
    assert await keys.take_over("unknown", "retry", now=10 * LEASE) is False
    assert await keys.answer("k1") == ANSWER


async def test_an_abandoned_claim_lets_a_retry_begin_again(keys: Keys) -> None:
    await keys.begin("k1", "req-a", now=0)

    await keys.abandon("k1", "stranger")
    still_held = await keys.begin("k1", "retry", now=1)
    await keys.abandon("k1", "req-a")
    after_abandon = await keys.begin("k1", "retry", now=2)

    assert (still_held, after_abandon) == (False, True)
    assert await keys.finish("k1", "retry") is True


async def test_abandoning_an_answered_key_keeps_its_answer(keys: Keys) -> None:
    await keys.begin("k1", "req-a", now=0)
    await keys.finish("k1", "req-a")

    await keys.abandon("k1", "req-a")

    assert await keys.answer("k1") == ANSWER
    assert await keys.begin("k1", "retry", now=1) is False


async def test_a_key_older_than_a_day_is_forgotten_when_it_comes_again(keys: Keys) -> None:
    await keys.begin("k1", "req-a", now=0)
    await keys.finish("k1", "req-a")

    within_a_day = await keys.begin("k1", "req-b", now=DAY)
    answer_kept = await keys.answer("k1")
    after_a_day = await keys.begin("k1", "req-c", now=DAY + 1)

    assert (within_a_day, answer_kept, after_a_day) == (False, ANSWER, True)
    assert await keys.answer("k1") is None
    assert await keys.finish("k1", "req-c", {"kind": "text", "text": "fresh"})
    assert await keys.answer("k1") == {"kind": "text", "text": "fresh"}


async def test_purge_forgets_keys_created_before_a_time_and_counts_them(
    keys: Keys,
) -> None:
    await keys.begin("old", "req", now=0)
    await keys.finish("old", "req")
    await keys.begin("older-unanswered", "req", now=-10)
    await keys.begin("new", "req", now=100)

    async with keys.uows() as uow:
        purged = await uow.requests.purge(at(100))
        purged_again = await uow.requests.purge(at(100))
        await uow.commit()

    assert (purged, purged_again) == (2, 0)
    assert await keys.answer("old") is None
    assert await keys.begin("old", "req-2", now=101) is True
    assert await keys.begin("new", "req-2", now=101) is False
