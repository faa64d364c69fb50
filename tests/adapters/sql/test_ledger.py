"""The credit ledger on every configured database, for personal and team wallets."""

from __future__ import annotations

import asyncio
from collections import Counter

from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Movement, PostResult
from tests.adapters.sql.builders import T0, at, ledger_sum, new_account


async def _reserve(
    uows: SqlUnitOfWorkFactory, wallet_id: str, key: str, account_id: str | None = None
) -> PostResult:
    async with uows() as uow:
        result = await uow.ledger.post(
            wallet_id, Movement.RESERVE, -1, key, T0, account_id=account_id, job_id=key
        )
        await uow.commit()
    return result


async def _team_wallet(uows: SqlUnitOfWorkFactory, credits: int) -> str:
    async with uows() as uow:
        team = await uow.wallets.team("slack", "T1", T0)
        if credits:
            await uow.ledger.post(team.id, Movement.PURCHASE, credits, "purchase:team", T0)
        await uow.commit()
    return team.id


async def test_two_hundred_racing_reservations_against_ten_credits_post_exactly_ten(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=10)).wallet_id

    results = await asyncio.gather(
        *(_reserve(uow_factory, wallet_id, f"reserve:{n}") for n in range(200))
    )

    assert Counter(results) == {PostResult.POSTED: 10, PostResult.INSUFFICIENT: 190}
    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 0
    assert await ledger_sum(uow_factory, wallet_id) == 0


async def test_racing_reservations_by_many_members_never_take_a_team_wallet_below_zero(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    members = [await new_account(uow_factory, f"user{n}") for n in range(4)]
    team_id = await _team_wallet(uow_factory, credits=10)

    results = await asyncio.gather(
        *(
            _reserve(uow_factory, team_id, f"reserve:{n}", account_id=members[n % 4].id)
            for n in range(200)
        )
    )

    assert Counter(results) == {PostResult.POSTED: 10, PostResult.INSUFFICIENT: 190}
    async with uow_factory() as uow:
        assert await uow.ledger.balance(team_id) == 0
        assert [await uow.ledger.balance(member.wallet_id) for member in members] == [0] * 4
        spent_by = Counter(e.account_id for e in await uow.ledger.recent(team_id, 100))
    assert await ledger_sum(uow_factory, team_id) == 0
    assert sum(spent_by.values()) == 11  # ten reservations and the purchase
    assert spent_by[None] == 1
    assert set(spent_by) <= {None, *(member.id for member in members)}


async def test_a_reused_idempotency_key_is_a_duplicate_and_changes_nothing(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory)).wallet_id
    async with uow_factory() as uow:
        first = await uow.ledger.post(wallet_id, Movement.PURCHASE, 50, "stripe:evt_1", T0)
        await uow.commit()

    async with uow_factory() as uow:
        again = await uow.ledger.post(wallet_id, Movement.PURCHASE, 50, "stripe:evt_1", at(5))
        other_amount = await uow.ledger.post(wallet_id, Movement.ADJUST, 7, "stripe:evt_1", at(6))
        await uow.commit()

    assert (first, again, other_amount) == (
        PostResult.POSTED,
        PostResult.DUPLICATE,
        PostResult.DUPLICATE,
    )
    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 50
        assert len(await uow.ledger.recent(wallet_id, 10)) == 1


