"""The outbox on every configured database: finished jobs' replies, claimed for delivery
under a lease, retried after a backoff, held until finally addressed; and their secrets."""

from __future__ import annotations

import asyncio

from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Job, JobStatus, ReplyAddress
from tests.adapters.sql.builders import (
    at,
    console_address,
    finished,
    job,
    new_account,
    slack_address,
)

LEASE = 30.0
NEVER_HELD = at(-3600)  # hold_before that holds every non-final address back


async def _add(uows: SqlUnitOfWorkFactory, *jobs: Job) -> None:
    async with uows() as uow:
        for each in jobs:
            await uow.jobs.add(each)
        await uow.commit()


async def _get(uows: SqlUnitOfWorkFactory, job_id: str) -> Job:
    async with uows() as uow:
        found = await uow.jobs.get(job_id)
    assert found is not None
    return found


async def _outbox(
    uows: SqlUnitOfWorkFactory,
    now: float,
    routes: tuple[str, ...] = ("slack",),
    hold_before: float | None = None,
    limit: int = 10,
) -> list[str]:
    held = NEVER_HELD if hold_before is None else at(hold_before)
    async with uows(readonly=True) as uow:
        return await uow.jobs.outbox(routes, at(now), held, limit)


async def _claim(uows: SqlUnitOfWorkFactory, job_id: str, owner: str, now: float) -> Job | None:
    async with uows() as uow:
        claimed = await uow.jobs.claim_delivery(job_id, owner, at(now), LEASE)
        await uow.commit()
    return claimed


async def _delivered(uows: SqlUnitOfWorkFactory, job_id: str, owner: str, now: float) -> bool:
    async with uows() as uow:
        done = await uow.jobs.mark_delivered(job_id, owner, at(now))
        await uow.commit()
    return done


async def _release(
    uows: SqlUnitOfWorkFactory, job_id: str, owner: str, now: float, retry: float
) -> bool:
    async with uows() as uow:
        done = await uow.jobs.release_delivery(job_id, owner, at(now), at(retry))
        await uow.commit()
    return done


# --- what is due -------------------------------------------------------------------
async def test_the_outbox_lists_finished_undelivered_replies_of_its_routes_oldest_first(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        finished("newer", account, done=20),
        finished("failed", account, done=5, status=JobStatus.FAILED, error="provider down"),
        finished("older", account, done=10),
        finished("cancelled", account, done=1, status=JobStatus.CANCELLED),
        job("queued", account),
        job("running", account, status=JobStatus.RUNNING, lease_owner="w", attempts=1),
        finished("terminal", account, done=2, address=console_address("abc")),
        finished("discord", account, done=3, address=ReplyAddress("discord")),
    )

    slack = await _outbox(uow_factory, now=30)
    terminal = await _outbox(uow_factory, now=30, routes=("console/abc",))
    other_terminal = await _outbox(uow_factory, now=30, routes=("console/xyz",))
    several = await _outbox(uow_factory, now=30, routes=("slack", "discord", "console/abc"))
    none = await _outbox(uow_factory, now=30, routes=())

    assert slack == ["failed", "older", "newer"]
    assert (terminal, other_terminal, none) == (["terminal"], [], [])
    assert several == ["terminal", "discord", "failed", "older", "newer"]


async def test_the_outbox_returns_at_most_limit_replies(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, *(finished(f"job-{n}", account, done=n) for n in range(5)))

    assert await _outbox(uow_factory, now=30, limit=2) == ["job-0", "job-1"]


async def test_the_outbox_holds_a_reply_to_be_readdressed_until_hold_before_passes(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10, address=slack_address(final=False)))

    held = await _outbox(uow_factory, now=20, hold_before=9)
    given_up_waiting = await _outbox(uow_factory, now=20, hold_before=10)

    assert (held, given_up_waiting) == ([], ["job-1"])


