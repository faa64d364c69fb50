"""/imagine, /reroll and /reformat: check, reserve, queue; the jobs make and store images."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from core import messages
from core.commands import Imagine, Reformat, Reroll
from core.credits import Credits
from core.errors import BadInput, NotFound
from core.ids import new_id
from core.imaging import Product, RenderedImage, RenderSpec, SourceImage
from core.jobs import Finished
from core.links import Links
from core.model import Account, ImageRecord, Job, JobStatus, ReplyAddress
from core.ports import (
    BlobStore,
    Clock,
    ImageProvider,
    Moderator,
    Reframer,
    UnitOfWorkFactory,
)
from core.replies import Action, ImageOut, Images, Progress
from core.sources import Source, Sources
from core.templates import Catalog, Format, Template

IMAGINE = "imagine"
REFORMAT = "reformat"
MAX_IMAGES = 4
MAX_PROMPT = 1000


def upload_key(account_id: str, job_id: str) -> str:
    return f"uploads/{account_id}/{job_id}.png"


def image_key(account_id: str, image_id: str, fmt: str = "png") -> str:
    return f"images/{account_id}/{image_id}.{fmt}"


@dataclass(frozen=True, slots=True)
class Costs:
    reformat: int = 1


@dataclass(frozen=True, slots=True)
class _Plan:
    """A checked request, ready to be queued."""

    kind: str
    payload: dict[str, Any]
    cost: int
    n: int
    template: str
    format: str


class Generation:
    """Queues generation jobs and runs them (it is the handler of both job kinds)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        credits: Credits,
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
        max_attempts: int = 3,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
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
        self._max_attempts = max_attempts

    # --- commands --------------------------------------------------------------
    async def imagine(self, account: Account, command: Imagine, address: ReplyAddress) -> Progress:
        """Check everything first: a refused request stores and charges nothing."""
        prompt = command.prompt.strip()
        if command.image is not None and command.url:
            raise BadInput(messages.ONE_SOURCE_ONLY)
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
        if prompt and self._moderator is not None:
            await self._moderator.check(prompt)
        source = await self._sources.resolve(command.image, command.url)
        payload = {
            "prompt": prompt,
            "template": template.name,
            "format": fmt.name,
            "n": command.n,
            "seed": secrets.randbelow(2**31),
            "provider": self._provider.name,
            "product": asdict(source.product) if source.product else None,
            "url": command.url or None,
        }
        plan = _Plan(
            IMAGINE,
            payload,
            command.n * self._provider.cost_per_image(),
            command.n,
            template.name,
            fmt.name,
        )
        return await self._queue(account, address, plan, source)

    async def reroll(self, account: Account, command: Reroll, address: ReplyAddress) -> Progress:
        """The same request as an earlier image's, with a new seed, one image."""
        _, job = await self._original(account, command.image_id)
        payload = {
            **job.payload,
            "n": 1,
            "seed": secrets.randbelow(2**31),
            "provider": self._provider.name,
        }
        if payload.get("prompt") and self._moderator is not None:
            await self._moderator.check(str(payload["prompt"]))
        if not payload.get("source_key") and not self._provider.supports_prompt_only:
            raise BadInput(messages.PROMPT_ONLY_NEEDS_AI)
        await self._require_source(payload)
        plan = _Plan(
            IMAGINE,
            payload,
            self._provider.cost_per_image(),
            1,
            str(payload["template"]),
            str(payload["format"]),
        )
        return await self._queue(account, address, plan, Source())

    async def reformat(
        self, account: Account, command: Reformat, address: ReplyAddress
    ) -> Progress:
        """An earlier image in another format, without a new AI call."""
        record, job = await self._original(account, command.image_id)
        template = self._catalog.template(record.template)
        fmt = self._catalog.format(command.format, template)
        if fmt.name == record.format_name:
            raise BadInput(messages.SAME_FORMAT.format(format=fmt.name))
        await self._require_source(job.payload)
        payload = {**job.payload, "n": 1, "format": fmt.name, "image_id": record.id}
        plan = _Plan(REFORMAT, payload, self._costs.reformat, 1, template.name, fmt.name)
        return await self._queue(account, address, plan, Source())

    async def _original(self, account: Account, image_id: str) -> tuple[ImageRecord, Job]:
        async with self._uow() as uow:
            record = await uow.images.get(image_id.strip())
            job = await uow.jobs.get(record.job_id) if record else None
        if record is None or job is None or record.account_id != account.id:
            raise NotFound(messages.IMAGE_NOT_FOUND.format(image_id=image_id))
        return record, job

    async def _require_source(self, payload: dict[str, Any]) -> None:
        key = payload.get("source_key")
        if key and not await self._blobs.exists(str(key)):
            raise BadInput(messages.SOURCE_GONE)

    async def _queue(
        self, account: Account, address: ReplyAddress, plan: _Plan, source: Source
    ) -> Progress:
        job_id = new_id("job")
        payload = dict(plan.payload)
        written: str | None = None
        if source.image is not None:
            written = upload_key(account.id, job_id)
            await self._blobs.put(written, source.image.data, "image/png")
            payload.update(
                source_key=written,
                source_size=[source.image.width, source.image.height],
                source_alpha=source.image.has_alpha,
            )
        job = Job(
            id=job_id,
            account_id=account.id,
            kind=plan.kind,
            status=JobStatus.QUEUED,
            payload=payload,
            address=address,
            cost=plan.cost,
            created_at=self._clock(),
            max_attempts=self._max_attempts,
        )
        try:
            async with self._uow() as uow:
                await self._credits.reserve(uow, account.id, job_id, plan.cost)
                await uow.jobs.add(job)
                await uow.commit()
        except BaseException:
            if written is not None:
                await self._blobs.delete(written)
            raise
        text = messages.JOB_QUEUED.format(
            n=plan.n, template=plan.template, format=plan.format, job_id=job_id, cost=plan.cost
        )
        return Progress(
            text=text, job_id=job_id, actions=(Action("cancel", "Cancel", f"/cancel {job_id}"),)
        )

    # --- the job handler ---------------------------------------------------------
    async def run(self, job: Job) -> Finished:
        payload = job.payload
        template = self._catalog.template(str(payload["template"]))
        fmt = self._catalog.format(str(payload["format"]), template)
        if job.kind == REFORMAT:
            rendered = [await self._reformatted(payload, template, fmt)]
        else:
            spec = self._spec(payload, template, fmt, await self._load_source(payload))
            rendered = await self._provider.render(spec, int(payload["n"]))
        return await self._store(job, rendered, template, fmt)

    def _spec(
        self,
        payload: dict[str, Any],
        template: Template,
        fmt: Format,
        source: SourceImage | None = None,
    ) -> RenderSpec:
        product = payload.get("product")
        return RenderSpec(
            prompt=str(payload["prompt"]),
            template=template,
            format=fmt,
            source=source,
            product=Product(**{**product, "image_urls": tuple(product["image_urls"])})
            if product
            else None,
            seed=int(payload["seed"]),
        )

    async def _reformatted(
        self, payload: dict[str, Any], template: Template, fmt: Format
    ) -> RenderedImage:
        source = await self._load_source(payload)
        if payload.get("provider") == self._studio.name and source is not None:
            spec = self._spec(payload, template, fmt, source)
            return (await self._studio.render(spec, 1))[0]
        async with self._uow() as uow:
            original = await uow.images.get(str(payload["image_id"]))
        if original is None:
            raise BadInput(messages.SOURCE_GONE)
        return await self._reframer.reframe(await self._blobs.get(original.blob_key), fmt)

    async def _store(
        self, job: Job, rendered: list[RenderedImage], template: Template, fmt: Format
    ) -> Finished:
        now = self._clock()
        records: list[ImageRecord] = []
        for index, picture in enumerate(rendered):
            image_id = f"img_{job.id.removeprefix('job_')}{index}"
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
                    prompt=str(job.payload.get("prompt", "")),
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
                format=r.format,
            )
            for r in records
        )
        actions = tuple(
            action
            for r in records
            for action in (
                Action("reroll", "More like this", f"/reroll {r.id}"),
                Action("reformat", "Other formats", f"/reformat {r.id}"),
            )
        )
        text = messages.JOB_DONE.format(n=len(outs), template=template.name, format=fmt.name)
        return Finished(
            reply=Images(text=text, images=outs, actions=actions),
            images=tuple(records),
            blob_keys=tuple(r.blob_key for r in records),
        )

    async def _load_source(self, payload: dict[str, Any]) -> SourceImage | None:
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
