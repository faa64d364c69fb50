"""Queueing a job: store its source, reserve its cost and add its row, all or nothing."""

from __future__ import annotations

from dataclasses import replace

from core import messages
from core.commands import Cancel
from core.context import Context
from core.credits import Credits
from core.errors import BadInput
from core.idempotency import Idempotency
from core.ids import new_id
from core.imaging import SourceImage
from core.model import Job, JobStatus
from core.payloads import DescribePayload, ImaginePayload, JobPayload, ReformatPayload, SourceRef
from core.ports import BlobStore, Clock, UnitOfWorkFactory
from core.replies import Action, ActionKind, Private, Progress


def upload_key(account_id: str, job_id: str, extension: str = "png") -> str:
    """Where a job keeps the checked image it works from."""
    return f"uploads/{account_id}/{job_id}.{extension}"


def source_of(payload: JobPayload) -> SourceRef | None:
    if isinstance(payload, ReformatPayload):
        return payload.original.source
    if isinstance(payload, ImaginePayload | DescribePayload):
        return payload.source
    return None


def owns_upload(job: Job) -> bool:
    """Whether the job's source file is its own (rerolls and reformats share another's)."""
    source = source_of(job.payload)
    own = upload_key(job.account_id, job.id, "")
    return source is not None and source.key.startswith(own) and "/" not in source.key[len(own) :]


def owned_upload(job: Job) -> tuple[str, ...]:
    """The job's own upload key, if it has one (for deletion once it is done)."""
    source = source_of(job.payload)
    return (source.key,) if source is not None and owns_upload(job) else ()


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
        context: Context,
        payload: JobPayload,
        cost: int,
        text: str,
        source: SourceImage | None = None,
    ) -> Progress:
        """Queue a job and answer with its progress reply (``text`` may use ``{job_id}``).

        The reservation, the job and the request's stored answer commit together.
        Raises ``InsufficientCredits`` with nothing stored when the balance is short.
        """
        reply = await self._enqueue(context, payload, cost, text, source, private=False)
        assert isinstance(reply, Progress)
        return reply

    async def enqueue_private(
        self, context: Context, payload: JobPayload, cost: int, text: str
    ) -> Private:
        """Queue a job whose work is the requester's alone (an export): the answer is a
        private reply, and the result goes to the address as given (no public message
        will thread it)."""
        reply = await self._enqueue(context, payload, cost, text, None, private=True)
        assert isinstance(reply, Private)
        return reply

    async def _enqueue(
        self,
        context: Context,
        payload: JobPayload,
        cost: int,
        text: str,
        source: SourceImage | None,
        *,
        private: bool,
    ) -> Progress | Private:
        account = context.account
        job_id = new_id("job")
        written: str | None = None
        if source is not None and isinstance(payload, ImaginePayload | DescribePayload):
            written = upload_key(account.id, job_id, source.extension)
            await self._blobs.put(written, source.data, source.media_type)
            ref = SourceRef(
                key=written, width=source.width, height=source.height, alpha=source.has_alpha
            )
            payload = payload.model_copy(update={"source": ref})
        job = Job(
            id=job_id,
            account_id=account.id,
            wallet_id=account.wallet_id,  # or the team's, chosen as the cost is held
            status=JobStatus.QUEUED,
            payload=payload,
            address=replace(context.address, final=True) if private else context.address,
            cost=cost,
            created_at=self._clock(),
            max_attempts=self._max_attempts,
            tenant=context.tenant,
        )
        cancel = Action(ActionKind.CANCEL, messages.ACTION_LABEL_CANCEL, Cancel(job_id), account.id)
        progress: Progress | Private = (
            Private(text=text.format(job_id=job_id), job_id=job_id)
            if private
            else Progress(text=text.format(job_id=job_id), job_id=job_id, actions=(cancel,))
        )
        try:
            async with self._uow() as uow:
                spending = await self._credits.spending(
                    uow, account, context.platform, context.tenant
                )
                job.wallet_id = spending.wallet_id
                await self._credits.reserve(
                    uow, job.wallet_id, job_id, cost, account.id, cap=spending.cap
                )
                await uow.jobs.add(job)
                if context.claim is not None:
                    await Idempotency.store(uow, context.claim, progress)
                await uow.commit()
        except BaseException:
            if written is not None:
                await self._blobs.delete(written)
            raise
        return progress

    async def load_source(self, payload: JobPayload) -> SourceImage | None:
        """The image a queued job works from, or ``None`` for a prompt-only job."""
        ref = source_of(payload)
        if ref is None:
            return None
        try:
            data = await self._blobs.get(ref.key)
        except KeyError:
            raise BadInput(messages.SOURCE_GONE) from None
        return SourceImage(data=data, width=ref.width, height=ref.height, has_alpha=ref.alpha)

    async def discard_upload(self, job: Job) -> None:
        """Delete the job's own source file (not one it shares with an earlier job)."""
        for key in owned_upload(job):
            await self._blobs.delete(key)
