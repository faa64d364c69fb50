"""The fake Slack's state, what a test sets up in it, and what a test reads back."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable

from tests.fakes.slack_server.files import file_json
from tests.fakes.slack_server.records import (
    JSON,
    ROLE_FLAGS,
    ApiCall,
    Channel,
    Download,
    Grant,
    Message,
    OAuthCode,
    OpenedView,
    ResponseUrl,
    SlackFile,
    Token,
    Trigger,
    User,
    Workspace,
)
from tests.fakes.slack_server.socket import SocketMode

DEFAULT_TEAM = "T0001"
DEFAULT_BOT_TOKEN = "xoxb-0001-fake"
DEFAULT_APP_TOKEN = "xapp-1-A0FAKEAPP1-1-fake"
DEFAULT_APP_ID = "A0FAKEAPP1"
#: The bot scopes config/slack_manifest.yml asks for: what a fresh install's token holds.
#: (No ``chat:write.public`` or ``channels:*``: calls needing them fail.)
DEFAULT_BOT_SCOPES = frozenset(
    {
        "app_mentions:read",
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "im:history",
        "im:write",
        "users:read",
    }
)
APP_TOKEN_SCOPES = frozenset({"connections:write"})
#: Slack lets a modal open within 3 seconds of the interaction that carried its trigger.
TRIGGER_TTL = 3.0
#: An OAuth code is exchanged once, within 10 minutes of the install that issued it.
OAUTH_CODE_TTL = 600.0


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
        self.oauth_clients: dict[str, str] = {}
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.triggers: dict[str, Trigger] = {}
        self.upload_keys: dict[str, str] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.socket_mode = SocketMode(self)
        self._ids = itertools.count(1)
        self._stamps = itertools.count(1)
        self._rate_limits: dict[str, list[int]] = {}
        self._uploaders: dict[str, str] = {}

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
            bot_user_id=bot_user_id or self.new_id("U"),
            bot_id=self.new_id("B"),
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
        self.oauth_clients[client_id] = client_secret

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
            if len(self.oauth_clients) != 1:
                raise ValueError("name the client_id (or add exactly one OAuth client)")
            client_id = next(iter(self.oauth_clients))
        if client_id not in self.oauth_clients:
            raise KeyError(f"no OAuth client {client_id}; add_oauth_client() first")
        self.add_user(team_id, user_id)
        code = f"{self.serial()}.{int(time.time())}.{secrets.token_hex(32)}"
        self.oauth_codes[code] = OAuthCode(
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
        self.oauth_codes[code].issued = float("-inf")

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
        role: str | None = None,
    ) -> User:
        """A member of the team; adding a known id to another team makes a Grid user.
        ``role`` (``member``, ``admin``, ``owner``, ``primary_owner``) is what users.info
        shows; given for a known user, it changes."""
        if role is not None and role not in ROLE_FLAGS:
            raise ValueError(f"no role {role!r}; one of {', '.join(ROLE_FLAGS)}")
        workspace = self.workspaces[team_id]
        user_id = user_id or self.new_id("W" if workspace.enterprise_id else "U")
        user = self.users.get(user_id)
        if user is None:
            name = name or f"user{user_id.lower()}"
            user = User(user_id, set(), name, real_name or name.title(), is_bot)
            self.users[user_id] = user
        if role is not None:
            user.role = role
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
            id=channel_id or self.new_id("G" if is_private else "C"),
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
        message = Message(team_id, channel, self.next_ts(), text, None, user, thread_ts)
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
            id=self.new_id("F"),
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
        trigger = f"{self.serial()}.{int(time.time())}.{secrets.token_hex(16)}"
        self.triggers[trigger] = Trigger(team_id, user_id, time.monotonic())
        return trigger

    def expire_trigger(self, trigger_id: str) -> None:
        self.triggers[trigger_id].issued = float("-inf")

    def response_url(
        self, team_id: str, channel: str, user_id: str, *, message_ts: str | None = None
    ) -> str:
        """A response URL as slash commands and interactions carry it; ``message_ts`` names
        the message that ``replace_original`` and ``delete_original`` act on."""
        key = f"{team_id}/{self.serial()}/{secrets.token_urlsafe(18)}"
        self.response_urls[key] = ResponseUrl(team_id, channel, user_id, message_ts)
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
        return file_json(self, file_id)

    # --- socket mode --------------------------------------------------------
    async def wait_socket(self, *, within: float = 5.0) -> int:
        """Wait (up to ``within`` seconds) until a Socket Mode client is connected and
        greeted; the number of open connections."""
        return await self.socket_mode.wait(within=within)

    async def socket_send(self, envelope: JSON, *, within: float = 5.0) -> str:
        """Push an ``events_api``/``slash_commands``/``interactive`` envelope to the newest
        connection (waiting for one up to ``within`` seconds); returns its ``envelope_id``."""
        return await self.socket_mode.send(envelope, within=within)

    async def socket_ack(self, envelope_id: str, *, within: float = 5.0) -> JSON:
        """The client's acknowledgement ``{"envelope_id": …, "payload"?: …}`` of an envelope,
        waited for up to ``within`` seconds."""
        return await self.socket_mode.ack(envelope_id, within=within)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every open connection."""
        await self.socket_mode.disconnect(reason)

    async def close_sockets(self) -> None:
        await self.socket_mode.close_all()

    # --- shared with the handlers -------------------------------------------
    def serial(self) -> int:
        return next(self._ids)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._stamps):06d}"

    def workspace_of(self, token: Token) -> Workspace:
        assert token.team_id is not None
        return self.workspaces[token.team_id]

    def take_rate_limit(self, method: str) -> int | None:
        limit = self._rate_limits.get(method)
        if not limit or limit[0] <= 0:
            return None
        limit[0] -= 1
        return limit[1]

    def _uploader(self, team_id: str) -> str:
        if team_id not in self._uploaders:
            self._uploaders[team_id] = self.add_user(team_id, name="uploader").id
        return self._uploaders[team_id]
