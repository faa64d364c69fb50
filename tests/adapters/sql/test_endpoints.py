"""Leases of terminal sessions, and the jobs left behind when one ends, on every
configured database."""

from __future__ import annotations

from sqlalchemy import select

from adapters.sql.tables import endpoints
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Job, JobStatus
from tests.adapters.sql.builders import at, console_address, finished, job, new_account

LEASE = 30.0


async def _beat(uows: SqlUnitOfWorkFactory, route: str, now: float) -> None:
    async with uows() as uow:
        await uow.endpoints.beat(route, at(now), at(now + LEASE))
        await uow.commit()


async def _add(uows: SqlUnitOfWorkFactory, *jobs: Job) -> None:
    async with uows() as uow:
        for each in jobs:
            await uow.jobs.add(each)
        await uow.commit()


async def _orphaned(uows: SqlUnitOfWorkFactory, now: float) -> list[str]:
    async with uows(readonly=True) as uow:
        return [each.id for each in await uow.jobs.orphaned(at(now))]


async def _leases(uows: SqlUnitOfWorkFactory) -> dict[str, tuple[object, object]]:
    async with uows.engine.connect() as connection:
        rows = await connection.execute(select(endpoints))
        return {row.route: (row.created_at, row.expires_at) for row in rows}


async def test_a_beat_starts_a_lease_and_the_next_ones_renew_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await _beat(uow_factory, "console/abc", now=0)
    await _beat(uow_factory, "console/abc", now=20)
    await _beat(uow_factory, "console/xyz", now=5)

    assert await _leases(uow_factory) == {
        "console/abc": (at(0), at(20 + LEASE)),
        "console/xyz": (at(5), at(5 + LEASE)),
    }


async def test_ending_an_endpoint_drops_its_lease_only(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await _beat(uow_factory, "console/abc", now=0)
    await _beat(uow_factory, "console/xyz", now=0)

    async with uow_factory() as uow:
        await uow.endpoints.end("console/abc")
        await uow.endpoints.end("console/never-started")
        await uow.commit()

    assert set(await _leases(uow_factory)) == {"console/xyz"}


async def test_unfinished_jobs_of_a_terminal_whose_lease_lapsed_are_orphaned(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        job("queued", account, created=2, address=console_address("abc")),
        job(
            "running",
            account,
            created=1,
            address=console_address("abc"),
            status=JobStatus.RUNNING,
            lease_owner="terminal",
            attempts=1,
            lease_expires_at=at(500),
        ),
        finished("done", account, done=3, address=console_address("abc")),
    )
    await _beat(uow_factory, "console/abc", now=0)

    while_alive = await _orphaned(uow_factory, now=LEASE - 1)
    after_lapse = await _orphaned(uow_factory, now=LEASE + 1)

    assert while_alive == []
    assert after_lapse == ["running", "queued"]


async def test_jobs_of_a_terminal_that_never_beat_or_ended_are_orphaned(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        job("never-beat", account, created=0, address=console_address("ghost")),
        job("ended", account, created=1, address=console_address("abc")),
    )
    await _beat(uow_factory, "console/abc", now=0)
    async with uow_factory() as uow:
        await uow.endpoints.end("console/abc")
        await uow.commit()

    assert await _orphaned(uow_factory, now=1) == ["never-beat", "ended"]


async def test_another_terminals_live_lease_does_not_keep_a_job_alive(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(
        uow_factory,
        job("mine", account, address=console_address("abc")),
        job("theirs", account, created=1, address=console_address("xyz")),
    )
    await _beat(uow_factory, "console/xyz", now=0)

    assert await _orphaned(uow_factory, now=1) == ["mine"]


async def test_jobs_for_platforms_any_process_reaches_are_never_orphaned(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory)
    await _add(uow_factory, job("slack", account))

    assert await _orphaned(uow_factory, now=10_000) == []
