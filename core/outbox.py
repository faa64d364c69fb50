"""Final replies wait in the outbox until a platform took them: leased, retried, never lost."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from core.model import Job, ReplyAddress
from core.ports import Clock, Delivery, UnitOfWorkFactory
from core.replies import Reply, reply_from_data

log = logging.getLogger(__name__)


class NoDelivery(LookupError):
    """This process has no delivery for the route of an address."""


class Deliveries:
    """The deliveries this process has, by route (a platform, or one local endpoint)."""

    def __init__(self) -> None:
        self._by_route: dict[str, Delivery] = {}

    def register(self, route: str, delivery: Delivery) -> None:
        self._by_route[route] = delivery

    def routes(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_route))

    def can_deliver(self, address: ReplyAddress) -> bool:
        return address.route in self._by_route

    async def __call__(self, address: ReplyAddress, reply: Reply) -> None:
        """Deliver, or raise ``NoDelivery`` (never drop a reply silently)."""
        delivery = self._by_route.get(address.route)
        if delivery is None:
            raise NoDelivery(address.route)
        await delivery.deliver(address, reply)


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    """How long a delivery claim lasts, how long a reply waits for its final address,
    and the backoff between failed attempts."""

    lease_seconds: float = 60.0
    hold_seconds: float = 30.0
    base_seconds: float = 5.0
    cap_seconds: float = 900.0
    #: A reply still not delivered this long after its job finished is given up.
    give_up_after: timedelta = timedelta(days=1)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1)))


class Outbox:
    """Sends stored replies. A send is claimed under a lease first, so two processes
    never both send; a claim whose process died lapses, and the reply goes out again.
    So a reply is delivered once in the common case and never zero times; only a
    process that dies after the platform took a reply but before recording it (or a
    send slower than the lease) can make it twice."""

    def __init__(
        self,
        *,
        owner: str,
        uow_factory: UnitOfWorkFactory,
        deliveries: Deliveries,
        clock: Clock,
        policy: OutboxPolicy | None = None,
    ) -> None:
        self.owner = owner
        self._uow = uow_factory
        self._deliveries = deliveries
        self._clock = clock
        self.policy = policy or OutboxPolicy()

    async def send(self, job: Job) -> bool:
        """Send one finished job's reply now, if this process can and nothing holds it
        back; ``True`` when the platform took it."""
        if not self._deliveries.can_deliver(job.address):
            return False
        # The address in hand may be stale (re-addressed meanwhile): the claim decides.
        return await self._claim_and_send(job.id, final_only=True)

    async def flush(self, limit: int = 20) -> int:
        """Send replies that are due (failed before, held, or left by a dead process);
        returns how many went out."""
        routes = self._deliveries.routes()
        if not routes:
            return 0
        now = self._clock()
        hold = now - timedelta(seconds=self.policy.hold_seconds)
        async with self._uow(readonly=True) as uow:
            due = await uow.jobs.outbox(routes, now, hold, limit)
        sent = 0
        for job_id in due:
            sent += await self._claim_and_send(job_id)
        return sent

    async def _claim_and_send(self, job_id: str, *, final_only: bool = False) -> bool:
        async with self._uow() as uow:
            job = await uow.jobs.claim_delivery(
                job_id,
                self.owner,
                self._clock(),
                self.policy.lease_seconds,
                final_only=final_only,
            )
            await uow.commit()
        if job is None:
            return False
        stored = job.result.get("reply")
        try:
            if stored is None:
                raise LookupError(f"job {job.id} has no stored reply")
            await self._deliveries(job.address, reply_from_data(stored))
        except Exception as error:
            await self._give_back(job, error)
            return False
        # The platform took it: record that even if this process is being stopped.
        recording = asyncio.ensure_future(self._record(job))
        try:
            await asyncio.shield(recording)
        except asyncio.CancelledError:
            await recording
            raise
        return True

    async def _record(self, job: Job) -> None:
        async with self._uow() as uow:
            recorded = await uow.jobs.mark_delivered(job.id, self.owner, self._clock())
            await uow.commit()
        if not recorded:
            log.warning("the delivery claim on job %s lapsed while it was being sent", job.id)

    async def _give_back(self, job: Job, error: Exception) -> None:
        now = self._clock()
        finished = job.finished_at or job.created_at
        if now - finished >= self.policy.give_up_after:
            log.error(
                "gave up delivering the reply of job %s to %s after %d attempts (%s)",
                job.id,
                job.route,
                job.delivery_attempts + 1,
                type(error).__name__,
            )
            async with self._uow() as uow:
                await uow.jobs.give_up_delivery(job.id, self.owner, now)
                await uow.commit()
            return
        retry_at = now + self.policy.backoff(job.delivery_attempts + 1)
        log.warning(
            "could not deliver the reply of job %s to %s (%s); trying again at %s",
            job.id,
            job.route,
            type(error).__name__,
            retry_at.isoformat(timespec="seconds"),
        )
        async with self._uow() as uow:
            await uow.jobs.release_delivery(job.id, self.owner, self._clock(), retry_at)
            await uow.commit()
