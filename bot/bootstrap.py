"""The composition root: builds every part from settings, and nothing else does."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.blobs.local import LocalBlobStore
from adapters.fetch.guard import GuardedFetcher
from adapters.fetch.product import PageProductReader
from adapters.fetch.targets import parse_allow
from adapters.imaging.decode import PillowDecoder
from adapters.imaging.reframe import PillowReframer
from adapters.security.signer import HmacSigner
from adapters.sql.engine import create_engine, migrate_async
from adapters.sql.uow import SqlUnitOfWorkFactory
from bot.settings import CONFIG_DIR, Settings
from core.app import Bot
from core.credits import Credits
from core.describe import DESCRIBE, Describing
from core.generation import IMAGINE, REFORMAT, Costs, Generation
from core.ids import new_id
from core.jobs import JobHandler, RetryPolicy, Worker, release_abandoned
from core.links import Links
from core.model import DEFAULT_QUEUE, ReplyAddress
from core.ports import BlobStore, Delivery, Describer, ImageProvider, Moderator
from core.queueing import Enqueuer
from core.replies import Reply
from core.sources import Sources
from core.templates import Catalog, load_catalog

log = logging.getLogger(__name__)


#: Each terminal session's jobs go on a queue of its own: ``console:<session>``.
TERMINAL_QUEUE_PREFIX = "console:"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Deliveries:
    """Routes each reply to the ``Delivery`` of the platform its address names."""

    def __init__(self) -> None:
        self._by_platform: dict[str, Delivery] = {}

    def register(self, platform: str, delivery: Delivery) -> None:
        self._by_platform[platform] = delivery

    async def __call__(self, address: ReplyAddress, reply: Reply) -> None:
        delivery = self._by_platform.get(address.platform)
        if delivery is None:
            log.warning(
                "no delivery for platform %s in this process; reply dropped", address.platform
            )
            return
        await delivery.deliver(address, reply)


@dataclass
class App:
    """Everything a process needs, built once."""

    settings: Settings
    engine: Any
    uow_factory: SqlUnitOfWorkFactory
    blobs: BlobStore
    links: Links
    catalog: Catalog
    credits: Credits
    generation: Generation
    bot: Bot
    job_handlers: Mapping[str, JobHandler]
    deliveries: Deliveries = field(default_factory=Deliveries)
    workers: list[Worker] = field(default_factory=list)

    def worker(self, name: str | None = None, queues: tuple[str, ...] = (DEFAULT_QUEUE,)) -> Worker:
        """A new worker sharing this process's parts (wake it by setting ``worker.wake``)."""
        worker = Worker(
            name=name or f"{socket.gethostname()}:{os.getpid()}:{new_id('w', 4)}",
            uow_factory=self.uow_factory,
            handlers=self.job_handlers,
            queues=queues,
            credits=self.credits,
            blobs=self.blobs,
            deliver=self.deliveries,
            clock=utcnow,
            lease_seconds=self.settings.job_lease_seconds,
            retry=RetryPolicy(base_seconds=self.settings.job_retry_base_seconds),
        )
        self.workers.append(worker)
        return worker

    async def release_abandoned_terminal_jobs(self) -> int:
        """Cancel jobs of terminals that are gone (queued for an hour, or running with a
        lease lapsed for a whole lease), returning their credits."""
        lease = timedelta(seconds=self.settings.job_lease_seconds)
        return await release_abandoned(
            uow_factory=self.uow_factory,
            credits=self.credits,
            handlers=self.job_handlers,
            clock=utcnow,
            queue_prefix=TERMINAL_QUEUE_PREFIX,
            queued_for=timedelta(hours=1),
            lapsed_for=lease,
        )


@dataclass(frozen=True)
class Imaging:
    """The image side, as settings choose it."""

    provider: ImageProvider
    studio: ImageProvider
    describer: Describer
    moderator: Moderator