async def test_a_readdressed_reply_is_due_at_once_at_its_new_address(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    provisional = slack_address(final=False)
    await _add(uow_factory, finished("job-1", account, done=10, address=provisional))
    final = ReplyAddress(
        "discord",
        fields={"channel": "C2", "message": "m-77"},
        secrets={"interaction": "tok-9"},
        secrets_expire_at=at(900),
    )

    async with uow_factory() as uow:
        changed = await uow.jobs.readdress("job-1", final, at(11))
        await uow.commit()

    assert changed
    assert (await _get(uow_factory, "job-1")).address == final
    assert await _outbox(uow_factory, now=12, routes=("discord",)) == ["job-1"]
    assert await _outbox(uow_factory, now=12, routes=("slack",), hold_before=12) == []


async def test_an_unfinished_job_can_be_readdressed_before_it_runs(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("job-1", account, address=slack_address(final=False)))
    final = slack_address(fields={"channel": "C1", "thread": "999.1"})

    async with uow_factory() as uow:
        changed = await uow.jobs.readdress("job-1", final, at(1))
        unknown = await uow.jobs.readdress("no-such-job", final, at(1))
        await uow.commit()

    assert (changed, unknown) == (True, False)
    stored = await _get(uow_factory, "job-1")
    assert (stored.address, stored.status) == (final, JobStatus.QUEUED)


async def test_a_delivered_reply_cannot_be_readdressed(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))
    await _claim(uow_factory, "job-1", "sender", now=11)
    await _delivered(uow_factory, "job-1", "sender", now=12)

    async with uow_factory() as uow:
        changed = await uow.jobs.readdress("job-1", ReplyAddress("discord"), at(13))
        await uow.commit()

    assert not changed
    assert (await _get(uow_factory, "job-1")).address == slack_address()


# --- claiming a delivery -----------------------------------------------------------
async def test_a_delivery_claimed_by_one_sender_is_refused_to_another_until_the_lease_lapses(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))

    first = await _claim(uow_factory, "job-1", "first", now=20)
    while_live = await _claim(uow_factory, "job-1", "second", now=20 + LEASE - 1)
    listed_while_live = await _outbox(uow_factory, now=20 + LEASE - 1)
    listed_after = await _outbox(uow_factory, now=20 + LEASE + 1)
    after_lapse = await _claim(uow_factory, "job-1", "second", now=20 + LEASE + 1)

    assert first is not None
    assert first.id == "job-1"
    assert first.result["reply"] == {"kind": "text", "text": "done"}
    assert while_live is None
    assert (listed_while_live, listed_after) == ([], ["job-1"])
    assert after_lapse is not None
    assert after_lapse.id == "job-1"


async def test_racing_senders_claim_one_delivery_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))

    claims = await asyncio.gather(
        *(_claim(uow_factory, "job-1", f"sender-{n}", now=20) for n in range(10))
    )

    assert sum(claim is not None for claim in claims) == 1


async def test_an_unfinished_or_cancelled_job_has_no_delivery_to_claim(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        job("queued", account),
        finished("cancelled", account, done=1, status=JobStatus.CANCELLED),
    )

    assert await _claim(uow_factory, "queued", "sender", now=5) is None
    assert await _claim(uow_factory, "cancelled", "sender", now=5) is None
    assert await _claim(uow_factory, "no-such-job", "sender", now=5) is None


# --- marking it delivered ----------------------------------------------------------
async def test_a_delivered_reply_is_recorded_its_secrets_wiped_and_never_sent_again(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    address = ReplyAddress(
        "discord",
        fields={"channel": "C9", "user_id": "U7"},
        secrets={"interaction": "tok-1"},
        secrets_expire_at=at(900),
    )
    await _add(uow_factory, finished("job-1", account, done=10, address=address))
    claimed = await _claim(uow_factory, "job-1", "sender", now=20)

    done = await _delivered(uow_factory, "job-1", "sender", now=21)

    assert claimed is not None
    assert claimed.address.secrets == {"interaction": "tok-1"}
    assert done
    stored = await _get(uow_factory, "job-1")
    assert stored.delivered_at == at(21)
    assert stored.address == ReplyAddress("discord", fields={"channel": "C9", "user_id": "U7"})
    assert await _outbox(uow_factory, now=1000, routes=("discord",), hold_before=1000) == []
    assert await _claim(uow_factory, "job-1", "sender", now=1000) is None
    assert not await _delivered(uow_factory, "job-1", "sender", now=1001)


async def test_only_the_holder_of_a_delivery_claim_can_mark_it_delivered(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))
    await _claim(uow_factory, "job-1", "slow", now=20)
    await _claim(uow_factory, "job-1", "fast", now=20 + LEASE + 1)

    by_stranger = await _delivered(uow_factory, "job-1", "stranger", now=60)
    by_former_holder = await _delivered(uow_factory, "job-1", "slow", now=60)
    unclaimed_before = (await _get(uow_factory, "job-1")).delivered_at
    by_holder = await _delivered(uow_factory, "job-1", "fast", now=61)

    assert (by_stranger, by_former_holder, by_holder) == (False, False, True)
    assert unclaimed_before is None
    assert (await _get(uow_factory, "job-1")).delivered_at == at(61)


