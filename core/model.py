"""Records the product keeps: accounts, ledger movements, jobs, images."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.payloads import JobPayload


class Movement(StrEnum):
    GRANT = "grant"
    PURCHASE = "purchase"
    RESERVE = "reserve"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"
    ADJUST = "adjust"


class PostResult(StrEnum):
    POSTED = "posted"
    DUPLICATE = "duplicate"
    INSUFFICIENT = "insufficient"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    """Where a job's results go, owned by the adapter that received the command.

    Core reads only ``platform`` and ``endpoint``: ``endpoint`` is empty for platforms
    that any process reaches over the network (Slack, Discord), and names a
    process-local endpoint (one terminal session) that only its own process can deliver
    to. ``fields`` are the adapter's own (channel, thread, parent message, user).
    ``secrets`` (interaction tokens) are wiped once the reply is delivered or at
    ``secrets_expire_at``. ``final=False`` says the adapter will re-address the job (once
    it has posted the message to thread results under); delivery waits for that.
    """

    platform: str
    endpoint: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    secrets_expire_at: datetime | None = None
    final: bool = True

    @property
    def route(self) -> str:
        """Which deliveries can send here: the platform, or one local endpoint of it."""
        return route_of(self.platform, self.endpoint)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def to_json(self) -> dict[str, Any]:
        """Everything but the secrets, which are stored apart so they can be wiped."""
        return {
            "platform": self.platform,
            "endpoint": self.endpoint,
            "fields": dict(self.fields),
            "final": self.final,
        }

    @classmethod
    def from_json(
        cls,
        data: Mapping[str, Any],
        secrets: Mapping[str, str] | None = None,
        secrets_expire_at: datetime | None = None,
    ) -> ReplyAddress:
        return cls(
            platform=str(data["platform"]),
            endpoint=str(data.get("endpoint", "")),
            fields={str(k): str(v) for k, v in dict(data.get("fields", {})).items()},
            secrets=dict(secrets or {}),
            secrets_expire_at=secrets_expire_at,
            final=bool(data.get("final", True)),
        )


def route_of(platform: str, endpoint: str = "") -> str:
    return f"{platform}/{endpoint}" if endpoint else platform


@dataclass(frozen=True, slots=True)
class Account:
    """A person's account; ``wallet_id`` is their personal wallet, ``balance`` its balance."""

    id: str
    display_name: str
    balance: int
    created_at: datetime
    wallet_id: str = ""
    email: str | None = None
    restricted: bool = False  # Art. 18: nothing processed beyond storage and own requests
    objected: bool = False  # Art. 21: no optional processing
    analytics: bool = False  # Art. 7: consent to optional analytics, off by default
    policy_version: str | None = None  # the privacy policy version they were told of

    @property
    def counts_usage(self) -> bool:
        """Whether optional analytics of this person's feature use may be recorded."""
        return self.analytics and not self.restricted and not self.objected


class WalletKind(StrEnum):
    PERSONAL = "personal"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class Wallet:
    """What the ledger posts to: an account's own credits, or a tenant's shared ones."""

    id: str
    kind: WalletKind
    balance: int
    created_at: datetime
    account_id: str | None = None  # personal wallets
    platform: str | None = None  # team wallets: the Slack workspace or Discord guild
    tenant: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    wallet_id: str
    account_id: str | None
    kind: Movement
    amount: int
    idempotency_key: str
    created_at: datetime
    job_id: str | None = None
    reason: str = ""


@dataclass(slots=True)
class Job:
    """A unit of slow work. Workers claim only jobs whose ``address.route`` they can
    deliver to; ``wallet_id`` is what its cost was held on."""

    id: str
    account_id: str
    wallet_id: str
    status: JobStatus
    payload: JobPayload
    address: ReplyAddress
    cost: int
    created_at: datetime
    attempts: int = 0
    max_attempts: int = 3
    run_after: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    error: str = ""
    finished_at: datetime | None = None
    delivered_at: datetime | None = None  # when its final reply reached the platform
    delivery_attempts: int = 0  # failed sends of the final reply so far
    result: dict[str, Any] = field(default_factory=dict)
    tenant: str = ""  # the workspace or server the request came from

    @property
    def kind(self) -> str:
        return self.payload.kind

    @property
    def route(self) -> str:
        return self.address.route


@dataclass(frozen=True, slots=True)
class ImageRecord:
    id: str
    account_id: str
    job_id: str
    blob_key: str
    width: int
    height: int
    format: str
    template: str
    format_name: str
    prompt: str
    created_at: datetime
    content_type: str = "image/png"


class RequestKind(StrEnum):
    """The privacy rights a request exercises."""

    ACCESS = "access"  # Art. 15 (and 20): an export
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    OBJECTION = "objection"  # Art. 21
    CONSENT = "consent"  # Art. 7(3)


@dataclass(frozen=True, slots=True)
class PrivacyRequest:
    """A request under the GDPR, made in chat (answered at once) or by e-mail (recorded by
    an operator and due within 30 days). An erasure's record keeps no account."""

    id: str
    account_id: str | None
    kind: RequestKind
    via: str  # chat, or operator
    status: str  # open, done
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """A finished export ZIP in the blob store, reachable by its link until ``expires_at``."""

    id: str
    account_id: str
    blob_key: str
    size: int
    created_at: datetime
    expires_at: datetime
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    purpose: str
    granted: bool
    policy_version: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Customer:
    """What a payment provider's records of a person are kept as here: their customer id
    and subscription status (never cards or addresses)."""

    account_id: str
    provider: str
    customer_id: str
    subscription: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class Purchase:
    """Something paid for once (a checkout session, an invoice, an entitlement), the
    credits it granted, and how much of it was refunded since."""

    purchase: str
    provider: str
    account_id: str | None
    wallet_id: str
    charge: str
    credits: int
    amount: int
    refunded: int = 0  # smallest currency unit, cumulative
    credits_back: int = 0  # credits taken back for refunds so far


@dataclass(frozen=True, slots=True)
class TeamRules:
    """Whether members may spend a team wallet, and how much each may a month."""

    sharing: bool = False
    member_cap: int | None = None
