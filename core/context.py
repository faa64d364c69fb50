"""What a command handler knows about the request it answers."""

from __future__ import annotations

from dataclasses import dataclass

from core.model import Account, ReplyAddress


@dataclass(frozen=True, slots=True)
class Claim:
    """An idempotency key this request holds: its answer is stored under ``key``."""

    key: str
    owner: str


@dataclass(frozen=True, slots=True)
class Context:
    """The requester's account, where results go, and the key the answer is kept under."""

    account: Account
    address: ReplyAddress
    claim: Claim | None = None
    tenant: str = ""  # the workspace or server it came from
    platform: str = ""
    manager: bool = False  # the requester may manage the tenant's shared credits
