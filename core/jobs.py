"""Durable jobs: claimed with a lease, retried with backoff, settled exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core import messages
from core.credits import Credits
from core.errors import AioeError, ProviderFailed, RateLimited
from core.model import ImageRecord, Job, JobStatus
from core.outbox import Deliveries, Outbox
from core.ports import BlobStore, Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Error, Reply, reply_to_data

log = logging.getLogger(__name__)

FinishedHook = Callable[[Job], None]


@dataclass(frozen=True, slots=True)
class Finished:
    """A job's successful outcome: the reply, and what to record with it.

    ``blob_keys`` are the files this attempt wrote; they are deleted if the attempt
    turns out to have lost the job (cancelled, or taken over by another worker).
    """

    reply: Reply
    images: tuple[ImageRecord, ...] = ()
    blob_keys: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()  # files to delete once the success is recorded


class JobHandler(Protocol):
    """Does one kind of job. Raises core errors; ``ProviderFailed(transient=True)`` retries."""

    async def run(self, job: Job) -> Finished: ...

    async def discard(self, job: Job) -> None:
        """The job ended without success (failed or cancelled): drop what it kept."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff; a vendor's ``Retry-After`` wins, up to ``max_wait_seconds``."""

    base_seconds: float = 2.0
    cap_seconds: float = 120.0
    max_wait_seconds: float = 900.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = min(self.cap_seconds, self.base_seconds * 2.0 ** max(attempt - 1, 0))
        return float(min(self.max_wait_seconds, max(backoff, retry_after or 0.0)))


async def discard_quietly(handler: JobHandler, job: Job) -> None:
    """Drop what an ended job kept; a failure here is logged, never shown to a user."""
    try:
        await handler.discard(job)
    except Exception:
        log.exception("could not discard what job %s kept", job.id)


async def cancel_job(
    uow: UnitOfWork, credits: Credits, job: Job, now: datetime, reason: str
) -> bool:
    """Cancel a queued or running job and return its credits; ``False`` if it had
    already ended. The caller commits."""
    cancelled = await uow.jobs.transition(
        job.id,
        JobStatus.CANCELLED,
        expect=(JobStatus.QUEUED, JobStatus.RUNNING),
        now=now,
        finished_at=now,
        lease_owner=None,
        lease_expires_at=None,
    )
    if cancelled:
        await credits.release(uow, job, reason)
    return cancelled


async def release_orphaned(
    *,
    uow_factory: UnitOfWorkFactory,
    credits: Credits,
    handlers: Mapping[str, JobHandler],
    clock: Clock,
) -> int:
    """Cancel jobs that nobody will ever deliver (the process-local endpoint they were
    for, a terminal, stopped renewing its lease), returning their credits; returns how
    many there were."""
    now = clock()
    async with uow_factory(readonly=True) as uow:
        stale = await uow.jobs.orphaned(now)
    count = 0
    for job in stale:
        async with uow_factory() as uow:
            cancelled = await cancel_job(uow, credits, job, now, messages.LEDGER_ABANDONED)
            await uow.commit()
        if cancelled:
            count += 1
            if job.kind in handlers:
                await discard_quietly(handlers[job.kind], job)
    if count:
        log.info("cancelled %d job(s) whose chat session had ended", count)
    return count


class LeaseLost(Exception):
    """The job was cancelled, or another worker took it over, while this one worked."""


