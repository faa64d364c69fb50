"""The small interfaces core needs from the outside world; adapters implement them."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from core.identity import Identity
from core.imaging import Product, RenderedImage, RenderSpec, SourceImage
from core.model import (
    Account,
    Consent,
    Customer,
    ExportRecord,
    ImageRecord,
    Job,
    JobStatus,
    LedgerEntry,
    Movement,
    PostResult,
    PrivacyRequest,
    Purchase,
    ReplyAddress,
    TeamRules,
    Wallet,
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
@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    modified_at: datetime


class BlobStore(Protocol):
    """Bytes by key. Every key is ``<kind>/<account>/<name>`` (uploads, images, exports),
    so that all of one account's blobs are found, and removed, by prefix."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        """Write a blob from chunks without holding it whole; returns its size. Nothing
        is visible under ``key`` unless every chunk was written."""
        ...

    async def get(self, key: str) -> bytes: ...  # raises KeyError when missing

    def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """The blob in chunks; raises KeyError (before the first chunk) when missing."""
        ...

    async def size(self, key: str) -> int: ...  # raises KeyError when missing

    async def delete(self, key: str) -> None: ...  # missing keys are fine

    async def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> AsyncIterator[BlobInfo]:
        """Every blob under ``prefix``, with half-written leftovers of failed writes."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Delete everything under ``prefix`` (leftovers included); returns how many."""
        ...


class TokenSigner(Protocol):
    """Signs small JSON payloads; ``loads`` raises ``LinkInvalid`` on a bad signature."""

    def dumps(self, payload: dict[str, Any]) -> str: ...

    def loads(self, token: str) -> dict[str, Any]: ...


class Delivery(Protocol):
    """Sends a reply to an address on one platform. Returns only once the platform took
    it; raises when it did not (the reply then waits in the outbox)."""

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None: ...


# --- database --------------------------------------------------------------
class AccountRepository(Protocol):
    async def ensure(
        self,
        identity: Identity,
        display_name: str,
        now: datetime,
        *,
        policy_version: str | None = None,
    ) -> tuple[Account, bool]:
        """The identity's account, created with its identity and personal wallet if new
        (``True``; it starts having been told of privacy policy ``policy_version``)."""
        ...

    async def get(self, account_id: str) -> Account | None: ...

    async def find(self, identity: Identity) -> Account | None:
        """The account of an identity, without creating anything."""
        ...


class WalletRepository(Protocol):
    async def get(self, wallet_id: str) -> Wallet | None: ...

    async def team(self, platform: str, tenant: str, now: datetime) -> Wallet:
        """The shared wallet of a Slack workspace or Discord guild, created if new."""
        ...

    async def find_team(self, platform: str, tenant: str) -> Wallet | None: ...

    async def rules(self, wallet_id: str) -> TeamRules: ...

    async def set_rules(
        self, wallet_id: str, now: datetime, *, sharing: bool | None = None, cap: int | None = -1
    ) -> None:
        """Change a team wallet's rules; ``cap=None`` removes the cap, ``-1`` keeps it."""
        ...

    async def source(self, account_id: str, platform: str, tenant: str) -> str:
        """Which credits the person spends there: ``team`` or ``personal`` (the default)."""
        ...

    async def choose(
        self, account_id: str, platform: str, tenant: str, source: str, now: datetime
    ) -> None: ...

    async def spent(
        self, wallet_id: str, account_id: str, since: datetime, *, lock: bool = True
    ) -> int:
        """Credits the person spent from the wallet since ``since`` (holds count, returns
        do not); with ``lock`` (in a writing unit, before a spend), two spends queue."""
        ...


class LedgerRepository(Protocol):
    async def post(
        self,
        wallet_id: str,
        kind: Movement,
        amount: int,
        key: str,
        now: datetime,
        *,
        account_id: str | None = None,
        job_id: str | None = None,
        reason: str = "",
        allow_debt: bool = False,
    ) -> PostResult:
        """Add one movement to a wallet and its effect on the balance, atomically.

        A negative amount that would take the balance below zero, or that spends from a
        frozen wallet (a disputed payment), is refused (``INSUFFICIENT``) unless
        ``allow_debt`` (a refund's clawback); a key already used changes nothing
        (``DUPLICATE``).
        """
        ...

    async def balance(self, wallet_id: str) -> int: ...

    async def recent(self, wallet_id: str, limit: int) -> list[LedgerEntry]: ...