async def test_an_unclaimed_reply_cannot_be_marked_delivered(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))

    assert not await _delivered(uow_factory, "job-1", "sender", now=20)
    assert (await _get(uow_factory, "job-1")).delivered_at is None


# --- giving it back ----------------------------------------------------------------
async def test_a_released_delivery_counts_the_attempt_and_waits_for_its_retry_time(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))
    await _claim(uow_factory, "job-1", "sender", now=20)

    released = await _release(uow_factory, "job-1", "sender", now=21, retry=100)

    assert released
    stored = await _get(uow_factory, "job-1")
    assert (stored.delivery_attempts, stored.delivered_at) == (1, None)
    assert await _outbox(uow_factory, now=99) == []
    assert await _outbox(uow_factory, now=100) == ["job-1"]

    again = await _claim(uow_factory, "job-1", "other", now=100)
    assert again is not None
    assert await _release(uow_factory, "job-1", "other", now=101, retry=300)
    assert (await _get(uow_factory, "job-1")).delivery_attempts == 2
    assert await _outbox(uow_factory, now=299) == []


async def test_a_released_claim_lets_another_sender_claim_at_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))
    await _claim(uow_factory, "job-1", "first", now=20)
    await _release(uow_factory, "job-1", "first", now=21, retry=21)

    assert await _claim(uow_factory, "job-1", "second", now=22) is not None


async def test_only_the_holder_of_a_delivery_claim_can_release_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))
    await _claim(uow_factory, "job-1", "holder", now=20)

    by_stranger = await _release(uow_factory, "job-1", "stranger", now=21, retry=500)

    assert not by_stranger
    stored = await _get(uow_factory, "job-1")
    assert stored.delivery_attempts == 0
    assert await _claim(uow_factory, "job-1", "stranger", now=22) is None
    assert await _outbox(uow_factory, now=20 + LEASE + 1) == ["job-1"]


async def test_a_delivered_reply_cannot_be_released(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, finished("job-1", account, done=10))
    await _claim(uow_factory, "job-1", "sender", now=20)
    await _delivered(uow_factory, "job-1", "sender", now=21)

    assert not await _release(uow_factory, "job-1", "sender", now=22, retry=30)
    assert (await _get(uow_factory, "job-1")).delivery_attempts == 0


# --- secrets -----------------------------------------------------------------------
async def test_secrets_past_their_expiry_are_wiped_and_others_kept(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    token = {"interaction": "tok"}
    fields = {"channel": "C9"}
    await _add(
        uow_factory,
        job(
            "expired",
            account,
            address=ReplyAddress("discord", fields=fields, secrets=token, secrets_expire_at=at(50)),
        ),
        job(
            "fresh",
            account,
            address=ReplyAddress(
                "discord", fields=fields, secrets=token, secrets_expire_at=at(100)
            ),
        ),
        job("no-expiry", account, address=ReplyAddress("discord", fields=fields, secrets=token)),
        job("no-secrets", account, address=ReplyAddress("discord", fields=fields)),
    )

    async with uow_factory() as uow:
        wiped = await uow.jobs.wipe_secrets(at(60))
        wiped_again = await uow.jobs.wipe_secrets(at(60))
        await uow.commit()

    assert (wiped, wiped_again) == (1, 0)
    expired = await _get(uow_factory, "expired")
    assert expired.address == ReplyAddress("discord", fields=fields)
    assert (await _get(uow_factory, "fresh")).address.secrets == token
    assert (await _get(uow_factory, "no-expiry")).address.secrets == token
    async with uow_factory() as uow:
        assert await uow.jobs.wipe_secrets(at(100)) == 1
        await uow.commit()
    assert (await _get(uow_factory, "fresh")).address.secrets == {}