class Worker:
    """Claims jobs from its queues and runs them; any number may run, in any process."""

    def __init__(
        self,
        *,
        name: str,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[str, JobHandler],
        credits: Credits,
        blobs: BlobStore,
        deliveries: Deliveries,
        outbox: Outbox,
        clock: Clock,
        routes: tuple[str, ...] | None = None,
        lease_seconds: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self._routes = routes
        self._deliveries = deliveries
        self.outbox = outbox
        self._uow = uow_factory
        self._handlers = handlers
        self._credits = credits
        self._blobs = blobs
        self._clock = clock
        self._lease = lease_seconds
        self._retry = retry or RetryPolicy()
        self._finished_hooks: list[FinishedHook] = []
        self.wake = asyncio.Event()

    def on_finished(self, hook: FinishedHook) -> None:
        """Call ``hook(job)`` whenever this worker brings a job to an end."""
        self._finished_hooks.append(hook)

    @property
    def routes(self) -> tuple[str, ...]:
        """Where this worker can deliver, so which jobs it takes: by default every
        route this process has a delivery for, as it is now."""
        return self._routes if self._routes is not None else self._deliveries.routes()

    async def run_once(self) -> bool:
        """Claim and run one job; ``False`` when none was due."""
        routes = self.routes
        if not routes:
            return False
        async with self._uow() as uow:
            job = await uow.jobs.claim(self.name, self._clock(), self._lease, routes)
            await uow.commit()
        if job is None:
            return False
        await self._process(job)
        return True

    async def drain(self) -> int:
        """Run jobs until none is due; returns how many ran."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def run_forever(
        self,
        poll_seconds: float = 1.0,
        tend: Callable[[], Awaitable[None]] | None = None,
        tend_every: timedelta = timedelta(seconds=15),
    ) -> None:
        """Work until cancelled, waking early when ``wake`` is set; when idle, send the
        replies that came due in the outbox (as often as its backoff's first step) and,
        every ``tend_every``, call ``tend`` (the process's upkeep)."""
        flush_every = timedelta(seconds=self.outbox.policy.base_seconds)
        chores: list[tuple[timedelta, Callable[[], Awaitable[object]]]] = [
            (flush_every, self.outbox.flush)
        ]
        if tend is not None:
            chores.append((tend_every, tend))
        due = [self._clock()] * len(chores)
        while True:
            try:
                busy = await self.run_once()
                for index, (every, chore) in enumerate(chores):
                    if not busy and self._clock() >= due[index]:
                        due[index] = self._clock() + every
                        await chore()
            except Exception:
                log.exception("worker %s could not claim a job", self.name)
                busy = False
            if not busy:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), poll_seconds)

    # --- one job -------------------------------------------------------------------
    async def _process(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:
            log.error("no handler for job kind %s (job %s)", job.kind, job.id)
            await self._fail(job, None, self._failed(job, messages.INTERNAL_FAILURE))
            return
        if job.attempts > job.max_attempts:  # the workers running it kept dying
            await self._fail(job, handler, self._failed(job, messages.JOB_KEPT_STOPPING))
            return
        try:
            outcome = await self._run_leased(job, handler)
        except LeaseLost:
            log.info("job %s was cancelled or taken over; worker %s let it go", job.id, self.name)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():  # this worker is stopping
                await asyncio.shield(self._hand_back(job))
                raise
            log.error("job %s (%s) was cancelled from inside its handler", job.id, job.kind)
            await self._fail(job, handler, self._failed(job, messages.INTERNAL_FAILURE))
        except ProviderFailed as error:
            if error.transient:
                retry_after = error.retry_after if isinstance(error, RateLimited) else None
                await self._retry_or_fail(job, handler, error, retry_after)
            else:
                await self._fail(job, handler, self._failed(job, error.message))
        except AioeError as error:  # the request itself was refused: a full sentence
            refund = messages.CREDITS_RETURNED.format(cost=job.cost)
            await self._fail(job, handler, f"{error.message} {refund}")
        except Exception:
            log.exception("job %s (%s) failed unexpectedly", job.id, job.kind)
            await self._fail(job, handler, self._failed(job, messages.INTERNAL_FAILURE))
        else:
            await self._succeed(job, outcome)

    async def _run_leased(self, job: Job, handler: JobHandler) -> Finished:
        """Run the handler while renewing the lease; stop it as soon as the job is lost."""
        work = asyncio.ensure_future(handler.run(job))
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=self._lease / 3)
                if done:
                    return work.result()
                if not await self._renew(job):
                    raise LeaseLost(job.id)
        finally:
            if not work.done():
                work.cancel()
                # wait() never raises the work's own outcome, but does pass on this
                # worker's cancellation (a shutdown arriving meanwhile).
                await asyncio.wait({work})

    async def _renew(self, job: Job) -> bool:
        """Extend the lease; ``False`` only when the job is certainly no longer ours."""
        try:
            async with self._uow() as uow:
                kept = await uow.jobs.transition(
                    job.id,
                    JobStatus.RUNNING,
                    expect=(JobStatus.RUNNING,),
                    now=self._clock(),
                    worker=self.name,
                    lease_expires_at=self._clock() + timedelta(seconds=self._lease),
                )
                await uow.commit()
        except Exception:  # a database hiccup: keep working, try again next beat
            log.warning("could not renew the lease of job %s", job.id, exc_info=True)
            return True
        return kept

    async def _hand_back(self, job: Job) -> None:
        """This worker is stopping: put its job back in the queue for another one."""
        try:
            await self._requeue(job, timedelta(0))
        except Exception:
            log.warning("could not hand job %s back; its lease will lapse", job.id, exc_info=True)

    @staticmethod
    def _failed(job: Job, reason: str) -> str:
        return messages.JOB_FAILED.format(reason=reason, cost=job.cost)

    async def _succeed(self, job: Job, outcome: Finished) -> None:
        now = self._clock()
        async with self._uow() as uow:
            won = await uow.jobs.transition(
                job.id,
                JobStatus.SUCCEEDED,
                expect=(JobStatus.RUNNING,),
                now=now,
                worker=self.name,
                finished_at=now,
                lease_owner=None,
                lease_expires_at=None,
                result={
                    "images": [image.id for image in outcome.images],
                    "reply": reply_to_data(outcome.reply),
                },
            )
            if won:
                for image in outcome.images:
                    await uow.images.add(image)
                await self._credits.capture(uow, job)
                await uow.commit()
        if not won:
            # Cancelled meanwhile, or taken over: this attempt's files are nobody's.
            for key in outcome.blob_keys:
                await self._blobs.delete(key)
            return
        for key in outcome.cleanup:
            await self._blobs.delete(key)
        await self.outbox.send(job)
        self._notify(job)

    async def _retry_or_fail(
        self, job: Job, handler: JobHandler, error: ProviderFailed, retry_after: float | None
    ) -> None:
        if job.attempts >= job.max_attempts:
            await self._fail(job, handler, self._failed(job, messages.PROVIDER_UNAVAILABLE))
            return
        delay = self._retry.delay(job.attempts, retry_after)
        log.info(
            "job %s attempt %d failed (%s); retrying in %.1fs",
            job.id,
            job.attempts,
            type(error).__name__,
            delay,
        )
        await self._requeue(job, timedelta(seconds=delay), error.message)

    async def _requeue(self, job: Job, after: timedelta, error: str = "") -> None:
        """Back to the queue, due ``after`` from now, free for any worker to claim."""
        async with self._uow() as uow:
            await uow.jobs.transition(
                job.id,
                JobStatus.QUEUED,
                expect=(JobStatus.RUNNING,),
                now=self._clock(),
                worker=self.name,
                lease_owner=None,
                lease_expires_at=None,
                run_after=self._clock() + after,
                error=error,
            )
            await uow.commit()

    async def _fail(self, job: Job, handler: JobHandler | None, text: str) -> None:
        now = self._clock()
        async with self._uow() as uow:
            won = await uow.jobs.transition(
                job.id,
                JobStatus.FAILED,
                expect=(JobStatus.RUNNING,),
                now=now,
                worker=self.name,
                finished_at=now,
                lease_owner=None,
                lease_expires_at=None,
                error=text,
                result={"reply": reply_to_data(Error(text))},
            )
            if won:
                await self._credits.release(uow, job, messages.LEDGER_JOB_FAILED)
                await uow.commit()
        if not won:
            return
        if handler is not None:
            await discard_quietly(handler, job)
        await self.outbox.send(job)
        self._notify(job)

    def _notify(self, job: Job) -> None:
        for hook in self._finished_hooks:
            hook(job)
