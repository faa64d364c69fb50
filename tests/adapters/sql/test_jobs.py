"""The job queue on every configured database: claims by route, leases, guarded
transitions, and typed payloads and addresses read back whole."""

from __future__ import annotations

import asyncio

import pytest

from adapters.sql.uow import SqlUnitOfWorkFactory
from core.imaging import Product
from core.model import Job, JobStatus, ReplyAddress
from core.payloads import (
    DescribePayload,
    ImaginePayload,
    JobPayload,
    ReformatPayload,
    SourceRef,
)
from tests.adapters.sql.builders import T0, at, console_address, imagine, job, new_account

LEASE = 60.0


async def _add(uows: SqlUnitOfWorkFactory, *jobs: Job) -> None:
    async with uows() as uow:
        for each in jobs:
            await uow.jobs.add(each)
        await uow.commit()


async def _claim(
    uows: SqlUnitOfWorkFactory, worker: str, now: float, routes: tuple[str, ...] = ("slack",)
) -> Job | None:
    async with uows() as uow:
        claimed = await uow.jobs.claim(worker, at(now), LEASE, routes)
        await uow.commit()
    return claimed


async def _get(uows: SqlUnitOfWorkFactory, job_id: str) -> Job:
    async with uows() as uow:
        found = await uow.jobs.get(job_id)
    assert found is not None
    return found


async def test_racing_workers_never_claim_the_same_job_twice(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, *(job(f"job-{n:02}", account, created=n) for n in range(20)))

    async def drain(worker: str) -> list[str]:
        taken = []
        while (claimed := await _claim(uow_factory, worker, now=100)) is not None:
            assert claimed.lease_owner == worker
            taken.append(claimed.id)
        return taken

    per_worker = await asyncio.gather(*(drain(f"worker-{w}") for w in range(4)))

    everything = [job_id for taken in per_worker for job_id in taken]
    assert sorted(everything) == [f"job-{n:02}" for n in range(20)]
    assert len(set(everything)) == 20


async def test_the_oldest_due_job_is_claimed_first_and_jobs_due_later_wait(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        job("later", account, created=0, run_after=at(500)),
        job("newer", account, created=2),
        job("older", account, created=1, run_after=at(50)),
    )

    first = await _claim(uow_factory, "w1", now=100)
    second = await _claim(uow_factory, "w1", now=100)
    nothing = await _claim(uow_factory, "w1", now=100)
    later = await _claim(uow_factory, "w1", now=500)

    assert first is not None
    assert second is not None
    assert later is not None
    assert (first.id, second.id, nothing, later.id) == ("older", "newer", None, "later")
    assert first.status is JobStatus.RUNNING
    assert first.attempts == 1
    assert first.lease_expires_at == at(100 + LEASE)


async def test_a_worker_takes_jobs_only_for_the_routes_it_names(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("console-job", account, address=console_address("abc")))

    by_slack_worker = await _claim(uow_factory, "any-process", now=10)
    by_other_terminal = await _claim(uow_factory, "other", now=10, routes=("console/xyz",))
    by_console_platform = await _claim(uow_factory, "other", now=10, routes=("console",))
    by_nobody = await _claim(uow_factory, "idle", now=10, routes=())
    by_its_terminal = await _claim(uow_factory, "terminal", now=10, routes=("console/abc",))

    assert (by_slack_worker, by_other_terminal, by_console_platform, by_nobody) == (
        None,
        None,
        None,
        None,
    )
    assert by_its_terminal is not None
    assert (by_its_terminal.id, by_its_terminal.route) == ("console-job", "console/abc")
    assert by_its_terminal.address.endpoint == "abc"
    assert by_its_terminal.lease_owner == "terminal"


async def test_a_worker_of_several_routes_takes_the_oldest_job_of_any_of_them(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        job("foreign", account, created=0, address=console_address("xyz")),
        job("shared", account, created=2),
        job("own", account, created=1, address=console_address("abc")),
    )

    both = ("slack", "console/abc")
    taken = [await _claim(uow_factory, "terminal", now=10, routes=both) for _ in range(3)]

    assert [each.id if each else None for each in taken] == ["own", "shared", None]
    foreign = await _get(uow_factory, "foreign")
    assert (foreign.status, foreign.route) == (JobStatus.QUEUED, "console/xyz")


async def test_a_running_job_whose_lease_lapsed_is_reclaimed_with_one_more_attempt(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("job-1", account))
    first = await _claim(uow_factory, "dead-worker", now=10)

    while_leased = await _claim(uow_factory, "w2", now=10 + LEASE - 1)
    after_lapse = await _claim(uow_factory, "w2", now=10 + LEASE + 1)

    assert first is not None
    assert while_leased is None
    assert after_lapse is not None
    assert after_lapse.id == "job-1"
    assert after_lapse.attempts == 2
    assert after_lapse.lease_owner == "w2"
    assert after_lapse.lease_expires_at == at(10 + 2 * LEASE + 1)


async def test_of_a_racing_cancel_and_finish_exactly_one_wins(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("job-1", account))
    await _claim(uow_factory, "w1", now=1)

    async def finish() -> bool:
        async with uow_factory() as uow:
            done = await uow.jobs.transition(
                "job-1",
                JobStatus.SUCCEEDED,
                expect=(JobStatus.RUNNING,),
                now=at(2),
                worker="w1",
                result={"images": ["img-1"]},
                finished_at=at(2),
            )
            await uow.commit()
        return done

    async def cancel() -> bool:
        async with uow_factory() as uow:
            done = await uow.jobs.transition(
                "job-1",
                JobStatus.CANCELLED,
                expect=(JobStatus.QUEUED, JobStatus.RUNNING),
                now=at(2),
                finished_at=at(2),
            )
            await uow.commit()
        return done

    finished, cancelled = await asyncio.gather(finish(), cancel())

    assert finished != cancelled
    stored = await _get(uow_factory, "job-1")
    assert stored.status is (JobStatus.SUCCEEDED if finished else JobStatus.CANCELLED)
    assert stored.result == ({"images": ["img-1"]} if finished else {})
    assert stored.finished_at == at(2)


