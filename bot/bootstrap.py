"""The composition root: builds every part from settings, and nothing else does."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from adapters.blobs.local import LocalBlobStore
from adapters.security.signer import HmacSigner
from adapters.sql.engine import create_engine, migrate_async
from adapters.sql.privacy import SqlDiskReclaimer
from adapters.sql.uow import SqlUnitOfWorkFactory
from bot.settings import CONFIG_DIR, Settings
from core.actions import ActionCodec
from core.app import Bot
from core.billing import Billing, load_catalogue
from core.credits import Credits
from core.describe import DESCRIBE, Describing
from core.endpoints import EndpointLease
from core.export import EXPORT_JOB, Exporter
from core.files import ImageFiles
from core.generation import IMAGINE, REFORMAT, Costs, Generation
from core.idempotency import Idempotency
from core.identity import IdentityHasher
from core.ids import new_id
from core.jobs import JobHandler, RetryPolicy, Worker, release_orphaned
from core.links import Links
from core.outbox import Deliveries, Outbox, OutboxPolicy
from core.policy import Policy, load_policy
from core.ports import (
    Archiver,
    BlobStore,
    Describer,
    ImageDecoder,
    ImageProvider,
    Moderator,
    ProductReader,
    Reframer,
)
from core.privacy import Eraser, Privacy
from core.queueing import Enqueuer
from core.sources import Sources
from core.sweep import Sweeper
from core.teams import Teams
from core.templates import Catalog, load_catalog

if TYPE_CHECKING:
    from adapters.discord.setup import DiscordSide
    from adapters.fetch.guard import GuardedFetcher
    from adapters.payments.stripe import StripeCheckout
    from adapters.slack.setup import SlackSide

log = logging.getLogger(__name__)

Part = TypeVar("Part")


class OnFirstUse(Generic[Part]):
    """Stands in for a part that is built the first time one of its attributes is used.

    The image stack, the page reader and the ZIP writer each cost a start-up tens of
    milliseconds of imports, and a process may never need them (``aioe serve`` with no
    chat platform never decodes a picture), so they are made, and their libraries
    imported, when the first job or request that needs them comes. Its own ``built``
    and ``get`` are the only names it does not pass on to the part."""

    def __init__(self, build: Callable[[], Part]) -> None:
        self._build = build
        self._part: Part | None = None

    @property
    def built(self) -> bool:
        return self._part is not None

    def get(self) -> Part:
        """The part, built now if it was not yet."""
        if self._part is None:
            self._part = self._build()
        return self._part

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never the part's insides, nor a loop while building
            raise AttributeError(name)
        return getattr(self.get(), name)


def on_first_use(build: Callable[[], Part]) -> Part:
    """``build()``, put off until the part is first used; typed as the part it becomes."""
    return cast(Part, OnFirstUse(build))


def utcnow() -> datetime:
    return datetime.now(UTC)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{new_id('p', 4)}"


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
    deliveries: Deliveries
    outbox: Outbox
    idempotency: Idempotency
    image_files: ImageFiles
    policy: Policy
    exporter: Exporter
    eraser: Eraser
    slack: SlackSide | None = None
    discord: DiscordSide | None = None
    stripe: StripeCheckout | None = None  # its webhook completes some events through it
    workers: list[Worker] = field(default_factory=list)
    swept_at: datetime | None = None

    def worker(self, name: str | None = None, routes: tuple[str, ...] | None = None) -> Worker:
        """A new worker sharing this process's parts (wake it by setting ``worker.wake``).

        It takes the jobs whose replies this process can deliver (all its deliveries'
        routes, as they are at each claim) unless given ``routes``."""
        worker = Worker(
            name=name or process_name(),
            uow_factory=self.uow_factory,
            handlers=self.job_handlers,
            routes=routes,
            credits=self.credits,
            blobs=self.blobs,
            deliveries=self.deliveries,
            outbox=self.outbox,
            clock=utcnow,
            lease_seconds=self.settings.job_lease_seconds,
            retry=RetryPolicy(base_seconds=self.settings.job_retry_base_seconds),
        )
        self.workers.append(worker)
        return worker

    async def run_worker(self, worker: Worker) -> None:
        """Run a worker until cancelled, with this process's upkeep when it is idle."""
        await worker.run_forever(
            poll_seconds=self.settings.worker_poll_seconds,
            tend=self.upkeep,
            tend_every=timedelta(seconds=self.settings.upkeep_seconds),
        )

    async def upkeep(self) -> None:
        """What any process with a worker does now and then: cancel and refund jobs of
        chat sessions that are gone, forget expired address secrets and request keys, and
        (every ``sweep_seconds``) the retention sweeps."""
        await release_orphaned(
            uow_factory=self.uow_factory,
            credits=self.credits,
            handlers=self.job_handlers,
            clock=utcnow,
        )
        async with self.uow_factory() as uow:
            await uow.jobs.wipe_secrets(utcnow())
            await uow.commit()
        await self.idempotency.purge()
        now = utcnow()
        if self.swept_at is None or now - self.swept_at >= timedelta(
            seconds=self.settings.sweep_seconds
        ):
            self.swept_at = now
            await self.sweeper().sweep()

    def sweeper(self) -> Sweeper:
        """The retention sweeps (also ``aioe sweep``)."""
        return Sweeper(uow_factory=self.uow_factory, blobs=self.blobs, clock=utcnow)

    def endpoint_lease(self, route: str) -> EndpointLease:
        """The lease that keeps a process-local endpoint (a terminal) alive."""
        return EndpointLease(self.uow_factory, utcnow, route, self.settings.endpoint_lease_seconds)


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
    """The providers, describer and moderator that settings choose; the studio's parts
    are made at their first job."""
    studio = on_first_use(partial(_studio_provider, settings.studio_cost))
    if settings.provider != "openai":
        from adapters.moderation import BlockListModerator

        return Imaging(
            provider or studio,
            studio,
            on_first_use(_studio_describer),
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


def _studio_provider(cost: int) -> ImageProvider:
    from adapters.imaging.studio import StudioProvider

    return StudioProvider(cost=cost)


def _studio_describer() -> Describer:
    from adapters.imaging.describe import StudioDescriber

    return StudioDescriber()


def _decoder() -> ImageDecoder:
    from adapters.imaging.decode import PillowDecoder

    return PillowDecoder()


def _reframer() -> Reframer:
    from adapters.imaging.reframe import PillowReframer

    return PillowReframer()


def _archiver() -> Archiver:
    from adapters.archive.zipstream import StreamZipArchiver

    return StreamZipArchiver()


def build_sources(settings: Settings, stack: AsyncExitStack) -> Sources:
    """Uploads and product pages read into checked pictures; the decoder, the page
    reader and the guarded fetcher are made at the first picture or URL."""
    fetcher = build_fetcher(settings, stack)
    return Sources(on_first_use(_decoder), on_first_use(partial(_page_reader, fetcher)), fetcher)


def build_fetcher(settings: Settings, stack: AsyncExitStack) -> GuardedFetcher:
    """The guarded fetcher, closed with the app if it was made. It is made at the first
    URL, or at once when ``AIOE_FETCH_ALLOW`` opens it to loopback addresses, so that
    its warning about that is in the start-up log."""

    def make() -> GuardedFetcher:
        from adapters.fetch.guard import GuardedFetcher
        from adapters.fetch.targets import parse_allow

        return GuardedFetcher(allow=parse_allow(settings.fetch_allow))

    fetcher = OnFirstUse(make)

    async def close() -> None:
        if fetcher.built:
            await fetcher.get().aclose()

    stack.push_async_callback(close)
    if settings.fetch_allow:
        fetcher.get()
    return cast("GuardedFetcher", fetcher)


def _page_reader(fetcher: GuardedFetcher) -> ProductReader:
    from adapters.fetch.product import PageProductReader

    return PageProductReader(fetcher)


def build_slack(
    settings: Settings, engine: Any, image_files: ImageFiles, secret: str
) -> SlackSide | None:
    """The Slack side when Slack is configured (a bot token, or OAuth client settings)."""
    if not settings.slack_configured:
        return None
    from adapters.slack.setup import SlackConfig, SlackSide

    config = SlackConfig(
        api_url=settings.slack_api_url,
        secret=secret,
        bot_token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        app_token=settings.slack_app_token,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
    )
    return SlackSide(config, engine, image_files)


def build_discord(settings: Settings, image_files: ImageFiles, secret: str) -> DiscordSide | None:
    """The Discord side when ``DISCORD_TOKEN`` is set."""
    if not settings.discord_token:
        return None
    from adapters.discord.setup import DiscordConfig, DiscordSide

    config = DiscordConfig(
        token=settings.discord_token,
        api_url=settings.discord_api_url,
        secret=secret,
        gateway_url=settings.discord_gateway_url,
    )
    return DiscordSide(config, image_files)


def build_deliveries(
    settings: Settings,
    image_files: ImageFiles,
    slack: SlackSide | None,
    discord: DiscordSide | None = None,
) -> Deliveries:
    """The delivery of every chat platform that is configured, in every process (the
    terminal's is added where a terminal runs); those that upload files read them
    through ``image_files``."""
    deliveries = Deliveries()
    if slack is not None:
        deliveries.register("slack", slack.delivery)
    if discord is not None:
        deliveries.register("discord", discord.delivery)
    return deliveries


def build_checkout(settings: Settings, stack: AsyncExitStack) -> StripeCheckout | None:
    """Stripe's hosted checkout when ``STRIPE_API_KEY`` is set."""
    if not settings.stripe_api_key:
        return None
    from adapters.payments.stripe import StripeCheckout

    checkout = StripeCheckout(
        api_key=settings.stripe_api_key,
        api_url=settings.stripe_api_url,
        public_url=settings.public_url,
    )
    stack.push_async_callback(checkout.close)
    return checkout


def recipients_of(settings: Settings) -> tuple[str, ...]:
    """Which of the policy's conditional recipients this installation brings in."""
    active = {
        "openai": settings.provider == "openai",
        "slack": settings.slack_configured,
        "discord": bool(settings.discord_token),
        "stripe": bool(settings.stripe_api_key),
    }
    return tuple(name for name, on in active.items() if on)


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
            await migrate_async(engine, settings.resolved_secret_key())
        uow_factory = SqlUnitOfWorkFactory(engine)
        blobs = build_blobs(settings)
        secret = settings.resolved_secret_key()
        links = Links(
            HmacSigner(secret),
            settings.public_url,
            utcnow,
            image_ttl=timedelta(days=settings.link_ttl_days),
        )
        catalog = load_catalog(CONFIG_DIR / "templates.toml")
        policy = load_policy(CONFIG_DIR / "privacy.toml")
        teams = Teams(uow_factory=uow_factory, clock=utcnow)
        checkout = build_checkout(settings, stack)
        billing = Billing(
            uow_factory=uow_factory,
            teams=teams,
            catalogue=load_catalogue(CONFIG_DIR / "billing.toml"),
            checkout=checkout,
            clock=utcnow,
        )
        credits = Credits(utcnow, settings.free_credits, IdentityHasher(secret), policy.version)
        imaging = await build_imaging(settings, stack, provider)
        sources = build_sources(settings, stack)
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
            reframer=on_first_use(_reframer),
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

        image_files = ImageFiles(uow_factory, blobs)
        slack = build_slack(settings, engine, image_files, secret)
        discord = build_discord(settings, image_files, secret)
        deliveries = build_deliveries(settings, image_files, slack, discord)
        outbox = Outbox(
            owner=process_name(),
            uow_factory=uow_factory,
            deliveries=deliveries,
            clock=utcnow,
            policy=OutboxPolicy(
                lease_seconds=settings.delivery_lease_seconds,
                base_seconds=settings.delivery_retry_seconds,
            ),
        )
        idempotency = Idempotency(uow_factory, utcnow)

        exporter = Exporter(
            uow_factory=uow_factory,
            blobs=blobs,
            archiver=on_first_use(_archiver),
            links=links,
            policy=policy,
            recipients=recipients_of(settings),
            clock=utcnow,
        )
        job_handlers: dict[str, JobHandler] = {
            IMAGINE: generation,
            REFORMAT: generation,
            DESCRIBE: describing,
            EXPORT_JOB: exporter,
        }
        eraser = Eraser(
            uow_factory=uow_factory,
            credits=credits,
            blobs=blobs,
            handlers=job_handlers,
            reclaim=SqlDiskReclaimer(engine),
            clock=utcnow,
            payments=checkout,  # the Stripe customer goes with the person
        )
        privacy = Privacy(
            uow_factory=uow_factory,
            enqueuer=enqueuer,
            blobs=blobs,
            links=links,
            policy=policy,
            recipients=recipients_of(settings),
            eraser=eraser,
            clock=utcnow,
            secret=secret,
        )
        bot = Bot(
            uow_factory=uow_factory,
            credits=credits,
            generation=generation,
            describing=describing,
            job_handlers=job_handlers,
            catalog=catalog,
            clock=utcnow,
            idempotency=idempotency,
            actions=ActionCodec(secret),
            outbox=outbox,
            privacy=privacy,
            billing=billing,
            teams=teams,
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
            deliveries=deliveries,
            outbox=outbox,
            idempotency=idempotency,
            image_files=image_files,
            policy=policy,
            exporter=exporter,
            eraser=eraser,
            slack=slack,
            discord=discord,
            stripe=checkout,
            workers=workers,
        )
