"""Queueing a job: store its source, reserve its cost and add its row, all or nothing."""

from __future__ import annotations

from typing import Any

from core import messages
from core.credits import Credits
from core.errors import BadInput
from core.ids import new_id
from core.imaging import SourceImage
from core.model import Account, Job, JobStatus, ReplyAddress
from core.ports import BlobStore, Clock, UnitOfWorkFactory
from core.replies import Action, Progress


def upload_key(account_id: str, job_id: str) -> str:
    """Where a job keeps the normalised image it works from."""
    return f"uploads/{account_id}/{job_id}.png"


def owns_upload(job: Job) -> bool:
    """Whether the job's source file is its own (rerolls and reformats share another's)."""
    return job.payload.get("source_key") == upload_key(job.account_id, job.id)


def owned_upload(job: Job) -> tuple[str, ...]:
    """The job's own upload key, if it has one (for deletion once it is done)."""
    return (upload_key(job.account_id, job.id),) if owns_upload(job) else ()


class Enqueuer:
    """Puts checked requests on the queue; workers in any process take them from there."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        credits: Credits,
        blobs: BlobStore,
        clock: Clock,
        max_attempts: int = 3,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._blobs = blobs
        self._clock = clock
        self._max_attempts = max_attempts

    async def enqueue(
        self,
        account: Account,
        address: ReplyAddress,
        kind: str,
        payload: dict[str, Any],
        cost: int,
        text: str,
        source: SourceImage | None = None,
    ) -> Progress:
        """Queue a job and answer with its progress reply (``text`` may use ``{job_id}``).

        Raises ``InsufficientCredits`` with nothing stored when the balance is short.
        """
        job_id = new_id("job")
        payload = dict(payload)
        written: str | None = None
        if source is not None:
            written = upload_key(account.id, job_id)
            await self._blobs.put(written, source.data, "image/png")
            payload.update(
                source_key=written,
                source_size=[source.width, source.height],
                source_alpha=source.has_alpha,
            )
        job = Job(
            id=job_id,
            account_id=account.id,
            kind=kind,
            status=JobStatus.QUEUED,
            payload=payload,
            address=address,
            cost=cost,
            created_at=self._clock(),
            max_attempts=self._max_attempts,
            queue=address.queue,
        )
        try:
            async with self._uow() as uow:
                await self._credits.reserve(uow, account.id, job_id, cost)
                await uow.jobs.add(job)
                await uow.commit()
        except BaseException:
            if written is not None:
                await self._blobs.delete(written)
            raise
        return Progress(
            text=text.format(job_id=job_id),
            job_id=job_id,
            actions=(Action("cancel", "Cancel", f"/cancel {job_id}"),),
        )

    async def load_source(self, payload: dict[str, Any]) -> SourceImage | None:
        """The image a queued job works from, or ``None`` for a prompt-only job."""
        key = payload.get("source_key")
        if not key:
            return None
        try:
            data = await self._blobs.get(str(key))
        except KeyError:
            raise BadInput(messages.SOURCE_GONE) from None
        width, height = (int(v) for v in payload["source_size"])
        return SourceImage(
            data=data, width=width, height=height, has_alpha=bool(payload.get("source_alpha"))
        )

    async def discard_upload(self, job: Job) -> None:
        """Delete the job's own source file (not one it shares with an earlier job)."""
        if owns_upload(job):
            await self._blobs.delete(upload_key(job.account_id, job.id))
