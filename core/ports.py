"""The small interfaces core needs from the outside world; adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from core.imaging import Product, RenderedImage, RenderSpec, SourceImage
from core.model import (
    Account,
    ImageRecord,
    Job,
    JobStatus,
    LedgerEntry,
    Movement,
    PostResult,
)
from core.replies import Reply
from core.templates import Format

Clock = Callable[[], datetime]


# --- images ----------------------------------------------------------------
class ImageDecoder(Protocol):
    """Validates untrusted image bytes and normalises them; raises ``BadInput``."""

    async def load(self, data: bytes) -> SourceImage: ...


class ImageProvider(Protocol):
    """Makes images. ``render`` raises ``ProviderFailed`` (transient or not),
    ``ContentRejected`` or ``BadInput``; it never charges anything itself."""

    name: str
    supports_prompt_only: bool

    def cost_per_image(self) -> int: ...

    async def render(self, spec: RenderSpec, n: int) -> list[RenderedImage]: ...


class Moderator(Protocol):
    """Checks a prompt before anything is spent; raises ``ContentRejected``."""

    async def check(self, text: str) -> None: ...


class Describer(Protocol):
    """Writes a ready-to-use generation prompt from a photo and/or product data."""

    async def describe(self, source: SourceImage | None, product: Product | None) -> str: ...


# --- outside URLs ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes


class Fetcher(Protocol):
    """Fetches public web resources only; refusals raise ``BadInput``."""

    async def fetch_page(self, url: str) -> Fetched: ...

    async def fetch_image(self, url: str) -> Fetched: ...


class ProductReader(Protocol):
    """Reads a product page into a ``Product``; raises ``BadInput`` when it can't."""

    async def read(self, url: str) -> Product: ...


# --- storage ---------------------------------------------------------------
class BlobStore(Protocol):
    """Bytes by key. Keys start with the owning account id (``<kind>/<account>/…``)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...  # raises KeyError when missing

    async def delete(self, key: str) -> None: ...  # missing keys are fine

    async def exists(self, key: str) -> bool: ...


class TokenSigner(Protocol):
    """Signs small JSON payloads; ``loads`` raises ``LinkInvalid`` on a bad signature."""

    def dumps(self, payload: dict[str, Any]) -> str: ...

    def loads(self, token: str) -> dict[str, Any]: ...


class Delivery(Protocol):
    """Sends a reply to an address on one platform, from any process."""

    async def deliver(self, address: Any, reply: Reply) -> None: ...


# --- database --------------------------------------------------------------
class AccountRepository(Protocol):
    async def ensure(
        self, platform: str, tenant: str, user_id: str, display_name: str, now: datetime
    ) -> tuple[Account, bool]:
        """The identity's account, created with its identity if new (``True``)."""
        ...

    async def get(self, account_id: str) -> Account | None: ...

    async def find(self, platform: str, tenant: str, user_id: str) -> Account | None:
        """The account of an identity, without creating anything."""
        ...


class LedgerRepository(Protocol):
    async def post(
        self,
        account_id: str,
        kind: Movement,
        amount: int,
        key: str,
        now: datetime,
        *,
        job_id: str | None = None,
        reason: str = "",
    ) -> PostResult:
        """Add one movement and its effect on the balance, atomically.

        A negative amount that would take the balance below zero is refused
        (``INSUFFICIENT``); a key already used changes nothing (``DUPLICATE``).
        """
        ...

    async def balance(self, account_id: str) -> int: ...

    async def recent(self, account_id: str, limit: int) -> list[LedgerEntry]: ...


class JobRepository(Protocol):
    async def add(self, job: Job) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease_seconds: float,
        queues: tuple[str, ...] = ("default",),
    ) -> Job | None:
        """Take the oldest runnable job of these queues (queued and due, or running with
        a lapsed lease)."""
        ...

    async def transition(
        self,
        job_id: str,
        to: JobStatus,
        *,
        expect: tuple[JobStatus, ...],
        now: datetime,
        worker: str | None = None,
        **fields: Any,
    ) -> bool:
        """Move a job between states only if it is in one of ``expect`` (and, with
        ``worker``, still leased by it); ``False`` when someone else got there first."""
        ...

    async def unfinished(self, account_id: str) -> list[Job]: ...

    async def undelivered(
        self, queues: tuple[str, ...], finished_before: datetime, limit: int
    ) -> list[Job]:
        """Finished jobs whose final reply was never delivered (the outbox)."""
        ...

    async def mark_delivered(self, job_id: str, now: datetime) -> bool:
        """Record that the job's reply went out; ``False`` if someone already had."""
        ...

    async def abandoned(
        self, queue_prefix: str, queued_before: datetime, lease_lapsed_before: datetime
    ) -> list[Job]:
        """Jobs of these queues that nobody will finish (queued too long, or running
        with a long-lapsed lease)."""
        ...


class ImageRepository(Protocol):
    async def add(self, image: ImageRecord) -> None: ...

    async def get(self, image_id: str) -> ImageRecord | None: ...

    async def delete(self, image_id: str) -> bool: ...

    async def for_account(self, account_id: str, limit: int, offset: int) -> list[ImageRecord]: ...


class UnitOfWork(Protocol):
    """One database transaction: commit or everything is rolled back on exit."""

    accounts: AccountRepository
    ledger: LedgerRepository
    jobs: JobRepository
    images: ImageRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens units of work. ``readonly`` ones may not write, and never wait for writers
    (on SQLite a writing unit takes the database's write lock when it begins)."""

    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...


class Reframer(Protocol):
    """Puts a finished picture into another format without any AI (extends or crops)."""

    async def reframe(self, image: bytes, fmt: Format) -> RenderedImage: ...
