"""A local Slack: the Web API, OAuth installs, file uploads and downloads, response URLs and
Socket Mode, checked as Slack checks them and answered in Slack's documented shapes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import mimetypes
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, WSMsgType, web

JSON = dict[str, Any]

DEFAULT_TEAM = "T0001"
DEFAULT_BOT_TOKEN = "xoxb-0001-fake"
DEFAULT_APP_TOKEN = "xapp-1-A0FAKEAPP1-1-fake"
DEFAULT_APP_ID = "A0FAKEAPP1"
#: The bot scopes config/slack_manifest.yml asks for: what a fresh install's token holds.
#: (No ``chat:write.public``, ``users:read`` or ``channels:*``: calls needing them fail.)
DEFAULT_BOT_SCOPES = frozenset(
    {
        "app_mentions:read",
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "im:history",
        "im:write",
    }
)
APP_TOKEN_SCOPES = frozenset({"connections:write"})
#: Slack lets a modal open within 3 seconds of the interaction that carried its trigger.
TRIGGER_TTL = 3.0
#: A response URL answers up to 5 posts (within 30 minutes, which the fake does not time).
RESPONSE_URL_USES = 5
#: An OAuth code is exchanged once, within 10 minutes of the install that issued it.
OAUTH_CODE_TTL = 600.0
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")
#: The scope each method demands (``None``: any valid token of the right type).
METHOD_SCOPES: Mapping[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "views.open": None,
    "conversations.open": None,  # im:write or mpim:write, decided by the users given
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "users.info": "users:read",
    "apps.connections.open": "connections:write",
    "oauth.v2.access": None,  # no token: the app's client id and secret
}
RETIRED_METHODS = frozenset({"files.upload", "channels.info", "channels.join", "im.open"})
LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8"><title>Slack</title></head>
<body class="signin"><h1>Sign in to Slack</h1>
<form id="signin_form" action="/" method="post"><input type="email" name="email">
<input type="password" name="password"><button type="submit">Sign in</button></form>
</body></html>
"""