class JobRepository(Protocol):
    async def add(self, job: Job) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def claim(
        self, worker: str, now: datetime, lease_seconds: float, routes: tuple[str, ...]
    ) -> Job | None:
        """Take the oldest runnable job whose reply goes to one of ``routes`` (queued and
        due, or running with a lapsed lease)."""
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

    async def readdress(self, job_id: str, address: ReplyAddress, now: datetime) -> bool:
        """Give an undelivered job its final address; ``False`` if it was delivered."""
        ...

    async def unfinished(self, account_id: str) -> list[Job]: ...

    async def orphaned(self, now: datetime) -> list[Job]:
        """Unfinished jobs whose process-local endpoint has no live lease: nobody will
        ever deliver them."""
        ...

    # --- the outbox: final replies waiting to be delivered ---------------------------
    async def outbox(
        self, routes: tuple[str, ...], now: datetime, hold_before: datetime, limit: int
    ) -> list[str]:
        """Ids of finished jobs whose reply is due for delivery to ``routes``: not
        delivered, not claimed (or the claim lapsed), past its backoff, and addressed
        finally (or held since before ``hold_before``)."""
        ...

    async def claim_delivery(
        self,
        job_id: str,
        owner: str,
        now: datetime,
        lease_seconds: float,
        *,
        final_only: bool = False,
    ) -> Job | None:
        """Lease the delivery of one job's reply; ``None`` if it was delivered or someone
        else holds a live claim (or, with ``final_only``, its address is not final)."""
        ...

    async def mark_delivered(self, job_id: str, owner: str, now: datetime) -> bool:
        """Record that the reply went out (and wipe the address's secrets); ``False``
        if ``owner`` no longer held the claim."""
        ...

    async def release_delivery(
        self, job_id: str, owner: str, now: datetime, retry_at: datetime
    ) -> bool:
        """Give a claimed delivery back, due again at ``retry_at``."""
        ...

    async def give_up_delivery(self, job_id: str, owner: str, now: datetime) -> bool:
        """The last failed send: mark the reply undeliverable and forget its secrets."""
        ...

    async def of_tenant(self, platform: str, tenant: str) -> list[Job]:
        """A workspace's or server's unfinished jobs."""
        ...

    async def mark_undeliverable(self, job_id: str, now: datetime) -> bool: ...

    async def wipe_secrets(self, now: datetime) -> int:
        """Forget address secrets past their expiry; returns how many."""
        ...