async def test_a_key_used_on_one_wallet_cannot_be_used_again_on_another(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    team_id = await _team_wallet(uow_factory, credits=0)
    async with uow_factory() as uow:
        personal = await uow.ledger.post(account.wallet_id, Movement.PURCHASE, 50, "evt_1", T0)
        team = await uow.ledger.post(team_id, Movement.PURCHASE, 70, "evt_1", at(1))
        team_first = await uow.ledger.post(team_id, Movement.PURCHASE, 30, "evt_2", at(2))
        personal_after = await uow.ledger.post(
            account.wallet_id, Movement.PURCHASE, 90, "evt_2", at(3)
        )
        await uow.commit()

    assert (personal, team) == (PostResult.POSTED, PostResult.DUPLICATE)
    assert (team_first, personal_after) == (PostResult.POSTED, PostResult.DUPLICATE)
    async with uow_factory() as uow:
        assert await uow.ledger.balance(account.wallet_id) == 50
        assert await uow.ledger.balance(team_id) == 30
        assert [e.idempotency_key for e in await uow.ledger.recent(team_id, 10)] == ["evt_2"]


async def test_racing_posts_with_one_key_take_effect_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory)).wallet_id

    async def grant() -> PostResult:
        async with uow_factory() as uow:
            result = await uow.ledger.post(wallet_id, Movement.GRANT, 5, "welcome", T0)
            await uow.commit()
        return result

    results = await asyncio.gather(*(grant() for _ in range(10)))

    assert Counter(results) == {PostResult.POSTED: 1, PostResult.DUPLICATE: 9}
    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 5


async def test_the_cached_balance_equals_the_sum_of_the_ledger(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=3)).wallet_id
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
            assert await uow.ledger.post(wallet_id, kind, amount, key, at(n)) is expected, key
        await uow.commit()

    async with uow_factory() as uow:
        balance = await uow.ledger.balance(wallet_id)
    assert balance == 60
    assert await ledger_sum(uow_factory, wallet_id) == balance


async def test_an_insufficient_post_leaves_its_key_free_for_a_later_try(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    wallet_id = (await new_account(uow_factory, credits=1)).wallet_id
    async with uow_factory() as uow:
        refused = await uow.ledger.post(wallet_id, Movement.RESERVE, -3, "reserve:j1", T0)
        await uow.ledger.post(wallet_id, Movement.PURCHASE, 10, "purchase:1", at(1))
        retried = await uow.ledger.post(wallet_id, Movement.RESERVE, -3, "reserve:j1", at(2))
        await uow.commit()

    assert (refused, retried) == (PostResult.INSUFFICIENT, PostResult.POSTED)
    async with uow_factory() as uow:
        assert await uow.ledger.balance(wallet_id) == 8


async def test_recent_lists_a_wallets_movements_newest_first_with_their_details(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory, credits=10)
    team_id = await _team_wallet(uow_factory, credits=30)
    async with uow_factory() as uow:
        await uow.ledger.post(
            account.wallet_id,
            Movement.RESERVE,
            -4,
            "reserve:j1",
            at(1),
            account_id=account.id,
            job_id="j1",
            reason="imagine",
        )
        await uow.ledger.post(team_id, Movement.RESERVE, -2, "reserve:j2", at(2), job_id="j2")
        await uow.ledger.post(account.wallet_id, Movement.CAPTURE, 0, "capture:j1", at(3))
        await uow.commit()

    async with uow_factory() as uow:
        entries = await uow.ledger.recent(account.wallet_id, 2)
        team_entries = await uow.ledger.recent(team_id, 10)

    assert [(e.kind, e.amount, e.idempotency_key) for e in entries] == [
        (Movement.CAPTURE, 0, "capture:j1"),
        (Movement.RESERVE, -4, "reserve:j1"),
    ]
    reserve = entries[1]
    assert (reserve.wallet_id, reserve.account_id) == (account.wallet_id, account.id)
    assert (reserve.job_id, reserve.reason, reserve.created_at) == ("j1", "imagine", at(1))
    assert entries[0].account_id is None
    assert [e.idempotency_key for e in team_entries] == ["reserve:j2", "purchase:team"]
    assert {e.wallet_id for e in team_entries} == {team_id}


async def test_an_unknown_wallet_has_a_balance_of_zero_and_no_movements(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory(readonly=True) as uow:
        assert await uow.ledger.balance("wal_nobody") == 0
        assert await uow.ledger.recent("wal_nobody", 10) == []