class SlackError(Exception):
    """An API error: answered with HTTP 200 and ``{"ok": false, "error": code, ...extra}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _invalid(*messages: str) -> SlackError:
    return SlackError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


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


@dataclass(slots=True)
class User:
    """A person (or a bot user); Grid users can belong to several teams."""

    id: str
    teams: set[str]
    name: str
    real_name: str
    is_bot: bool = False


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
class _Trigger:
    team_id: str
    user_id: str
    issued: float
    used: bool = False


@dataclass(slots=True)
class _OAuthCode:
    client_id: str
    team_id: str
    user_id: str
    scopes: frozenset[str]
    user_scopes: frozenset[str]
    redirect_uri: str | None
    issued: float
    used: bool = False


@dataclass(slots=True)
class _ResponseUrl:
    team_id: str
    channel: str
    user_id: str
    message_ts: str | None
    uses: int = 0


Handler = Callable[[Token, JSON], Awaitable[JSON]]


class FakeSlack:
    """The fake's state: what the test set up, and what the bot did to it."""

    def __init__(self, *, app_token: str, app_id: str) -> None:
        self.url = ""
        self.api_url = ""
        self.app_id = app_id
        self.trigger_ttl = TRIGGER_TTL
        self.workspaces: dict[str, Workspace] = {}
        self.tokens: dict[str, Token] = {app_token: Token(app_token, None, APP_TOKEN_SCOPES)}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.files: dict[str, SlackFile] = {}
        self.messages: list[Message] = []
        self.views: list[OpenedView] = []
        self.calls: list[ApiCall] = []
        self.downloads: list[Download] = []
        self.socket_received: list[JSON] = []
        self.grants: list[Grant] = []
        self.oauth_code_ttl = OAUTH_CODE_TTL
        self._oauth_clients: dict[str, str] = {}
        self._oauth_codes: dict[str, _OAuthCode] = {}
        self._ids = itertools.count(1)
        self._stamps = itertools.count(1)
        self._rate_limits: dict[str, list[int]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._tickets: set[str] = set()
        self._upload_keys: dict[str, str] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._uploaders: dict[str, str] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._sockets_changed = asyncio.Condition()
        self._sent_envelopes: set[str] = set()
        self._acks: dict[str, JSON] = {}
        self._ack_waiters: dict[str, asyncio.Future[JSON]] = {}
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._open_view,
            "conversations.open": self._open_conversation,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._file_info,
            "users.info": self._user_info,
            "apps.connections.open": self._open_connection,
        }

    # --- set-up -------------------------------------------------------------
    def add_workspace(
        self,
        team_id: str,
        *,
        name: str | None = None,
        domain: str | None = None,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        bot_token: str | None = None,
        bot_user_id: str | None = None,
        bot_name: str = "aioe",
        scopes: Iterable[str] = DEFAULT_BOT_SCOPES,
    ) -> Workspace:
        """A workspace with the app installed: its bot user, and ``bot_token`` if given."""
        workspace = Workspace(
            id=team_id,
            name=name or f"Workspace {team_id}",
            domain=domain or team_id.lower(),
            bot_user_id=bot_user_id or self._new_id("U"),
            bot_id=self._new_id("B"),
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name or (enterprise_id and f"Org {enterprise_id}"),
        )
        self.workspaces[team_id] = workspace
        self.users[workspace.bot_user_id] = User(
            workspace.bot_user_id, {team_id}, bot_name, bot_name.upper(), is_bot=True
        )
        if bot_token is not None:
            self.add_token(team_id, bot_token, scopes=scopes)
        return workspace

    def add_token(
        self, team_id: str, token: str, *, scopes: Iterable[str] = DEFAULT_BOT_SCOPES
    ) -> Token:
        """Another bot token for an installed workspace (a rotation, or fewer scopes)."""
        if not token.startswith("xoxb-"):
            raise ValueError(f"a bot token starts with xoxb-, not {token[:5]!r}")
        if team_id not in self.workspaces:
            raise KeyError(f"no workspace {team_id}; add_workspace() first")
        self.tokens[token] = Token(token, team_id, frozenset(scopes))
        return self.tokens[token]

    def revoke(self, token: str) -> None:
        """Every later use of the token answers ``token_revoked``."""
        self.tokens[token].revoked = True

    def uninstall(self, team_id: str) -> list[str]:
        """The app removed from a workspace: Slack revokes every token it held there (and
        sends ``app_uninstalled`` and ``tokens_revoked``, which the test sends itself)."""
        revoked = []
        for token in self.tokens.values():
            if token.team_id == team_id and not token.revoked:
                token.revoked = True
                revoked.append(token.value)
        return revoked

    def bot_token(self, team_id: str) -> str:
        """The team's newest bot token that still works."""
        for token in reversed(self.tokens.values()):
            if token.team_id == team_id and token.kind == "bot" and not token.revoked:
                return token.value
        raise KeyError(f"no working bot token for {team_id}")

    def add_oauth_client(self, client_id: str, client_secret: str) -> None:
        """An app's credentials (its settings page's Client ID and Client Secret), which
        oauth.v2.access checks."""
        self._oauth_clients[client_id] = client_secret

    def oauth_code(
        self,
        team_id: str,
        user_id: str,
        scopes: Iterable[str] = DEFAULT_BOT_SCOPES,
        *,
        user_scopes: Iterable[str] = (),
        client_id: str | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """The ``code`` Slack puts on the app's redirect URL once ``user_id`` approved the
        install in ``team_id``: exchanged once by oauth.v2.access, within
        ``oauth_code_ttl`` seconds, by the app's client (the only one, unless named), with
        the same ``redirect_uri`` if the install named one."""
        if team_id not in self.workspaces:
            raise KeyError(f"no workspace {team_id}; add_workspace() first")
        if client_id is None:
            if len(self._oauth_clients) != 1:
                raise ValueError("name the client_id (or add exactly one OAuth client)")
            client_id = next(iter(self._oauth_clients))
        if client_id not in self._oauth_clients:
            raise KeyError(f"no OAuth client {client_id}; add_oauth_client() first")
        self.add_user(team_id, user_id)
        code = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(32)}"
        self._oauth_codes[code] = _OAuthCode(
            client_id,
            team_id,
            user_id,
            frozenset(scopes),
            frozenset(user_scopes),
            redirect_uri,
            time.monotonic(),
        )
        return code

    def expire_oauth_code(self, code: str) -> None:
        self._oauth_codes[code].issued = float("-inf")

    def bot_user_id(self, team_id: str) -> str:
        return self.workspaces[team_id].bot_user_id

    def add_user(
        self,
        team_id: str,
        user_id: str | None = None,
        *,
        name: str = "",
        real_name: str = "",
        is_bot: bool = False,
    ) -> User:
        """A member of the team; adding a known id to another team makes a Grid user."""
        workspace = self.workspaces[team_id]
        user_id = user_id or self._new_id("W" if workspace.enterprise_id else "U")
        user = self.users.get(user_id)
        if user is None:
            name = name or f"user{user_id.lower()}"
            user = User(user_id, set(), name, real_name or name.title(), is_bot)
            self.users[user_id] = user
        user.teams.add(team_id)
        return user

    def add_channel(
        self,
        team_id: str,
        name: str,
        *,
        channel_id: str | None = None,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
    ) -> Channel:
        """A channel; ``members`` are user ids (added as users of the team if unknown)."""
        member_ids = {self.add_user(team_id, user_id).id for user_id in members}
        if bot_is_member:
            member_ids.add(self.workspaces[team_id].bot_user_id)
        channel = Channel(
            id=channel_id or self._new_id("G" if is_private else "C"),
            team_id=team_id,
            name=name.removeprefix("#"),
            members=member_ids,
            is_private=is_private,
            is_archived=is_archived,
        )
        self.channels[channel.id] = channel
        return channel

    def add_user_message(
        self, team_id: str, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A message a person posted (something for the bot to reply to in a thread)."""
        if self.channels[channel].team_id != team_id:
            raise KeyError(f"{channel} is not a channel of {team_id}")
        message = Message(team_id, channel, self._next_ts(), text, None, user, thread_ts)
        message.via = "user"
        self.messages.append(message)
        return message

    def add_user_file(
        self,
        team_id: str,
        data: bytes,
        name: str,
        mimetype: str,
        *,
        user: str | None = None,
        title: str | None = None,
    ) -> JSON:
        """A file a person uploaded; returns its file object as events and files.info carry
        it (``id``, ``size``, ``mimetype``, ``url_private_download`` on the fake, …)."""
        uploader = user or self._uploader(team_id)
        self.add_user(team_id, uploader)
        file = SlackFile(
            id=self._new_id("F"),
            team_id=team_id,
            user=uploader,
            filename=name,
            title=title or name,
            length=len(data),
            data=bytes(data),
            by_bot=False,
            mimetype=mimetype,
            completed=True,
        )
        self.files[file.id] = file
        return self.file_json(file.id)

    def trigger_id(self, team_id: str, user_id: str) -> str:
        """A trigger id as an interaction carries it; views.open takes it once, within
        ``trigger_ttl`` seconds."""
        trigger = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
        self._triggers[trigger] = _Trigger(team_id, user_id, time.monotonic())
        return trigger

    def expire_trigger(self, trigger_id: str) -> None:
        self._triggers[trigger_id].issued = float("-inf")

    def response_url(
        self, team_id: str, channel: str, user_id: str, *, message_ts: str | None = None
    ) -> str:
        """A response URL as slash commands and interactions carry it; ``message_ts`` names
        the message that ``replace_original`` and ``delete_original`` act on."""
        key = f"{team_id}/{next(self._ids)}/{secrets.token_urlsafe(18)}"
        self._response_urls[key] = _ResponseUrl(team_id, channel, user_id, message_ts)
        return f"{self.url}commands/{key}"

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with ``Retry-After``."""
        self._rate_limits[method] = [times, retry_after]

    # --- inspection ---------------------------------------------------------
    @property
    def uploads(self) -> list[SlackFile]:
        """Files the bot uploaded (completed or not), oldest first."""
        return [file for file in self.files.values() if file.by_bot]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def messages_in(self, channel: str, *, thread_ts: str | None = None) -> list[Message]:
        """Messages in a channel (or in one thread of it), ephemeral ones included."""
        return [
            message
            for message in self.messages
            if message.channel == channel and (thread_ts is None or message.thread_ts == thread_ts)
        ]

    def dm_with(self, team_id: str, user_id: str) -> Channel | None:
        """The bot's DM with a user, once conversations.open (or a post to the user) made it."""
        for channel in self.channels.values():
            if channel.team_id == team_id and channel.is_im and channel.user == user_id:
                return channel
        return None

    def file_json(self, file_id: str) -> JSON:
        """A file object shaped like files.info's ``file``."""
        file = self.files[file_id]
        workspace = self.workspaces[file.team_id]
        base = f"{self.url}files-pri/{file.team_id}-{file.id}/"
        name = quote(file.filename)
        shares: JSON = {}
        for channel_id, ts in file.share_ts.items():
            channel = self.channels[channel_id]
            share: JSON = {"ts": ts, "channel_name": channel.name, "team_id": channel.team_id}
            if file.thread_ts:
                share["thread_ts"] = file.thread_ts
            shares.setdefault("public" if channel.is_public else "private", {})[channel_id] = [
                share
            ]
        return {
            "id": file.id,
            "created": file.created,
            "timestamp": file.created,
            "name": file.filename,
            "title": file.title,
            "mimetype": file.mimetype,
            "filetype": file.filetype,
            "pretty_type": file.filetype.upper(),
            "user": file.user,
            "user_team": file.team_id,
            "editable": False,
            "size": file.size,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": "public" in shares,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": base + name,
            "url_private_download": base + "download/" + name,
            "permalink": f"https://{workspace.domain}.slack.com/files/{file.user}/{file.id}/{name}",
            "permalink_public": f"https://slack-files.com/{file.team_id}-{file.id}-0f0f0f0f0f",
            "channels": [c for c in file.channels if self.channels[c].is_public],
            "groups": [c for c in file.channels if self.channels[c].is_private],
            "ims": [c for c in file.channels if self.channels[c].is_im],
            "shares": shares,
            "comments_count": 0,
            "has_rich_preview": False,
            "file_access": "visible",
            **({"alt_txt": file.alt_txt} if file.alt_txt else {}),
        }

    # --- socket mode --------------------------------------------------------
    async def wait_socket(self, *, within: float = 5.0) -> int:
        """Wait (up to ``within`` seconds) until a Socket Mode client is connected and
        greeted; the number of open connections."""
        async with asyncio.timeout(within), self._sockets_changed:
            await self._sockets_changed.wait_for(lambda: self._sockets)
        return len(self._sockets)

    async def socket_send(self, envelope: JSON, *, within: float = 5.0) -> str:
        """Push an ``events_api``/``slash_commands``/``interactive`` envelope to the newest
        connection (waiting for one up to ``within`` seconds); returns its ``envelope_id``."""
        kind = envelope.get("type")
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"an envelope's type is one of {ENVELOPE_TYPES}, not {kind!r}")
        if not isinstance(envelope.get("payload"), dict):
            raise ValueError("an envelope carries a payload object")
        payload = envelope["payload"]
        accepts = kind == "slash_commands" or payload.get("type") in (
            "view_submission",
            "block_suggestion",
        )
        full = {
            "envelope_id": envelope.get("envelope_id") or str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": envelope.get("accepts_response_payload", accepts),
        }
        if kind == "events_api":
            full["retry_attempt"] = envelope.get("retry_attempt", 0)
            full["retry_reason"] = envelope.get("retry_reason", "")
        await self.wait_socket(within=within)
        self._sent_envelopes.add(full["envelope_id"])
        await self._sockets[-1].send_json(full)
        return str(full["envelope_id"])

    async def socket_ack(self, envelope_id: str, *, within: float = 5.0) -> JSON:
        """The client's acknowledgement ``{"envelope_id": …, "payload"?: …}`` of an envelope,
        waited for up to ``within`` seconds."""
        if envelope_id not in self._sent_envelopes:
            raise KeyError(f"no envelope {envelope_id} was sent")
        if envelope_id in self._acks:
            return self._acks[envelope_id]
        waiter = self._ack_waiters.setdefault(
            envelope_id, asyncio.get_running_loop().create_future()
        )
        async with asyncio.timeout(within):
            return await asyncio.shield(waiter)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every open connection."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-applink"}}
        for socket in list(self._sockets):
            await socket.send_json(message)

    # --- HTTP ---------------------------------------------------------------
    async def handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(method, None, {}, request.method, request.content_type)
        self.calls.append(call)
        token: Token | None = None
        warnings: list[str] = []
        body: JSON
        try:
            args, body_token, warnings = await _read_args(request)
            call.token = _bearer(request) or body_token
            call.args = args
            if method in RETIRED_METHODS:
                raise SlackError("method_deprecated")
            if method == "oauth.v2.access":
                return self._json(self._exchange_code(request, args), method, None)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            token = self._authenticate(call.token, method)
            limited = self._take_rate_limit(method)
            if limited is not None:
                call.status, call.error = 429, "ratelimited"
                limited_body = {"ok": False, "error": "ratelimited"}
                return self._json(limited_body, method, token, status=429, retry_after=limited)
            body = await handler(token, args)
        except SlackError as error:
            call.error = error.error
            body = {"ok": False, "error": error.error, **error.extra}
        if warnings:
            body["warning"] = ",".join(warnings)
            body.setdefault("response_metadata", {})["warnings"] = warnings
        return self._json(body, method, token)

    def _json(
        self,
        body: JSON,
        method: str,
        token: Token | None,
        *,
        status: int = 200,
        retry_after: int | None = None,
    ) -> web.Response:
        headers = {"x-accepted-oauth-scopes": METHOD_SCOPES.get(method) or ""}
        if token is not None:
            headers["x-oauth-scopes"] = ",".join(sorted(token.scopes))
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return web.json_response(body, status=status, headers=headers)

    def _authenticate(self, value: str | None, method: str) -> Token:
        if not value:
            raise SlackError("not_authed")
        token = self.tokens.get(value)
        if token is None:
            raise SlackError("invalid_auth")
        if token.revoked:
            raise SlackError("token_revoked")
        wanted = {"app"} if method == "apps.connections.open" else {"bot"}
        if method == "auth.test":
            wanted.add("user")
        if token.kind not in wanted:
            raise SlackError("not_allowed_token_type")
        needed = METHOD_SCOPES.get(method)
        if needed is not None:
            _require_scope(token, needed)
        return token

    def _take_rate_limit(self, method: str) -> int | None:
        limit = self._rate_limits.get(method)
        if not limit or limit[0] <= 0:
            return None
        limit[0] -= 1
        return limit[1]

    async def handle_upload(self, request: web.Request) -> web.Response:
        file_id = self._upload_keys.get(request.match_info["key"])
        if request.method != "POST" or file_id is None or self.files[file_id].completed:
            return web.Response(status=404, text="Not Found")
        if request.content_type == "multipart/form-data":
            data = await _multipart_file(request)
        else:
            data = await request.read()
        self.files[file_id].data = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def handle_download(self, request: web.Request) -> web.Response:
        team_id, _, file_id = request.match_info["team_file"].partition("-")
        value = _bearer(request)
        token = self.tokens.get(value or "")
        allowed = (
            token is not None
            and not token.revoked
            and token.team_id == team_id
            and "files:read" in token.scopes
        )
        file = self.files.get(file_id)
        found = file is not None and file.team_id == team_id and file.completed
        self.downloads.append(Download(file_id, value, allowed and found))
        if not allowed:
            # Slack sends a request it cannot authorize to the workspace's sign-in page,
            # which answers 200 with HTML: the bytes a careless client saves as the "file".
            login = f"/?redir={quote(request.path)}"
            return web.Response(status=302, headers={"Location": login})
        if file is None or not found or file.data is None:
            return web.Response(status=404, text="<html>Not found</html>", content_type="text/html")
        disposition = "attachment" if request.match_info.get("download") else "inline"
        return web.Response(
            body=file.data,
            content_type=file.mimetype,
            headers={"Content-Disposition": f'{disposition}; filename="{quote(file.filename)}"'},
        )

    async def handle_login(self, request: web.Request) -> web.Response:
        return web.Response(text=LOGIN_PAGE, content_type="text/html")

    async def handle_response_url(self, request: web.Request) -> web.Response:
        target = self._response_urls.get(request.match_info["key"])
        if target is None:
            return web.json_response({"ok": False, "error": "invalid_url"}, status=404)
        if target.uses >= RESPONSE_URL_USES:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        body = None
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = json.loads(await request.read())
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        target.uses += 1
        original = self._find(target.channel, target.message_ts) if target.message_ts else None
        if body.get("delete_original") and original is not None:
            original.deleted = True
            return web.json_response({"ok": True})
        try:
            text, blocks, attachments = _content(body)
        except SlackError as error:
            return web.json_response({"ok": False, "error": error.error}, status=400)
        if _truthy(body.get("replace_original")) and original is not None:
            original.previous.append({"text": original.text, "blocks": original.blocks})
            original.text, original.blocks = text, blocks
            return web.json_response({"ok": True})
        public = body.get("response_type") == "in_channel"
        self.messages.append(
            Message(
                team_id=target.team_id,
                channel=target.channel,
                ts=self._next_ts(),
                text=text,
                blocks=blocks,
                user=self.workspaces[target.team_id].bot_user_id,
                thread_ts=_optional(body, "thread_ts"),
                ephemeral_to=None if public else target.user_id,
                via="response_url",
                bot_id=self.workspaces[target.team_id].bot_id,
                attachments=attachments,
            )
        )
        return web.json_response({"ok": True})

    async def handle_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {
                    "host": "fake-applink",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        async with self._sockets_changed:
            self._sockets.append(socket)
            self._sockets_changed.notify_all()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._receive(message.data)
        finally:
            async with self._sockets_changed:
                self._sockets.remove(socket)
                self._sockets_changed.notify_all()
        return socket

    def _receive(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = {"unparsed": raw}
        self.socket_received.append(message)
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if isinstance(envelope_id, str) and envelope_id in self._sent_envelopes:
            self._acks.setdefault(envelope_id, message)
            waiter = self._ack_waiters.get(envelope_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    async def close_sockets(self) -> None:
        for socket in list(self._sockets):
            await socket.close()

    # --- methods ------------------------------------------------------------
    def _exchange_code(self, request: web.Request, args: JSON) -> JSON:
        """oauth.v2.access: the app's client id and secret (HTTP Basic, as slack_sdk sends
        them, or form fields) and a code an install issued, for the install's tokens."""
        client_id, client_secret = _basic(request) or (
            _optional(args, "client_id"),
            _optional(args, "client_secret"),
        )
        if client_id is None or client_id not in self._oauth_clients:
            raise SlackError("invalid_client_id")
        if client_secret != self._oauth_clients[client_id]:
            raise SlackError("bad_client_secret")
        grant_type = _optional(args, "grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            raise SlackError("invalid_refresh_token")  # the fake rotates no tokens
        if grant_type != "authorization_code":
            raise SlackError("invalid_grant_type")
        code = self._oauth_codes.get(_optional(args, "code") or "")
        if (
            code is None
            or code.used
            or code.client_id != client_id
            or time.monotonic() - code.issued > self.oauth_code_ttl
        ):
            raise SlackError("invalid_code")
        if code.redirect_uri is not None and _optional(args, "redirect_uri") != code.redirect_uri:
            raise SlackError("bad_redirect_uri")
        code.used = True
        workspace = self.workspaces[code.team_id]
        bot = self._bot_token_for(code.team_id, code.scopes)
        installer: JSON = {"id": code.user_id}
        user_token = None
        if code.user_scopes:
            user_token = f"xoxp-{next(self._ids)}-{secrets.token_hex(12)}"
            self.tokens[user_token] = Token(
                user_token, code.team_id, code.user_scopes, user_id=code.user_id
            )
            installer.update(
                scope=",".join(sorted(code.user_scopes)),
                access_token=user_token,
                token_type="user",
            )
        self.grants.append(
            Grant(
                client_id,
                code.team_id,
                code.user_id,
                bot.value,
                bot.scopes,
                user_token,
                code.user_scopes,
            )
        )
        enterprise = (
            {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
            if workspace.enterprise_id
            else None
        )
        return {
            "ok": True,
            "access_token": bot.value,
            "token_type": "bot",
            "scope": ",".join(sorted(bot.scopes)),
            "bot_user_id": workspace.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": workspace.id, "name": workspace.name},
            "enterprise": enterprise,
            "authed_user": installer,
            "is_enterprise_install": False,
        }

    def _bot_token_for(self, team_id: str, scopes: frozenset[str]) -> Token:
        """A reinstall keeps the team's working bot token (with the scopes added); after an
        uninstall revoked it, the install gets a new one."""
        for token in reversed(self.tokens.values()):
            if token.team_id == team_id and token.kind == "bot" and not token.revoked:
                token.scopes |= scopes
                return token
        return self.add_token(
            team_id, f"xoxb-{next(self._ids)}-{secrets.token_hex(12)}", scopes=scopes
        )

    async def _auth_test(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        user_id = token.user_id or workspace.bot_user_id
        body: JSON = {
            "ok": True,
            "url": f"https://{workspace.domain}.slack.com/",
            "team": workspace.name,
            "user": self.users[user_id].name,
            "team_id": workspace.id,
            "user_id": user_id,
            "is_enterprise_install": False,
        }
        if token.kind == "bot":
            body["bot_id"] = workspace.bot_id
        if workspace.enterprise_id:
            body["enterprise_id"] = workspace.enterprise_id
        return body

    async def _post_message(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        channel = self._postable(token, args.get("channel"))
        text, blocks, attachments = _content(args)
        message = Message(
            team_id=workspace.id,
            channel=channel.id,
            ts=self._next_ts(),
            text=text,
            blocks=blocks,
            user=workspace.bot_user_id,
            thread_ts=_optional(args, "thread_ts"),
            bot_id=workspace.bot_id,
            attachments=attachments,
        )
        self.messages.append(message)
        body = self._as_json(message)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": body}

    async def _update(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        channel = self._channel(workspace.id, args.get("channel"))
        if channel is None:
            raise SlackError("channel_not_found")
        message = self._find(channel.id, _optional(args, "ts"))
        if message is None or message.ephemeral_to is not None:
            raise SlackError("message_not_found")
        if message.user != workspace.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks, attachments = _content(args)
        message.previous.append({"text": message.text, "blocks": message.blocks})
        message.text = text
        if blocks is not None or "blocks" in args:
            message.blocks = blocks
        if attachments is not None:
            message.attachments = attachments
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": self._as_json(message),
        }

    async def _post_ephemeral(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        channel = self._postable(token, args.get("channel"))
        user = _optional(args, "user")
        if user is None or user not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = _content(args)
        message = Message(
            team_id=workspace.id,
            channel=channel.id,
            ts=self._next_ts(),
            text=text,
            blocks=blocks,
            user=workspace.bot_user_id,
            thread_ts=_optional(args, "thread_ts"),
            ephemeral_to=user,
            via="chat.postEphemeral",
            bot_id=workspace.bot_id,
            attachments=attachments,
        )
        self.messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    async def _open_view(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        trigger_id = _optional(args, "trigger_id") or _optional(args, "interactivity_pointer")
        if trigger_id is None:
            raise _invalid("missing required field: trigger_id")
        view = _json_arg(args.get("view"))
        if view is None:
            raise _invalid("missing required field: view")
        if not isinstance(view, dict):
            raise _invalid("failed to match all allowed schemas [json-pointer:/view]")
        _check_view(view)
        trigger = self._triggers.get(trigger_id)
        if trigger is None or trigger.team_id != workspace.id:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        view_id = self._new_id("V")
        opened = {
            "id": view_id,
            "team_id": workspace.id,
            "type": view["type"],
            "title": view["title"],
            "close": view.get("close"),
            "submit": view.get("submit"),
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "app_installed_team_id": workspace.id,
            "bot_id": workspace.bot_id,
        }
        self.views.append(OpenedView(view_id, workspace.id, trigger.user_id, trigger_id, opened))
        return {"ok": True, "view": opened}

    async def _open_conversation(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        return_im = _truthy(args.get("return_im"))
        if _optional(args, "channel") is not None:
            channel = self._channel(workspace.id, args["channel"])
            if channel is None or not (channel.is_im or channel.is_mpim):
                raise SlackError("channel_not_found")
            return {"ok": True, "channel": self._conversation_json(channel, full=return_im)}
        raw = args.get("users")
        users = raw if isinstance(raw, list) else str(raw or "").split(",")
        wanted = [str(user).strip() for user in users if str(user).strip()]
        others = sorted({user for user in wanted if user != workspace.bot_user_id})
        if not wanted:
            raise SlackError("users_list_not_supplied")
        if len(others) > 8:
            raise SlackError("too_many_users")
        if not others:
            raise SlackError("not_enough_users")
        for user in others:
            if user not in self.users or workspace.id not in self.users[user].teams:
                raise SlackError("user_not_found")
        _require_scope(token, "im:write" if len(others) == 1 else "mpim:write")
        existing = self._conversation_with(workspace.id, others)
        if existing is not None:
            body = self._conversation_json(existing, full=return_im)
            return {"ok": True, "no_op": True, "already_open": True, "channel": body}
        channel = self._new_conversation(workspace, others)
        return {"ok": True, "channel": self._conversation_json(channel, full=return_im)}

    async def _upload_url(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        filename = _optional(args, "filename")
        if not filename:
            raise _invalid("missing required field: filename")
        raw_length = args.get("length")
        if raw_length is None or raw_length == "":
            raise _invalid("missing required field: length")
        try:
            length = int(raw_length)
        except (TypeError, ValueError):
            raise _invalid("invalid type for field: length (expected integer)") from None
        if length == 0:
            raise SlackError("missing_argument")
        if length < 0 or length > MAX_UPLOAD_BYTES:
            raise SlackError("file_upload_size_restricted")
        alt_txt = _optional(args, "alt_txt")
        if alt_txt is not None and len(alt_txt) > 1000:
            raise SlackError("alt_txt_too_large")
        file = SlackFile(
            id=self._new_id("F"),
            team_id=workspace.id,
            user=workspace.bot_user_id,
            filename=filename,
            title=filename,
            length=length,
            data=None,
            by_bot=True,
            alt_txt=alt_txt,
        )
        self.files[file.id] = file
        key = secrets.token_urlsafe(24)
        self._upload_keys[key] = file.id
        return {"ok": True, "upload_url": f"{self.url}upload/v1/{key}", "file_id": file.id}

    async def _complete_upload(self, token: Token, args: JSON) -> JSON:
        workspace = self._workspace(token)
        entries = _json_arg(args.get("files"))
        if entries is None:
            raise _invalid("missing required field: files")
        if not isinstance(entries, list) or not entries:
            raise _invalid("must provide a non-empty array [json-pointer:/files]")
        files: list[tuple[SlackFile, JSON]] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise _invalid(f"missing required field: id [json-pointer:/files/{index}]")
            file = self.files.get(entry["id"])
            if (
                file is None
                or not file.by_bot
                or file.team_id != workspace.id
                or file.completed
                or file.data is None
                or len(file.data) != file.length
            ):
                # Also what the fake answers when the bytes at the upload URL were not
                # exactly the announced length: the upload never finished.
                raise SlackError("file_not_found")
            files.append((file, entry))
        targets = [_optional(args, "channel_id")] if _optional(args, "channel_id") else []
        listed = args.get("channels") or ""
        listed = listed if isinstance(listed, list) else str(listed).split(",")
        targets += [str(c).strip() for c in listed if str(c).strip()]
        if len(targets) > 100:
            raise SlackError("channels_limit_exceeded")
        thread_ts = _optional(args, "thread_ts")
        if thread_ts is not None and len(targets) != 1:
            raise _invalid("thread_ts requires exactly one channel")
        channels = [self._postable(token, target) for target in targets]
        comment = _optional(args, "initial_comment")
        for file, entry in files:
            file.completed = True
            file.title = str(entry.get("title") or file.filename)
            file.mimetype = _sniff(file.data or b"", file.filename)
            file.channels = [channel.id for channel in channels]
            file.thread_ts, file.initial_comment = thread_ts, comment
        ids = tuple(file.id for file, _ in files)
        for channel in channels:
            message = Message(
                team_id=workspace.id,
                channel=channel.id,
                ts=self._next_ts(),
                text=comment or "",
                blocks=None,
                user=workspace.bot_user_id,
                thread_ts=thread_ts,
                file_ids=ids,
                via="files.completeUploadExternal",
                bot_id=workspace.bot_id,
            )
            self.messages.append(message)
            for file, _ in files:
                file.share_ts[channel.id] = message.ts
        return {"ok": True, "files": [self.file_json(file.id) for file, _ in files]}

    async def _file_info(self, token: Token, args: JSON) -> JSON:
        file = self.files.get(_optional(args, "file") or "")
        if file is None or file.team_id != token.team_id or not file.completed:
            raise SlackError("file_not_found")
        return {
            "ok": True,
            "file": self.file_json(file.id),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    async def _user_info(self, token: Token, args: JSON) -> JSON:
        user = self.users.get(_optional(args, "user") or "")
        if user is None or token.team_id not in user.teams:
            raise SlackError("user_not_found")
        workspace = self._workspace(token)
        body: JSON = {
            "id": user.id,
            "team_id": workspace.id,
            "name": user.name,
            "deleted": False,
            "real_name": user.real_name,
            "tz": "Europe/Amsterdam",
            "tz_offset": 3600,
            "is_admin": False,
            "is_owner": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "profile": {
                "real_name": user.real_name,
                "display_name": user.name,
                "team": workspace.id,
            },
        }
        if workspace.enterprise_id:
            body["enterprise_user"] = {
                "id": user.id,
                "enterprise_id": workspace.enterprise_id,
                "enterprise_name": workspace.enterprise_name,
                "teams": sorted(user.teams),
            }
        return {"ok": True, "user": body}

    async def _open_connection(self, token: Token, args: JSON) -> JSON:
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        origin = self.url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{origin}link/?ticket={ticket}&app_id={self.app_id}"}

    # --- helpers ------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._stamps):06d}"

    def _uploader(self, team_id: str) -> str:
        if team_id not in self._uploaders:
            self._uploaders[team_id] = self.add_user(team_id, name="uploader").id
        return self._uploaders[team_id]

    def _workspace(self, token: Token) -> Workspace:
        assert token.team_id is not None
        return self.workspaces[token.team_id]

    def _channel(self, team_id: str, ref: Any) -> Channel | None:
        """A channel of the team by id or name, or the bot's DM with a user id."""
        if not isinstance(ref, str) or not ref:
            return None
        channel = self.channels.get(ref)
        if channel is not None:
            return channel if channel.team_id == team_id else None
        user = self.users.get(ref)
        if user is not None and team_id in user.teams and not user.is_bot:
            existing = self._conversation_with(team_id, [ref])
            return existing or self._new_conversation(self.workspaces[team_id], [ref])
        name = ref.removeprefix("#")
        for candidate in self.channels.values():
            if candidate.team_id == team_id and candidate.name == name and candidate.is_public:
                return candidate
        return None

    def _postable(self, token: Token, ref: Any) -> Channel:
        """The channel, if the bot may post there; Slack's error otherwise."""
        workspace = self._workspace(token)
        channel = self._channel(workspace.id, ref)
        member = channel is not None and workspace.bot_user_id in channel.members
        if channel is None or (not channel.is_public and not member):
            raise SlackError("channel_not_found")
        if channel.is_archived:
            raise SlackError("is_archived")
        if not member and "chat:write.public" not in token.scopes:
            raise SlackError("not_in_channel")
        return channel

    def _find(self, channel: str, ts: str | None) -> Message | None:
        for message in self.messages:
            if message.channel == channel and message.ts == ts and not message.deleted:
                return message
        return None

    def _conversation_with(self, team_id: str, users: list[str]) -> Channel | None:
        bot = self.workspaces[team_id].bot_user_id
        for channel in self.channels.values():
            if (
                channel.team_id == team_id
                and (channel.is_im or channel.is_mpim)
                and channel.members == {bot, *users}
            ):
                return channel
        return None

    def _new_conversation(self, workspace: Workspace, users: list[str]) -> Channel:
        single = len(users) == 1
        channel = Channel(
            id=self._new_id("D" if single else "G"),
            team_id=workspace.id,
            name=users[0] if single else "mpdm-" + "--".join(users) + "-1",
            members={workspace.bot_user_id, *users},
            is_im=single,
            is_mpim=not single,
            user=users[0] if single else None,
        )
        self.channels[channel.id] = channel
        return channel

    def _conversation_json(self, channel: Channel, *, full: bool) -> JSON:
        if not full:
            return {"id": channel.id}
        body: JSON = {
            "id": channel.id,
            "created": channel.created,
            "is_org_shared": False,
            "last_read": "0000000000.000000",
            "latest": None,
            "unread_count": 0,
            "unread_count_display": 0,
            "is_open": True,
            "priority": 0,
        }
        if channel.is_im:
            return {**body, "is_im": True, "user": channel.user}
        return {**body, "is_mpim": True, "is_private": True, "name": channel.name}

    def _as_json(self, message: Message) -> JSON:
        body: JSON = {
            "type": "message",
            "text": message.text,
            "user": message.user,
            "ts": message.ts,
            "team": message.team_id,
        }
        if message.bot_id:
            body.update(bot_id=message.bot_id, app_id=self.app_id)
        if message.blocks is not None:
            body["blocks"] = message.blocks
        if message.attachments is not None:
            body["attachments"] = message.attachments
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        return body


async def _read_args(request: web.Request) -> tuple[JSON, str | None, list[str]]:
    """The call's arguments, a token sent in a form body, and Slack's warnings.

    Slack reads the query string and a form-encoded, multipart or JSON body. A token in a
    form body counts; in JSON or in the query string it does not (Slack ignores tokens in
    JSON bodies, and refuses query-string tokens for apps created since February 2021), so
    such a call answers ``not_authed``."""
    args: JSON = dict(request.query)
    args.pop("token", None)
    warnings: list[str] = []
    body_token: str | None = None
    if request.method != "POST" or not request.body_exists:
        return args, body_token, warnings
    content_type = request.content_type
    if "Content-Type" not in request.headers:
        raise SlackError("missing_post_type")
    if content_type == "application/json":
        if request.charset is None:
            warnings.append("missing_charset")
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        body.pop("token", None)
        args.update(body)
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        args.update({key: str(value) for key, value in form.items()})
        body_token = args.pop("token", None)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise SlackError("invalid_form_data")
            data = await part.read(decode=True)
            if part.filename is None:
                args[part.name] = bytes(data).decode("utf-8", errors="replace")
        body_token = args.pop("token", None)
    elif await request.read():
        raise SlackError("invalid_post_type")
    return args, body_token, warnings


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def _basic(request: web.Request) -> tuple[str, str] | None:
    """The client id and secret of an HTTP Basic ``Authorization`` header, if one is sent."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_client_id") from None
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def _require_scope(token: Token, needed: str) -> None:
    if needed not in token.scopes:
        raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(token.scopes)))


def _optional(args: Mapping[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def _json_arg(value: Any) -> Any:
    """A JSON-typed argument: parsed already in a JSON body, a JSON string in a form."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _content(args: Mapping[str, Any]) -> tuple[str, list[JSON] | None, Any]:
    """A message's text, blocks and attachments, checked as chat.postMessage checks them."""
    text, markdown = _optional(args, "text"), _optional(args, "markdown_text")
    if text is not None and markdown is not None:
        raise SlackError("markdown_text_conflict")
    blocks = None
    if args.get("blocks") not in (None, ""):
        blocks = _json_arg(args["blocks"])
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        _check_blocks(blocks, "blocks", MAX_MESSAGE_BLOCKS, _invalid_blocks)
    attachments = _json_arg(args.get("attachments")) if args.get("attachments") else None
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if not (text or markdown or blocks or attachments):
        raise SlackError("no_text")
    return text or markdown or "", blocks, attachments


def _invalid_blocks(*messages: str) -> SlackError:
    return SlackError(
        "invalid_blocks", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


def _check_blocks(
    blocks: list[Any], where: str, limit: int, error: Callable[..., SlackError]
) -> None:
    if len(blocks) > limit:
        raise error(f"no more than {limit} items allowed [json-pointer:/{where}]")
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise error(f"missing required field: type [json-pointer:/{where}/{index}]")
        if block["type"] == "input" and not ("label" in block and "element" in block):
            raise error(f"missing required field: label/element [json-pointer:/{where}/{index}]")


def _check_view(view: JSON) -> None:
    """What Slack checks of a modal before it opens it (``invalid_arguments`` otherwise)."""
    if view.get("type") != "modal":
        raise _invalid("must be 'modal' [json-pointer:/view/type]")
    for name in ("title", "blocks"):
        if name not in view:
            raise _invalid(f"missing required field: {name} [json-pointer:/view]")
    for name in ("title", "close", "submit"):
        if name not in view:
            continue
        label = view[name]
        if not isinstance(label, dict) or label.get("type") != "plain_text":
            raise _invalid(f"must be a plain_text text object [json-pointer:/view/{name}]")
        if not isinstance(label.get("text"), str) or not 0 < len(label["text"]) <= 24:
            raise _invalid(f"must be less than 25 characters [json-pointer:/view/{name}/text]")
    if not isinstance(view["blocks"], list):
        raise _invalid("must be an array [json-pointer:/view/blocks]")
    _check_blocks(view["blocks"], "view/blocks", MAX_VIEW_BLOCKS, _invalid)
    if "submit" not in view and any(block["type"] == "input" for block in view["blocks"]):
        raise _invalid("must provide submit when the view has input blocks [json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise _invalid("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(json.dumps(view)) > 250_000:
        raise SlackError("view_too_large")


def _sniff(data: bytes, filename: str) -> str:
    """The mimetype Slack would give an upload: by its bytes, else by its name."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


async def _multipart_file(request: web.Request) -> bytes:
    reader = await request.multipart()
    data = b""
    async for part in reader:
        if isinstance(part, BodyPartReader):
            content = bytes(await part.read(decode=True))
            if part.filename is not None or part.name == "file":
                data = content
    return data


@asynccontextmanager
async def slack_server(
    *,
    tokens: Mapping[str, str] | None = None,
    app_token: str = DEFAULT_APP_TOKEN,
    app_id: str = DEFAULT_APP_ID,
) -> AsyncIterator[FakeSlack]:
    """Run the fake on 127.0.0.1 for the block. ``tokens`` maps team ids to bot tokens (each
    team becomes an installed workspace); by default ``{"T0001": "xoxb-0001-fake"}``."""
    fake = FakeSlack(app_token=app_token, app_id=app_id)
    installed = tokens if tokens is not None else {DEFAULT_TEAM: DEFAULT_BOT_TOKEN}
    for team_id, token in installed.items():
        fake.add_workspace(team_id, bot_token=token)
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app.router.add_route("*", "/api/{method}", fake.handle_api)
    app.router.add_route("*", "/upload/v1/{key}", fake.handle_upload)
    app.router.add_get("/files-pri/{team_file}/{download:download}/{name}", fake.handle_download)
    app.router.add_get("/files-pri/{team_file}/{name}", fake.handle_download)
    app.router.add_post("/commands/{key:.+}", fake.handle_response_url)
    app.router.add_get("/link/", fake.handle_socket)
    app.router.add_get("/", fake.handle_login)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.url = f"http://{host}:{port}/"
        fake.api_url = f"{fake.url}api/"
        yield fake
    finally:
        await fake.close_sockets()
        await runner.cleanup()
