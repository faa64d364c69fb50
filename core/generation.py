"""/imagine: check the request, reserve its cost, queue the job; the job makes the images."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from core import messages
from core.commands import Imagine
from core.credits import Credits
from core.errors import BadInput
from core.ids import new_id
from core.imaging import RenderSpec, SourceImage
from core.jobs import Finished
from core.links import Links
from core.model import Account, ImageRecord, Job, JobStatus, ReplyAddress
from core.ports import BlobStore, Clock, ImageDecoder, ImageProvider, Moderator, UnitOfWorkFactory
from core.replies import Action, ImageOut, Images, Progress
from core.templates import Catalog

IMAGINE = "imagine"
MAX_IMAGES = 4
MAX_PROMPT = 1000


def upload_key(account_id: str, job_id: str) -> str:
    return f"uploads/{account_id}/{job_id}.png"


def image_key(account_id: str, image_id: str, fmt: str = "png") -> str:
    return f"images/{account_id}/{image_id}.{fmt}"


@dataclass(frozen=True, slots=True)
class GenerationConfig:
    max_attempts: int = 3


class Generation:
    """Turns an ``Imagine`` command into a queued job, and a claimed job into images."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        credits: Credits,
        blobs: BlobStore,
        decoder: ImageDecoder,
        provider: ImageProvider,
        catalog: Catalog,
        links: Links,
        clock: Clock,
        moderator: Moderator | None = None,
        config: GenerationConfig | None = None,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._blobs = blobs
        self._decoder = decoder
        self._provider = provider
        self._catalog = catalog
        self._links = links
        self._clock = clock
        self._moderator = moderator
        self._config = config or GenerationConfig()

    async def imagine(self, account: Account, command: Imagine, address: ReplyAddress) -> Progress:
        """Validate everything first: a refused request stores and charges nothing."""
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
        if command.url:
            raise BadInput(messages.URL_SOURCES_UNAVAILABLE)
        source = await self._decoder.load(command.image.data) if command.image else None
        if prompt and self._moderator is not None:
            await self._moderator.check(prompt)

        job_id = new_id("job")
        cost = command.n * self._provider.cost_per_image()
        source_key = upload_key(account.id, job_id) if source else None
        if source is not None and source_key is not None:
            await self._blobs.put(source_key, source.data, "image/png")
        job = Job(
            id=job_id,
            account_id=account.id,
            kind=IMAGINE,
            status=JobStatus.QUEUED,
            payload={
                "prompt": prompt,
                "template": template.name,
                "format": fmt.name,
                "n": command.n,
                "seed": secrets.randbelow(2**31),
                "source_key": source_key,
                "source_size": [source.width, source.height] if source else None,
                "source_alpha": source.has_alpha if source else False,
            },
            address=address,
            cost=cost,
            created_at=self._clock(),
            max_attempts=self._config.max_attempts,
        )
        try:
            async with self._uow() as uow:
                await self._credits.reserve(uow, account.id, job_id, cost)
                await uow.jobs.add(job)
                await uow.commit()
        except BaseException:
            if source_key is not None:
                await self._blobs.delete(source_key)
            raise
        text = messages.JOB_QUEUED.format(
            n=command.n, template=template.name, format=fmt.name, job_id=job_id, cost=cost
        )
        cancel = Action("cancel", "Cancel", f"/cancel {job_id}")
        return Progress(text=text, job_id=job_id, actions=(cancel,))

    async def run(self, job: Job) -> Finished:
        """The ``imagine`` job handler: render, store every image, build the reply."""
        payload = job.payload
        template = self._catalog.template(str(payload["template"]))
        fmt = self._catalog.format(str(payload["format"]), template)
        source = await self._load_source(payload)
        spec = RenderSpec(
            prompt=str(payload["prompt"]),
            template=template,
            format=fmt,
            source=source,
            seed=int(payload["seed"]),
        )
        rendered = await self._provider.render(spec, int(payload["n"]))
        now = self._clock()
        records: list[ImageRecord] = []
        keys: list[str] = []
        for index, picture in enumerate(rendered):
            image_id = f"img_{job.id.removeprefix('job_')}{index}"
            key = image_key(job.account_id, image_id, picture.format)
            await self._blobs.put(key, picture.data, picture.content_type)
            keys.append(key)
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
                    prompt=spec.prompt,
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
        text = messages.JOB_DONE.format(n=len(outs), template=template.name, format=fmt.name)
        return Finished(
            reply=Images(text=text, images=outs), images=tuple(records), blob_keys=tuple(keys)
        )

    async def _load_source(self, payload: dict[str, object]) -> SourceImage | None:
        key = payload.get("source_key")
        if not key:
            return None
        data = await self._blobs.get(str(key))
        size = payload["source_size"]
        if not isinstance(size, list):
            raise TypeError(f"job payload has no source size: {size!r}")
        return SourceImage(
            data=data,
            width=int(size[0]),
            height=int(size[1]),
            has_alpha=bool(payload.get("source_alpha")),
        )
