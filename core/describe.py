"""/describe: a ready-to-use generation prompt written from a product photo or page."""

from __future__ import annotations

from dataclasses import asdict

from core import messages
from core.commands import Describe
from core.errors import BadInput
from core.imaging import Product
from core.jobs import Finished
from core.model import Account, Job, ReplyAddress
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

    async def describe(
        self, account: Account, command: Describe, address: ReplyAddress
    ) -> Progress:
        if command.image is None and not command.url:
            raise BadInput(messages.DESCRIBE_NEEDS_SOURCE)
        source = await self._sources.resolve(command.image, command.url)
        payload = {
            "product": asdict(source.product) if source.product else None,
            "url": command.url or None,
        }
        text = messages.DESCRIBE_QUEUED.format(job_id="{job_id}", cost=self._cost)
        return await self._queue.enqueue(
            account, address, DESCRIBE, payload, self._cost, text, source.image
        )

    async def run(self, job: Job) -> Finished:
        source = await self._queue.load_source(job.payload)
        product = job.payload.get("product")
        prompt = await self._describer.describe(
            source,
            Product(**{**product, "image_urls": tuple(product["image_urls"])}) if product else None,
        )
        return Finished(
            reply=Text(messages.DESCRIBED.format(prompt=prompt, cost=job.cost)),
            cleanup=owned_upload(job),  # a processing copy only, dropped once recorded
        )

    async def discard(self, job: Job) -> None:
        await self._queue.discard_upload(job)
