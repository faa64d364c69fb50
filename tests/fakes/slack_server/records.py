"""The fake Slack's records: workspaces, tokens, users, channels, messages, files, calls."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(slots=True)
class Workspace:
    """A team (workspace); ``enterprise_id`` set when it belongs to an Enterprise Grid org."""

    id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None


@dataclass(slots=True)
class Token:
    """A bot token (``xoxb-``, one team), a user token an install granted (``xoxp-``, one
    team and ``user_id``) or the app-level token (``xapp-``, no team)."""

    value: str
    team_id: str | None
    scopes: frozenset[str]
    revoked: bool = False
    user_id: str | None = None

    @property
    def kind(self) -> str:
        if self.value.startswith("xapp-"):
            return "app"
        return "user" if self.value.startswith("xoxp-") else "bot"


@dataclass(frozen=True, slots=True)
class Grant:
    """One OAuth code exchanged by oauth.v2.access: who installed the app in which team,
    and the tokens the app got (``user_token`` only when user scopes were granted)."""

    client_id: str
    team_id: str
    user_id: str
    bot_token: str
    scopes: frozenset[str]
    user_token: str | None = None
    user_scopes: frozenset[str] = frozenset()


#: A person's role in a workspace, and the flags users.info shows for it: an owner is an
#: admin too, and the primary owner (who created the workspace) an owner.
ROLE_FLAGS: dict[str, tuple[bool, bool, bool]] = {
    "member": (False, False, False),
    "admin": (True, False, False),
    "owner": (True, True, False),
    "primary_owner": (True, True, True),
}


@dataclass(slots=True)
class User:
    """A person (or a bot user); Grid users can belong to several teams. ``role`` is
    one of ``ROLE_FLAGS``."""

    id: str
    teams: set[str]
    name: str
    real_name: str
    is_bot: bool = False
    role: str = "member"

    @property
    def flags(self) -> JSON:
        """``is_admin``, ``is_owner`` and ``is_primary_owner`` as users.info shows them."""
        admin, owner, primary = ROLE_FLAGS[self.role]
        return {"is_admin": admin, "is_owner": owner, "is_primary_owner": primary}


@dataclass(slots=True)
class Channel:
    """A channel, private channel, DM (``D…``, ``user`` set) or group DM of one team."""

    id: str
    team_id: str
    name: str
    members: set[str]
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def is_public(self) -> bool:
        return not (self.is_private or self.is_im or self.is_mpim)


@dataclass(slots=True)
class Message:
    """A message as the fake stores it; ``ephemeral_to`` is set for ephemeral messages and
    ``via`` names the method (or ``response_url``) that posted it."""

    team_id: str
    channel: str
    ts: str
    text: str
    blocks: list[JSON] | None
    user: str
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    file_ids: tuple[str, ...] = ()
    via: str = "chat.postMessage"
    bot_id: str | None = None
    attachments: list[Any] | None = None
    previous: list[JSON] = field(default_factory=list)
    deleted: bool = False


@dataclass(slots=True)
class SlackFile:
    """A file users uploaded (``by_bot`` false) or the bot uploaded through
    getUploadURLExternal → upload URL → completeUploadExternal."""

    id: str
    team_id: str
    user: str
    filename: str
    title: str
    length: int
    data: bytes | None
    by_bot: bool
    mimetype: str = "application/octet-stream"
    alt_txt: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False
    share_ts: dict[str, str] = field(default_factory=dict)
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.length

    @property
    def channel(self) -> str | None:
        return self.channels[0] if self.channels else None

    @property
    def filetype(self) -> str:
        suffix = self.filename.rpartition(".")[2].lower() if "." in self.filename else ""
        guessed = mimetypes.guess_extension(self.mimetype) or ""
        return suffix or guessed.lstrip(".") or "binary"


@dataclass(frozen=True, slots=True)
class OpenedView:
    """A modal that views.open accepted."""

    id: str
    team_id: str
    user_id: str
    trigger_id: str
    view: JSON


@dataclass(slots=True)
class ApiCall:
    """One Web API call as received: ``args`` merges the query string and the body (JSON
    values stay parsed, form values are strings); ``error`` is None when it answered ok."""

    method: str
    token: str | None
    args: JSON
    http_method: str
    content_type: str
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class Download:
    """One request for a file's private URL and whether the bytes were served."""

    file_id: str
    token: str | None
    served: bool


@dataclass(slots=True)
class Trigger:
    team_id: str
    user_id: str
    issued: float
    used: bool = False


@dataclass(slots=True)
class OAuthCode:
    client_id: str
    team_id: str
    user_id: str
    scopes: frozenset[str]
    user_scopes: frozenset[str]
    redirect_uri: str | None
    issued: float
    used: bool = False


@dataclass(slots=True)
class ResponseUrl:
    team_id: str
    channel: str
    user_id: str
    message_ts: str | None
    uses: int = 0
