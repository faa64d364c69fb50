"""Records the product keeps: accounts, ledger movements, jobs, images."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


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


#: The queue that any worker of any process may take jobs from.
DEFAULT_QUEUE = "default"


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    """Where a job's results go, so that any worker in any process can deliver them."""

    platform: str
    tenant: str
    channel: str = ""
    thread: str = ""
    message: str = ""
    interaction: str = ""
    user_id: str = ""
    queue: str = DEFAULT_QUEUE  # which workers can deliver here (see ``Job.queue``)

    def to_json(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__slots__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplyAddress:
        return cls(**{k: str(data[k]) for k in cls.__slots__ if k in data})


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    display_name: str
    balance: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    account_id: str
    kind: Movement
    amount: int
    idempotency_key: str
    created_at: datetime
    job_id: str | None = None
    reason: str = ""


@dataclass(slots=True)
class Job:
    """A unit of slow work. ``queue`` routes it to the workers that can deliver its
    reply: ``default`` for every platform reachable from any process, or one terminal's
    own queue for console jobs."""

    id: str
    account_id: str
    kind: str
    status: JobStatus
    payload: dict[str, Any]
    address: ReplyAddress
    cost: int
    created_at: datetime
    queue: str = DEFAULT_QUEUE
    attempts: int = 0
    max_attempts: int = 3
    run_after: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    error: str = ""
    finished_at: datetime | None = None
    delivered_at: datetime | None = None  # when its final reply reached the platform
    result: dict[str, Any] = field(default_factory=dict)


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