class RequestRepository(Protocol):
    """Idempotency keys: a retried platform delivery gets the first answer."""

    async def begin(
        self,
        key: str,
        account_id: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        forget_before: datetime,
    ) -> bool:
        """Claim ``key`` for ``owner``; ``False`` if it is known (answered, or claimed by
        someone whose lease is live). A key created before ``forget_before`` is new."""
        ...

    async def answer(self, key: str) -> dict[str, Any] | None:
        """The stored answer of a key, if it has one."""
        ...

    async def take_over(self, key: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Claim an unanswered key whose holder's lease lapsed."""
        ...

    async def finish(self, key: str, owner: str, answer: dict[str, Any]) -> bool:
        """Store the answer; ``False`` if ``owner`` lost the claim meanwhile."""
        ...

    async def abandon(self, key: str, owner: str) -> None:
        """Drop an unanswered claim so that a retry can try again."""
        ...

    async def purge(self, before: datetime) -> int: ...


class EndpointRepository(Protocol):
    """Leases of process-local endpoints (terminal sessions): alive while renewed."""

    async def beat(self, route: str, now: datetime, expires_at: datetime) -> None: ...

    async def end(self, route: str) -> None: ...


class ImageRepository(Protocol):
    async def add(self, image: ImageRecord) -> None: ...

    async def get(self, image_id: str) -> ImageRecord | None: ...

    async def delete(self, image_id: str) -> bool: ...

    async def for_account(self, account_id: str, limit: int, offset: int) -> list[ImageRecord]: ...

    async def count_for_account(self, account_id: str) -> int: ...


class PrivacyRepository(Protocol):
    """Profile, consents, analytics, the access log, privacy requests, exports and
    confirmations; and everything of one account, to export or to erase."""

    async def set_profile(
        self, account_id: str, *, display_name: str | None = None, email: str | None = None
    ) -> None: ...

    async def set_flags(
        self, account_id: str, *, restricted: bool | None = None, objected: bool | None = None
    ) -> None: ...

    async def consent(
        self, account_id: str, purpose: str, granted: bool, policy_version: str, now: datetime
    ) -> None:
        """Record a consent given or withdrawn, and make it the account's current one."""
        ...

    async def consents(self, account_id: str) -> list[Consent]: ...

    async def saw_policy(self, account_id: str, version: str) -> bool:
        """Record that the account was told of ``version``; ``False`` if it already was."""
        ...

    async def count_usage(self, account_id: str, event: str, platform: str, now: datetime) -> None:
        """One analytics event (only called while the person consents)."""
        ...

    async def log_access(
        self,
        account_id: str,
        kind: str,
        action: str,
        now: datetime,
        *,
        target: str = "",
        network: str = "",
        client: str = "",
    ) -> None: ...

    async def add_request(self, request: PrivacyRequest) -> None: ...

    async def complete_requests(self, account_id: str, kind: str, now: datetime) -> int:
        """Mark the account's open requests of ``kind`` done; returns how many."""
        ...

    async def open_requests(self) -> list[PrivacyRequest]: ...

    async def add_export(self, export: ExportRecord) -> None: ...

    async def export(self, export_id: str) -> ExportRecord | None: ...

    async def latest_export(self, account_id: str) -> ExportRecord | None: ...

    async def expired_exports(self, now: datetime) -> list[ExportRecord]: ...

    async def delete_export(self, export_id: str) -> None: ...

    async def put_confirmation(
        self, account_id: str, purpose: str, code_hash: str, expires_at: datetime
    ) -> None: ...

    async def take_confirmation(self, account_id: str, purpose: str) -> tuple[str, datetime] | None:
        """The pending confirmation's code hash and expiry, removed as it is read."""
        ...

    async def purge_confirmations(self, now: datetime) -> int: ...

    async def purge_access_log(self, before: datetime) -> int:
        """Delete access log entries older than ``before`` (but not of restricted accounts,
        whose data is kept as it is); returns how many."""
        ...

    async def collect(self, account_id: str) -> dict[str, Any]:
        """Every row of the account as JSON-ready data, by export file name."""
        ...

    async def erase(
        self,
        account_id: str,
        pseudonym: str,
        now: datetime,
        keeps_reason: Callable[[str], bool],
    ) -> dict[str, int]:
        """Delete everything of the account; bookkeeping rows move to ``pseudonym`` (with
        their reasons where ``keeps_reason`` says they are the product's own words).
        Returns how many rows of each table went."""
        ...

    async def existing_accounts(self, account_ids: set[str]) -> set[str]:
        """Which of these accounts exist (and are nobody's pseudonym)."""
        ...

    async def jobs_of(self, account_id: str) -> list[Job]: ...

    async def images_of(self, account_id: str) -> list[ImageRecord]: ...


class PaymentRepository(Protocol):
    """Payment events seen, customers, purchases, and frozen wallets."""

    async def first_sight(self, provider: str, event_id: str, kind: str, now: datetime) -> bool:
        """Record an event id; ``False`` if it was seen before (it is then not applied)."""
        ...

    async def set_customer(
        self, account_id: str, provider: str, customer_id: str, now: datetime
    ) -> None: ...

    async def set_subscription(
        self,
        account_id: str,
        subscription: str,
        status: str,
        now: datetime,
        at: datetime | None = None,
    ) -> None:
        """Store a subscription's status as of ``at`` (when the provider made the event),
        unless a status of a later moment is stored already."""
        ...

    async def customer(self, account_id: str) -> Customer | None: ...

    async def record_purchase(
        self,
        *,
        purchase: str,
        provider: str,
        account_id: str,
        wallet_id: str,
        charge: str,
        credits: int,
        amount: int,
        now: datetime,
    ) -> None:
        """Keep what was bought (once; a repeat fills in a charge it lacked)."""
        ...

    async def purchase_by_charge(self, provider: str, charge: str) -> Purchase | None: ...

    async def set_refunded(self, purchase: str, refunded: int, credits_back: int) -> None: ...

    async def set_frozen(self, wallet_id: str, frozen: bool, now: datetime) -> None: ...

    async def frozen(self, wallet_id: str) -> bool: ...

    async def purge_events(self, before: datetime) -> int:
        """Forget event ids received before ``before``; returns how many."""
        ...


class Checkout(Protocol):
    """A payment provider's hosted pages: checkout for a pack or plan, and the portal
    where plan holders manage their subscription."""

    async def checkout(
        self, *, account_id: str, wallet_id: str, item: Any, customer_id: str | None
    ) -> str:
        """The URL of a checkout page; raises ``ProviderFailed`` when the provider fails."""
        ...

    async def portal(self, customer_id: str) -> str: ...


class UnitOfWork(Protocol):
    """One database transaction: commit or everything is rolled back on exit."""

    accounts: AccountRepository
    wallets: WalletRepository
    ledger: LedgerRepository
    jobs: JobRepository
    images: ImageRepository
    requests: RequestRepository
    endpoints: EndpointRepository
    privacy: PrivacyRepository
    payments: PaymentRepository

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


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """One file of an archive, given as chunks. A ``stored`` member (already compressed,
    an image) goes in as it is, and needs its ``size`` and ``crc32`` ahead; others are
    compressed."""

    name: str
    modified_at: datetime
    size: int
    chunks: AsyncIterable[bytes]
    stored: bool = False
    crc32: int = 0


class Archiver(Protocol):
    """Writes members into a ZIP as a stream of bytes, holding no member whole."""

    def archive(self, members: AsyncIterable[ArchiveMember]) -> AsyncIterable[bytes]: ...


class PaymentRecords(Protocol):
    """What a payment provider holds of a person (a Stripe customer): erased with them."""

    async def erase_customer(self, customer_id: str) -> None: ...


class DiskReclaimer(Protocol):
    """After an erasure: makes deleted rows unreadable from the database's files too
    (SQLite: a truncating WAL checkpoint, deleted cells being zeroed; PostgreSQL: VACUUM
    of the tables an erasure touches). Runs outside any transaction."""

    async def __call__(self) -> None: ...


class Reframer(Protocol):
    """Puts a finished picture into another format without any AI (extends or crops)."""

    async def reframe(self, image: bytes, fmt: Format) -> RenderedImage: ...
