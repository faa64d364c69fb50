"""Durable jobs: added by commands, claimed by workers under a lease, replies in an outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import endpoints, jobs
from core.model import Job, JobStatus, ReplyAddress
from core.payloads import payload_from_data, payload_to_data

TRANSITION_FIELDS = frozenset(
    {"error", "result", "run_after", "finished_at", "lease_owner", "lease_expires_at"}
)
_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
_WITH_REPLY = (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value)


def to_job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        account_id=row.account_id,
        wallet_id=row.wallet_id,
        status=JobStatus(row.status),
        payload=payload_from_data(dict(row.payload)),
        address=ReplyAddress.from_json(row.address, row.address_secrets, row.secrets_expire_at),
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
        delivery_attempts=row.delivery_attempts,
        result=dict(row.result),
        tenant=row.tenant,
    )


def _address_values(address: ReplyAddress) -> dict[str, Any]:
    return {
        "route": address.route,
        "endpoint": address.endpoint,
        "address": address.to_json(),
        "address_final": address.final,
        "address_secrets": dict(address.secrets) or None,
        "secrets_expire_at": address.secrets_expire_at,
    }


def _runnable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            jobs.c.status == JobStatus.QUEUED.value,
            or_(jobs.c.run_after.is_(None), jobs.c.run_after <= now),
        ),
        and_(jobs.c.status == JobStatus.RUNNING.value, jobs.c.lease_expires_at < now),
    )


def _deliverable(now: datetime) -> ColumnElement[bool]:
    """Finished with a reply, not delivered, and no live claim on its delivery."""
    return and_(
        jobs.c.status.in_(_WITH_REPLY),
        jobs.c.delivered_at.is_(None),
        jobs.c.undeliverable_at.is_(None),
        or_(jobs.c.delivery_lease_expires_at.is_(None), jobs.c.delivery_lease_expires_at < now),
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
                wallet_id=job.wallet_id,
                kind=job.kind,
                status=JobStatus(job.status).value,
                payload=payload_to_data(job.payload),
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
                tenant=job.tenant,
                **_address_values(job.address),
            )
        )

    async def get(self, job_id: str) -> Job | None:
        row = (await self._connection.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return None if row is None else to_job(row)

    async def claim(
        self, worker: str, now: datetime, lease_seconds: float, routes: tuple[str, ...]
    ) -> Job | None:
        """Take the oldest runnable job whose reply goes to one of ``routes`` (queued and
        due, or running with a lapsed lease); ``None`` when there is none.

        On PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` so
        workers racing each other take different jobs; SQLite serialises writers. The
        job comes back running, leased to ``worker``, with one more attempt counted
        (which may now exceed ``max_attempts``: the caller decides what that means).
        """
        if not routes:
            return None
        candidate = (
            select(jobs.c.id)
            .where(jobs.c.route.in_(routes), _runnable(now))
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

    async def readdress(self, job_id: str, address: ReplyAddress, now: datetime) -> bool:
        """Give an undelivered job its final address; ``False`` if it was delivered."""
        changed = (
            await self._connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.delivered_at.is_(None))
                .values(updated_at=now, **_address_values(address))
                .returning(jobs.c.id)
            )
        ).first()
        return changed is not None

    async def unfinished(self, account_id: str) -> list[Job]:
        """The account's queued and running jobs, oldest first."""
        rows = await self._connection.execute(
            select(jobs)
            .where(jobs.c.account_id == account_id, jobs.c.status.in_(_UNFINISHED))
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        return [to_job(row) for row in rows]

    async def orphaned(self, now: datetime) -> list[Job]:
        """Unfinished jobs for a process-local endpoint without a live lease."""
        alive = exists().where(endpoints.c.route == jobs.c.route, endpoints.c.expires_at > now)
        rows = await self._connection.execute(
            select(jobs)
            .where(jobs.c.endpoint != "", jobs.c.status.in_(_UNFINISHED), ~alive)
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        return [to_job(row) for row in rows]

    # --- the outbox ------------------------------------------------------------------
    async def outbox(
        self, routes: tuple[str, ...], now: datetime, hold_before: datetime, limit: int
    ) -> list[str]:
        """Ids of replies due for delivery to ``routes``, oldest first."""
        rows = await self._connection.execute(
            select(jobs.c.id)
            .where(
                jobs.c.route.in_(routes),
                _deliverable(now),
                or_(jobs.c.deliver_after.is_(None), jobs.c.deliver_after <= now),
                or_(jobs.c.address_final.is_(True), jobs.c.finished_at <= hold_before),
            )
            .order_by(jobs.c.finished_at, jobs.c.id)
            .limit(limit)
        )
        return [row.id for row in rows]

    async def claim_delivery(
        self,
        job_id: str,
        owner: str,
        now: datetime,
        lease_seconds: float,
        *,
        final_only: bool = False,
    ) -> Job | None:
        """Lease one reply's delivery to ``owner``; ``None`` if it is delivered or held
        (or, with ``final_only``, still waiting for its final address)."""
        conditions = [jobs.c.id == job_id, _deliverable(now)]
        if final_only:
            conditions.append(jobs.c.address_final.is_(True))
        claimed = (
            await self._connection.execute(
                update(jobs)
                .where(*conditions)
                .values(
                    delivery_owner=owner,
                    delivery_lease_expires_at=now + timedelta(seconds=lease_seconds),
                    updated_at=now,
                )
                .returning(*jobs.c)
            )
        ).first()
        return None if claimed is None else to_job(claimed)

    async def mark_delivered(self, job_id: str, owner: str, now: datetime) -> bool:
        """The platform took the reply: record it and forget the address's secrets."""
        return await self._settle_claim(
            job_id,
            owner,
            delivered_at=now,
            address_secrets=None,
            secrets_expire_at=None,
            updated_at=now,
        )

    async def release_delivery(
        self, job_id: str, owner: str, now: datetime, retry_at: datetime
    ) -> bool:
        """A send failed: give the claim back, due again at ``retry_at``."""
        return await self._settle_claim(
            job_id,
            owner,
            delivery_attempts=jobs.c.delivery_attempts + 1,
            deliver_after=retry_at,
            updated_at=now,
        )

    async def give_up_delivery(self, job_id: str, owner: str, now: datetime) -> bool:
        """A send failed for the last time: the reply is undeliverable, its secrets go."""
        return await self._settle_claim(
            job_id,
            owner,
            delivery_attempts=jobs.c.delivery_attempts + 1,
            undeliverable_at=now,
            address_secrets=None,
            secrets_expire_at=None,
            updated_at=now,
        )

    async def of_tenant(self, platform: str, tenant: str) -> list[Job]:
        """A workspace's or server's unfinished jobs."""
        rows = await self._connection.execute(
            select(jobs).where(
                jobs.c.route == platform,
                jobs.c.tenant == tenant,
                jobs.c.status.in_(_UNFINISHED),
            )
        )
        return [to_job(row) for row in rows]

    async def mark_undeliverable(self, job_id: str, now: datetime) -> bool:
        """Nobody can ever receive this reply (its workspace removed the bot)."""
        result = await self._connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.delivered_at.is_(None))
            .values(
                undeliverable_at=now,
                address_secrets=None,
                secrets_expire_at=None,
                delivery_owner=None,
                delivery_lease_expires_at=None,
                updated_at=now,
            )
        )
        return result.rowcount == 1

    async def _settle_claim(self, job_id: str, owner: str, **values: Any) -> bool:
        """End ``owner``'s claim on an undelivered reply, setting ``values``."""
        held = (jobs.c.id == job_id, jobs.c.delivered_at.is_(None), jobs.c.delivery_owner == owner)
        result = await self._connection.execute(
            update(jobs)
            .where(*held)
            .values(delivery_owner=None, delivery_lease_expires_at=None, **values)
        )
        return result.rowcount == 1

    async def wipe_secrets(self, now: datetime) -> int:
        """Forget address secrets (interaction tokens) past their expiry."""
        result = await self._connection.execute(
            update(jobs)
            .where(jobs.c.address_secrets.is_not(None), jobs.c.secrets_expire_at <= now)
            .values(address_secrets=None, secrets_expire_at=None, updated_at=now)
        )
        return int(result.rowcount)
