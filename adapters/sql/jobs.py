"""Durable jobs: added by commands, claimed by workers under a lease."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import jobs
from core.model import DEFAULT_QUEUE, Job, JobStatus, ReplyAddress

TRANSITION_FIELDS = frozenset(
    {
        "error",
        "result",
        "run_after",
        "finished_at",
        "lease_owner",
        "lease_expires_at",
        "delivered_at",
    }
)


def to_job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        queue=row.queue,
        status=JobStatus(row.status),
        payload=dict(row.payload),
        address=ReplyAddress.from_json(row.address),
        cost=row.cost,
        created_at=row.created_at,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=row.run_after,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        error=row.error,
        finished_at=row.finished_at,
        delivered_at=row.delivered_at,
        result=dict(row.result),
    )


def _runnable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            jobs.c.status == JobStatus.QUEUED.value,
            or_(jobs.c.run_after.is_(None), jobs.c.run_after <= now),
        ),
        and_(jobs.c.status == JobStatus.RUNNING.value, jobs.c.lease_expires_at < now),
    )


class SqlJobRepository:
    """Jobs over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, job: Job) -> None:
        await self._connection.execute(
            insert(jobs).values(
                id=job.id,
                account_id=job.account_id,
                kind=job.kind,
                queue=job.queue,
                status=JobStatus(job.status).value,
                payload=job.payload,
                address=job.address.to_json(),
                cost=job.cost,
                attempts=job.attempts,
                max_attempts=job.max_attempts,
                run_after=job.run_after,
                lease_owner=job.lease_owner,
                lease_expires_at=job.lease_expires_at,
                error=job.error,
                result=job.result,
                created_at=job.created_at,
                updated_at=job.created_at,
                finished_at=job.finished_at,
                delivered_at=job.delivered_at,
            )
        )

    async def get(self, job_id: str) -> Job | None:
        row = (await self._connection.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return None if row is None else to_job(row)

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease_seconds: float,
        queues: tuple[str, ...] = (DEFAULT_QUEUE,),
    ) -> Job | None:
        """Take the oldest runnable job of ``queues`` (queued and due, or running with a
        lapsed lease); ``None`` when there is none.

        On PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` so
        workers racing each other take different jobs; SQLite serialises writers. The
        job comes back running, leased to ``worker``, with one more attempt counted
        (which may now exceed ``max_attempts``: the caller decides what that means).
        """
        if not queues:
            return None
        candidate = (
            select(jobs.c.id)
            .where(jobs.c.queue.in_(queues), _runnable(now))
            .order_by(jobs.c.created_at, jobs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        job_id = await self._connection.scalar(candidate)
        if job_id is None:
            return None
        claimed = (
            await self._connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, _runnable(now))
                .values(
                    status=JobStatus.RUNNING.value,
                    lease_owner=worker,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    attempts=jobs.c.attempts + 1,
                    updated_at=now,
                )
                .returning(*jobs.c)
            )
        ).first()
        return None if claimed is None else to_job(claimed)

    async def transition(
        self,
        job_id: str,
        to: JobStatus,
        *,
        expect: tuple[JobStatus, ...],
        now: datetime,
        worker: str | None = None,
        **fields: Any,
    ) -> bool:
        """Move a job to ``to`` only if it is in one of ``expect`` (and, with ``worker``,
        still leased by it), setting ``fields`` too; ``False`` when someone else got
        there first. ``fields`` may be any of :data:`TRANSITION_FIELDS`."""
        unknown = set(fields) - TRANSITION_FIELDS
        if unknown:
            raise TypeError(f"jobs cannot be updated with: {', '.join(sorted(unknown))}")
        conditions = [jobs.c.id == job_id, jobs.c.status.in_([JobStatus(s).value for s in expect])]
        if worker is not None:
            conditions.append(jobs.c.lease_owner == worker)
        changed = (
            await self._connection.execute(
                update(jobs)
                .where(*conditions)
                .values(status=JobStatus(to).value, updated_at=now, **fields)
                .returning(jobs.c.id)
            )
        ).first()
        return changed is not None

    async def unfinished(self, account_id: str) -> list[Job]:
        """The account's queued and running jobs, oldest first."""
        rows = await self._connection.execute(
            select(jobs)
            .where(
                jobs.c.account_id == account_id,
                jobs.c.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
            )
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        return [to_job(row) for row in rows]

    async def abandoned(
        self, queue_prefix: str, queued_before: datetime, lease_lapsed_before: datetime
    ) -> list[Job]:
        """Jobs on queues starting with ``queue_prefix`` that nobody will finish: queued
        since before ``queued_before``, or running with a lease that lapsed before
        ``lease_lapsed_before``."""
        rows = await self._connection.execute(
            select(jobs)
            .where(
                jobs.c.queue.startswith(queue_prefix, autoescape=True),
                or_(
                    and_(
                        jobs.c.status == JobStatus.QUEUED.value, jobs.c.created_at < queued_before
                    ),
                    and_(
                        jobs.c.status == JobStatus.RUNNING.value,
                        jobs.c.lease_expires_at < lease_lapsed_before,
                    ),
                ),
            )
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        return [to_job(row) for row in rows]

    async def undelivered(
        self, queues: tuple[str, ...], finished_before: datetime, limit: int
    ) -> list[Job]:
        """Finished jobs of these queues whose reply was never delivered, oldest first."""
        rows = await self._connection.execute(
            select(jobs)
            .where(
                jobs.c.queue.in_(queues),
                jobs.c.status.in_([JobStatus.SUCCEEDED.value, JobStatus.FAILED.value]),
                jobs.c.delivered_at.is_(None),
                jobs.c.finished_at <= finished_before,
            )
            .order_by(jobs.c.finished_at, jobs.c.id)
            .limit(limit)
        )
        return [to_job(row) for row in rows]

    async def mark_delivered(self, job_id: str, now: datetime) -> bool:
        """Record that the job's reply went out; ``False`` if it already was."""
        result = await self._connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.delivered_at.is_(None))
            .values(delivered_at=now, updated_at=now)
        )
        return result.rowcount == 1