async def test_a_worker_that_lost_its_lease_cannot_finish_the_job(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("job-1", account))
    await _claim(uow_factory, "slow", now=0)
    await _claim(uow_factory, "fast", now=LEASE + 1)

    async with uow_factory() as uow:
        slow = await uow.jobs.transition(
            "job-1",
            JobStatus.FAILED,
            expect=(JobStatus.RUNNING,),
            now=at(99),
            worker="slow",
            error="timed out",
        )
        fast = await uow.jobs.transition(
            "job-1",
            JobStatus.QUEUED,
            expect=(JobStatus.RUNNING,),
            now=at(99),
            worker="fast",
            run_after=at(120),
            lease_owner=None,
            lease_expires_at=None,
            error="provider busy",
        )
        await uow.commit()

    assert (slow, fast) == (False, True)
    stored = await _get(uow_factory, "job-1")
    assert stored.status is JobStatus.QUEUED
    assert (stored.run_after, stored.lease_owner, stored.lease_expires_at) == (at(120), None, None)
    assert stored.error == "provider busy"
    assert stored.attempts == 2


async def test_a_transition_refuses_fields_a_job_does_not_have(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("job-1", account))

    async with uow_factory() as uow:
        with pytest.raises(TypeError, match="colour"):
            await uow.jobs.transition(
                "job-1", JobStatus.RUNNING, expect=(JobStatus.QUEUED,), now=at(1), colour="red"
            )


async def test_a_transition_cannot_mark_a_reply_delivered_only_the_outbox_can(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("job-1", account))

    async with uow_factory() as uow:
        with pytest.raises(TypeError, match="delivered_at"):
            await uow.jobs.transition(
                "job-1",
                JobStatus.SUCCEEDED,
                expect=(JobStatus.QUEUED,),
                now=at(1),
                delivered_at=at(1),
            )
    assert (await _get(uow_factory, "job-1")).status is JobStatus.QUEUED


async def test_unfinished_lists_only_the_accounts_queued_and_running_jobs(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    mine = await new_account(uow_factory, "ada")
    theirs = await new_account(uow_factory, "bob")
    await _add(
        uow_factory,
        job("queued", mine, created=3),
        job(
            "running",
            mine,
            created=1,
            status=JobStatus.RUNNING,
            lease_owner="w",
            attempts=1,
            lease_expires_at=at(100),
        ),
        job("done", mine, created=2, status=JobStatus.SUCCEEDED, finished_at=at(2)),
        job("failed", mine, created=4, status=JobStatus.FAILED, error="no"),
        job("other", theirs, created=0),
    )

    async with uow_factory() as uow:
        unfinished = await uow.jobs.unfinished(mine.id)

    assert [each.id for each in unfinished] == ["running", "queued"]


PRODUCT = Product(
    name="Marble Mug",
    brand="Ada & Co",
    price="24.90",
    currency="EUR",
    url="https://shop.example/mug",
    image_urls=("https://shop.example/mug.png",),
)
SOURCE = SourceRef(key="uploads/acc/job-1.png", width=800, height=600, alpha=True)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            ImaginePayload(
                prompt="ein Becher auf Marmor ☕",
                template="marble",
                format="square",
                n=3,
                seed=2**40,
                provider="openai",
                product=PRODUCT,
                url="https://shop.example/mug",
                source=SOURCE,
            ),
            id="imagine",
        ),
        pytest.param(
            ReformatPayload(image_id="img-9", format="story", original=imagine(n=1)),
            id="reformat",
        ),
        pytest.param(DescribePayload(product=PRODUCT, source=SOURCE), id="describe"),
    ],
)
async def test_a_job_reads_back_exactly_as_it_was_added(
    uow_factory: SqlUnitOfWorkFactory, payload: JobPayload
) -> None:
    account = await new_account(uow_factory)
    original = job(
        "job-1",
        account,
        payload=payload,
        address=ReplyAddress(
            "discord",
            fields={"guild": "G1", "channel": "C9", "user_id": "U7"},
            secrets={"interaction": "tok-1"},
            secrets_expire_at=at(900),
            final=False,
        ),
        max_attempts=5,
        run_after=at(30),
        result={"note": "kept"},
    )
    await _add(uow_factory, original)

    stored = await _get(uow_factory, "job-1")
    assert stored == original
    assert type(stored.payload) is type(payload)
    assert (stored.kind, stored.route) == (payload.kind, "discord")
    async with uow_factory() as uow:
        assert await uow.jobs.get("no-such-job") is None


async def test_a_job_for_a_terminal_reads_back_with_its_endpoint_and_on_another_wallet(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    async with uow_factory() as uow:
        team = await uow.wallets.team("slack", "T1", T0)
        await uow.commit()
    original = job("job-1", account, wallet_id=team.id, address=console_address("term_abc"))
    await _add(uow_factory, original)

    stored = await _get(uow_factory, "job-1")
    assert stored == original
    assert (stored.wallet_id, stored.route, stored.address.endpoint) == (
        team.id,
        "console/term_abc",
        "term_abc",
    )
