"""/describe: a ready-to-use generation prompt written from a product photo or page."""

from __future__ import annotations

from core import messages
from core.commands import Describe
from core.context import Context
from core.errors import BadInput
from core.jobs import Finished
from core.model import Job
from core.payloads import DescribePayload
from core.ports import Describer
from core.queueing import Enqueuer, owned_upload
from core.replies import Progress, Text
from core.sources import Sources

DESCRIBE = "describe"


class Describing:
    """Queues /describe as a job of a small fixed cost, and runs it."""

    def __init__(
        self, *, enqueuer: Enqueuer, sources: Sources, describer: Describer, cost: int
    ) -> None:
        self._queue = enqueuer
        self._sources = sources
        self._describer = describer
        self._cost = cost

    async def describe(self, context: Context, command: Describe) -> Progress:
        if command.image is None and not command.url:
            raise BadInput(messages.DESCRIBE_NEEDS_SOURCE)
        source = await self._sources.resolve(command.image, command.url)
        payload = DescribePayload(product=source.product, url=command.url or None)
        text = messages.DESCRIBE_QUEUED.format(job_id="{job_id}", cost=self._cost)
        return await self._queue.enqueue(context, payload, self._cost, text, source.image)

    async def run(self, job: Job) -> Finished:
        payload = job.payload
        if not isinstance(payload, DescribePayload):
            raise TypeError(f"describing cannot run a {job.kind} job")
        source = await self._queue.load_source(payload)
        prompt = await self._describer.describe(source, payload.product)
        return Finished(
            reply=Text(messages.DESCRIBED.format(prompt=prompt)),
            cleanup=owned_upload(job),  # a processing copy only, dropped once recorded
        )

    async def discard(self, job: Job) -> None:
        await self._queue.discard_upload(job)