async def build_imaging(
    settings: Settings, stack: AsyncExitStack, provider: ImageProvider | None
) -> Imaging:
    from adapters.imaging.describe import StudioDescriber
    from adapters.imaging.studio import StudioProvider

    studio = StudioProvider(cost=settings.studio_cost)
    if settings.provider != "openai":
        from adapters.moderation import BlockListModerator

        return Imaging(
            provider or studio,
            studio,
            StudioDescriber(),
            BlockListModerator(settings.blocked_words),
        )
    from adapters.imaging.openai_client import make_client
    from adapters.imaging.openai_describer import OpenAIDescriber
    from adapters.imaging.openai_moderator import OpenAIModerator
    from adapters.imaging.openai_provider import OpenAIImageConfig, OpenAIProvider

    client = make_client(api_key=settings.openai_api_key, base_url=settings.openai_base_url)
    stack.push_async_callback(client.close)
    config = OpenAIImageConfig(
        model=settings.openai_image_model,
        quality=settings.openai_quality,
        sizes=settings.openai_sizes,
        credits_per_image=settings.openai_cost,
        timeout=settings.openai_timeout_seconds,
    )
    return Imaging(
        provider or OpenAIProvider(client, config=config),
        studio,
        OpenAIDescriber(client, model=settings.openai_vision_model),
        OpenAIModerator(client),
    )


def build_blobs(settings: Settings) -> BlobStore:
    if settings.blob_url and not settings.blob_url.startswith("file://"):
        raise SystemExit(
            f"AIOE_BLOB_URL={settings.blob_url} is not supported by this version; "
            "use a file:// URL or leave it unset for local files."
        )
    return LocalBlobStore(settings.blob_root)


@asynccontextmanager
async def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool | None = None,
    provider: ImageProvider | None = None,
) -> AsyncIterator[App]:
    """Build the app; SQLite databases are migrated on start (PostgreSQL by ``aioe migrate``)."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    async with AsyncExitStack() as stack:
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        if migrate if migrate is not None else url.startswith("sqlite"):
            await migrate_async(engine)
        uow_factory = SqlUnitOfWorkFactory(engine)
        blobs = build_blobs(settings)
        links = Links(
            HmacSigner(settings.resolved_secret_key()),
            settings.public_url,
            utcnow,
            image_ttl=timedelta(days=settings.link_ttl_days),
        )
        catalog = load_catalog(CONFIG_DIR / "templates.toml")
        credits = Credits(utcnow, settings.free_credits)
        imaging = await build_imaging(settings, stack, provider)
        fetcher = await stack.enter_async_context(
            GuardedFetcher(allow=parse_allow(settings.fetch_allow))
        )
        sources = Sources(PillowDecoder(), PageProductReader(fetcher), fetcher)
        enqueuer = Enqueuer(
            uow_factory=uow_factory,
            credits=credits,
            blobs=blobs,
            clock=utcnow,
            max_attempts=settings.job_max_attempts,
        )
        generation = Generation(
            uow_factory=uow_factory,
            enqueuer=enqueuer,
            blobs=blobs,
            sources=sources,
            provider=imaging.provider,
            studio=imaging.studio,
            reframer=PillowReframer(),
            catalog=catalog,
            links=links,
            clock=utcnow,
            moderator=imaging.moderator,
            costs=Costs(reformat=settings.reformat_cost),
        )
        describing = Describing(
            enqueuer=enqueuer,
            sources=sources,
            describer=imaging.describer,
            cost=settings.describe_cost,
        )
        workers: list[Worker] = []

        def wake_workers() -> None:
            for worker in workers:
                worker.wake.set()

        job_handlers: dict[str, JobHandler] = {
            IMAGINE: generation,
            REFORMAT: generation,
            DESCRIBE: describing,
        }
        bot = Bot(
            uow_factory=uow_factory,
            credits=credits,
            generation=generation,
            describing=describing,
            job_handlers=job_handlers,
            catalog=catalog,
            clock=utcnow,
            wake_workers=wake_workers,
        )
        yield App(
            settings=settings,
            engine=engine,
            uow_factory=uow_factory,
            blobs=blobs,
            links=links,
            catalog=catalog,
            credits=credits,
            generation=generation,
            bot=bot,
            job_handlers=job_handlers,
            workers=workers,
        )
