"""/imagine, /reroll and /reformat: check, reserve, queue; the jobs make and store images."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from core import messages
from core.commands import Imagine, Reformat, Reroll
from core.context import Context
from core.errors import BadInput, NotFound
from core.ids import new_id
from core.imaging import RenderedImage, RenderSpec, SourceImage
from core.jobs import Finished
from core.links import Links
from core.model import ImageRecord, Job
from core.payloads import ImaginePayload, JobPayload, ReformatPayload
from core.ports import (
    BlobStore,
    Clock,
    ImageProvider,
    Moderator,
    Reframer,
    UnitOfWorkFactory,
)
from core.queueing import Enqueuer
from core.replies import Action, ActionKind, Choice, ImageOut, Images, Progress
from core.sources import Sources
from core.templates import Catalog, Format, Template

IMAGINE = "imagine"
REFORMAT = "reformat"
MAX_IMAGES = 4
MAX_PROMPT = 1000


def image_key(account_id: str, image_id: str, fmt: str = "png") -> str:
    return f"images/{account_id}/{image_id}.{fmt}"


def new_seed() -> int:
    return secrets.randbelow(2**31)


@dataclass(frozen=True, slots=True)
class Costs:
    reformat: int = 1


class Generation:
    """Queues generation jobs and runs them (it handles both job kinds)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        enqueuer: Enqueuer,
        blobs: BlobStore,
        sources: Sources,
        provider: ImageProvider,
        studio: ImageProvider,
        reframer: Reframer,
        catalog: Catalog,
        links: Links,
        clock: Clock,
        moderator: Moderator | None = None,
        costs: Costs | None = None,
    ) -> None:
        self._uow = uow_factory
        self._queue = enqueuer
        self._blobs = blobs
        self._sources = sources
        self._provider = provider
        self._studio = studio
        self._reframer = reframer
        self._catalog = catalog
        self._links = links
        self._clock = clock
        self._moderator = moderator
        self._costs = costs or Costs()

    # --- commands --------------------------------------------------------------
    async def imagine(self, context: Context, command: Imagine) -> Progress:
        """Check everything first: a refused request stores and charges nothing."""
        prompt = command.prompt.strip()
        if not 1 <= command.n <= MAX_IMAGES:
            raise BadInput(messages.N_OUT_OF_RANGE)
        if len(prompt) > MAX_PROMPT:
            raise BadInput(messages.PROMPT_TOO_LONG.format(limit=MAX_PROMPT))
        template = self._catalog.template(command.template)
        fmt = self._catalog.format(command.format, template)
        if command.image is None and not command.url:
            if not prompt:
                raise BadInput(messages.NOTHING_TO_MAKE)
            if not self._provider.supports_prompt_only:
                raise BadInput(messages.PROMPT_ONLY_NEEDS_AI)
        await self._moderate(prompt)
        source = await self._sources.resolve(command.image, command.url)
        payload = ImaginePayload(
            prompt=prompt,
            template=template.name,
            format=fmt.name,
            n=command.n,
            seed=new_seed(),
            provider=self._provider.name,
            product=source.product,
            url=command.url or None,
        )
        cost = command.n * self._provider.cost_per_image()
        text = self._queued_text(command.n, template, fmt, cost)
        return await self._queue.enqueue(context, payload, cost, text, source.image)

    async def reroll(self, context: Context, command: Reroll) -> Progress:
        """The request that made an earlier image, again with a new seed: one image."""
        _, original = await self._original(context, command.image_id)
        payload = original.model_copy(
            update={"n": 1, "seed": new_seed(), "provider": self._provider.name}
        )
        if payload.source is None and not self._provider.supports_prompt_only:
            raise BadInput(messages.PROMPT_ONLY_NEEDS_AI)
        await self._moderate(payload.prompt)
        await self._require_source(payload)
        template = self._catalog.template(payload.template)
        fmt = self._catalog.format(payload.format, template)
        cost = self._provider.cost_per_image()
        text = self._queued_text(1, template, fmt, cost)
        return await self._queue.enqueue(context, payload, cost, text)

    async def reformat(self, context: Context, command: Reformat) -> Progress:
        """An earlier image in another format, without a new AI call."""
        record, original = await self._original(context, command.image_id)
        template = self._catalog.template(record.template)
        fmt = self._catalog.format(command.format, template)
        if fmt.name == record.format_name:
            raise BadInput(messages.SAME_FORMAT.format(format=fmt.name))
        await self._require_source(original)
        payload = ReformatPayload(image_id=record.id, format=fmt.name, original=original)
        cost = self._costs.reformat
        text = self._queued_text(1, template, fmt, cost)
        return await self._queue.enqueue(context, payload, cost, text)

    async def _moderate(self, prompt: str) -> None:
        if prompt and self._moderator is not None:
            await self._moderator.check(prompt)

    async def _original(
        self, context: Context, image_id: str
    ) -> tuple[ImageRecord, ImaginePayload]:
        """An image of the requester's and the request that made it."""
        async with self._uow(readonly=True) as uow:
            record = await uow.images.get(image_id.strip())
            job = await uow.jobs.get(record.job_id) if record else None
        if record is None or job is None or record.account_id != context.account.id:
            raise NotFound(messages.IMAGE_NOT_FOUND.format(image_id=image_id))
        payload = job.payload
        if isinstance(payload, ReformatPayload):
            payload = payload.original.model_copy(update={"format": payload.format})
        if not isinstance(payload, ImaginePayload):
            raise NotFound(messages.IMAGE_NOT_FOUND.format(image_id=image_id))
        return record, payload

    async def _require_source(self, payload: ImaginePayload) -> None:
        if payload.source is not None and not await self._blobs.exists(payload.source.key):
            raise BadInput(messages.SOURCE_GONE)

    @staticmethod
    def _queued_text(n: int, template: Template, fmt: Format, cost: int) -> str:
        return messages.JOB_QUEUED.format(
            n=n, template=template.name, format=fmt.name, job_id="{job_id}", cost=cost
        )

    # --- the job handler ---------------------------------------------------------
    async def run(self, job: Job) -> Finished:
        payload = job.payload
        if isinstance(payload, ReformatPayload):
            template = self._catalog.template(payload.original.template)
            fmt = self._catalog.format(payload.format, template)
            source = await self._queue.load_source(payload)
            rendered = [await self._reformatted(payload, template, fmt, source)]
        elif isinstance(payload, ImaginePayload):
            template = self._catalog.template(payload.template)
            fmt = self._catalog.format(payload.format, template)
            source = await self._queue.load_source(payload)
            spec = self._spec(payload, template, fmt, source)
            rendered = await self._provider.render(spec, payload.n)
        else:
            raise TypeError(f"generation cannot run a {job.kind} job")
        return await self._store(job, rendered, template, fmt)

    async def discard(self, job: Job) -> None:
        """A failed or cancelled generation keeps no copy of its upload."""
        await self._queue.discard_upload(job)

    @staticmethod
    def _spec(
        payload: ImaginePayload, template: Template, fmt: Format, source: SourceImage | None
    ) -> RenderSpec:
        return RenderSpec(
            prompt=payload.prompt,
            template=template,
            format=fmt,
            source=source,
            product=payload.product,
            seed=payload.seed,
        )

    async def _reformatted(
        self, payload: ReformatPayload, template: Template, fmt: Format, source: SourceImage | None
    ) -> RenderedImage:
        """Studio pictures are composed again; AI pictures are reframed. No AI call."""
        if payload.original.provider == self._studio.name and source is not None:
            spec = self._spec(payload.original, template, fmt, source)
            return (await self._studio.render(spec, 1))[0]
        async with self._uow(readonly=True) as uow:
            original = await uow.images.get(payload.image_id)
        if original is None:
            raise BadInput(messages.SOURCE_GONE)
        try:
            picture = await self._blobs.get(original.blob_key)
        except KeyError:
            raise BadInput(messages.SOURCE_GONE) from None
        return await self._reframer.reframe(picture, fmt)

    async def _store(
        self, job: Job, rendered: list[RenderedImage], template: Template, fmt: Format
    ) -> Finished:
        """Each attempt writes new files under new ids: an attempt that loses the job
        can delete its own files without touching the winner's."""
        now = self._clock()
        records: list[ImageRecord] = []
        for picture in rendered:
            image_id = new_id("img")
            key = image_key(job.account_id, image_id, picture.format)
            await self._blobs.put(key, picture.data, picture.content_type)
            records.append(
                ImageRecord(
                    id=image_id,
                    account_id=job.account_id,
                    job_id=job.id,
                    blob_key=key,
                    width=picture.width,
                    height=picture.height,
                    format=picture.format,
                    template=template.name,
                    format_name=fmt.name,
                    prompt=_prompt_of(job.payload),
                    created_at=now,
                    content_type=picture.content_type,
                )
            )
        outs = tuple(
            ImageOut(
                id=r.id,
                link=self._links.image_link(r.id),
                width=r.width,
                height=r.height,
                encoding=r.format,
                actions=self._image_actions(r, job.account_id),
            )
            for r in records
        )
        text = messages.JOB_DONE.format(n=len(outs), template=template.name, format=fmt.name)
        return Finished(
            reply=Images(text=text, images=outs),
            images=tuple(records),
            blob_keys=tuple(r.blob_key for r in records),
        )

    def _image_actions(self, record: ImageRecord, owner: str) -> tuple[Action, ...]:
        """More like this, and the formats this image is not in yet."""
        others = tuple(
            Choice(f.name, f"{f.name} {f.width}×{f.height}")
            for f in self._catalog.formats.values()
            if f.name != record.format_name
        )
        return (
            Action(ActionKind.REROLL, messages.ACTION_LABEL_REROLL, Reroll(record.id), owner),
            Action(
                ActionKind.REFORMAT,
                messages.ACTION_LABEL_REFORMAT,
                Reformat(record.id, ""),
                owner,
                choices=others,
            ),
        )


def _prompt_of(payload: JobPayload) -> str:
    if isinstance(payload, ReformatPayload):
        return payload.original.prompt
    return payload.prompt if isinstance(payload, ImaginePayload) else ""
