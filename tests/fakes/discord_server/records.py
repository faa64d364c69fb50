"""What the fake Discord holds and records: attachments, messages, interactions, requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.discord_server.payloads import EPHEMERAL, JSON, LOADING, timestamp


@dataclass(slots=True)
class Attachment:
    """A file on the fake CDN: one a user uploaded (``fake.add_attachment``) or one the bot
    sent with a message. ``url`` is signed like Discord's (``ex``, ``is``, ``hm``)."""

    id: int
    filename: str
    content_type: str
    data: bytes
    url: str
    proxy_url: str
    width: int | None = None
    height: int | None = None
    description: str | None = None
    ephemeral: bool = False

    def json(self) -> JSON:
        shaped: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.proxy_url,
            "content_type": self.content_type,
        }
        if self.width is not None:
            shaped |= {"width": self.width, "height": self.height}
        if self.description is not None:
            shaped["description"] = self.description
        if self.ephemeral:
            shaped["ephemeral"] = True
        return shaped


@dataclass(slots=True)
class Message:
    """A message the bot created: posted to a channel (``via="channel"``), as an
    interaction response (``"callback"``) or as a follow-up (``"followup"``)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: JSON
    via: str
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    interaction_id: int | None = None
    application_id: int | None = None
    interaction_metadata: JSON | None = None
    timestamp: str = field(default_factory=timestamp)
    edited_timestamp: str | None = None
    deleted: bool = False
    previous: list[JSON] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Still the "thinking…" placeholder a deferred response leaves."""
        return bool(self.flags & LOADING)

    def json(self) -> JSON:
        shaped: JSON = {
            "id": str(self.id),
            "type": self.type,
            "channel_id": str(self.channel_id),
            "author": self.author,
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [attachment.json() for attachment in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "flags": self.flags,
        }
        if self.application_id is not None:
            shaped["webhook_id"] = str(self.application_id)
            shaped["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            shaped["interaction_metadata"] = self.interaction_metadata
        return shaped


@dataclass(frozen=True, slots=True)
class Callback:
    """An interaction's initial response as the fake accepted it; ``after`` is the seconds
    between the interaction and its callback on the fake's clock."""

    interaction_id: int
    type: int
    data: JSON
    attachments: tuple[Attachment, ...]
    after: float
    message_id: int | None

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        return list(self.data.get("components") or [])


@dataclass(slots=True)
class Interaction:
    """An interaction the fake sent, and what the bot did with it."""

    id: int
    token: str
    type: int
    payload: JSON
    created: float
    shard: int
    guild_id: int | None
    channel_id: int
    component_message_id: int | None = None
    callback: Callback | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CommandOverwrite:
    """One bulk overwrite of the application's commands (``guild_id`` None: global)."""

    guild_id: int | None
    commands: tuple[JSON, ...]

    @property
    def names(self) -> list[str]:
        return [command["name"] for command in self.commands]


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One request: to the API (``path`` relative to ``/api/v10``) or to the CDN (its
    whole path); ``authorization`` is the header as sent (empty without one)."""

    method: str
    path: str
    status: int
    authorization: str = ""


@dataclass(slots=True)
class Guild:
    """A guild the bot is in; its GUILD_CREATE payload is built from this."""

    id: int
    name: str
    channels: list[JSON]
    members: list[JSON]
    joined_at: str
    hidden_channels: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class DirectChannel:
    """The bot's direct message channel with one user (type 1, DM)."""

    id: int
    recipient: JSON

    def json(self, last_message_id: int | None = None) -> JSON:
        return {
            "id": str(self.id),
            "type": 1,
            "last_message_id": None if last_message_id is None else str(last_message_id),
            "flags": 0,
            "recipients": [self.recipient],
        }


@dataclass(slots=True)
class Entitlement:
    """An entitlement to one of the application's SKUs."""

    id: int
    sku_id: int
    application_id: int
    type: int
    user_id: int | None = None
    guild_id: int | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    consumed: bool = False
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self) -> JSON:
        shaped: JSON = {
            "id": str(self.id),
            "sku_id": str(self.sku_id),
            "application_id": str(self.application_id),
            "type": self.type,
            "deleted": self.deleted,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "consumed": self.consumed,
            **self.extra,
        }
        if self.user_id is not None:
            shaped["user_id"] = str(self.user_id)
        if self.guild_id is not None:
            shaped["guild_id"] = str(self.guild_id)
        return shaped
