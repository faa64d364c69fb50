"""The fake Discord's state, what a test sets up in it, and what a test reads back."""

from __future__ import annotations

import asyncio
import base64
import copy
import fnmatch
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_server.cdn import Cdn
from tests.fakes.discord_server.checks import check_invocation
from tests.fakes.discord_server.payloads import (
    ALL_PERMISSIONS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    JSON,
    MEMBER_PERMISSIONS,
    MESSAGE_COMPONENT,
    VIEW_CHANNEL,
    Snowflakes,
    component_custom_ids,
    guild_create_json,
    member_json,
    text_channel_json,
    timestamp,
    user_json,
)
from tests.fakes.discord_server.records import (
    ApiRequest,
    Attachment,
    Callback,
    CommandOverwrite,
    DirectChannel,
    Entitlement,
    Guild,
    Interaction,
    Message,
)

if TYPE_CHECKING:
    from tests.fakes.discord_server.gateway import Gateway, Session

#: An interaction must be answered within 3 seconds; its token then works for 15 minutes.
CALLBACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60.0
#: The privileged intents (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT) and the
#: application flags an unverified bot shows for each one enabled in its settings.
PRIVILEGED_INTENT_FLAGS = {1 << 1: 1 << 15, 1 << 8: 1 << 13, 1 << 15: 1 << 19}


@dataclass(slots=True)
class _RateLimit:
    glob: str
    remaining: int
    retry_after: float


@dataclass(slots=True)
class _Failure:
    glob: str
    remaining: int
    status: int


class FakeDiscord:
    """The fake's state: what the test set up, and what the bot did to it."""

    def __init__(
        self,
        *,
        bot_token: str,
        application_id: int,
        bot_username: str,
        heartbeat_interval: int,
        privileged_intents: int,
        recommended_shards: int,
    ) -> None:
        self.url = self.api_url = self.gateway_url = self.resume_gateway_url = ""
        self.bot_token = bot_token
        self.application_id = int(application_id)
        self.bot_user: JSON = {
            **user_json({"id": self.application_id, "username": bot_username}),
            "discriminator": "8213",
            "bot": True,
        }
        self.heartbeat_interval = heartbeat_interval
        self.privileged_intents = privileged_intents
        self.recommended_shards = recommended_shards
        self.callback_deadline = CALLBACK_DEADLINE
        self.token_lifetime = TOKEN_LIFETIME
        self.guilds: dict[int, Guild] = {}
        self.direct_channels: dict[int, DirectChannel] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, Interaction] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.overwrites: list[CommandOverwrite] = []
        self.entitlements: dict[int, Entitlement] = {}
        self.consumed: list[int] = []
        self.requests: list[ApiRequest] = []
        self.identifies: list[JSON] = []
        self.snowflake = Snowflakes()
        self.cdn = Cdn(self.snowflake)
        self._rate_limits: list[_RateLimit] = []
        self._failures: list[_Failure] = []
        self._changed = asyncio.Condition()
        self.gateway: Gateway

    # --- set-up -------------------------------------------------------------
    @property
    def application_flags(self) -> int:
        return sum(
            flag
            for intent, flag in PRIVILEGED_INTENT_FLAGS.items()
            if self.privileged_intents & intent
        )

    def add_guild(
        self,
        guild_id: int,
        name: str,
        channels: Iterable[int | Mapping[str, Any]] = (),
        *,
        hidden_channels: Iterable[int] = (),
        members: Iterable[Mapping[str, Any]] = (),
    ) -> JSON:
        """A guild the bot is in, sent as GUILD_CREATE on the next IDENTIFY of its shard.

        ``channels`` are text channel ids (named general, channel-2, …) or partial channel
        objects; ``hidden_channels`` deny @everyone VIEW_CHANNEL, so the bot cannot post
        there; ``members`` are users (``{"id", "username", "global_name"}``) besides the bot."""
        hidden = {int(channel) for channel in hidden_channels}
        built = []
        for position, channel in enumerate(channels):
            if isinstance(channel, Mapping):
                channel_id, given = int(channel["id"]), dict(channel)
            else:
                channel_id, given = int(channel), {}
            default = "general" if position == 0 else f"channel-{position + 1}"
            base = text_channel_json(
                channel_id,
                str(given.get("name", default)),
                position=position,
                hidden_from=int(guild_id) if channel_id in hidden else None,
            )
            built.append({**base, **given, "id": str(channel_id)})
        joined = timestamp()
        everyone = [member_json(self.bot_user, joined_at=joined)]
        everyone += [member_json(user) for user in members]
        self.guilds[int(guild_id)] = Guild(int(guild_id), name, built, everyone, joined, hidden)
        return self.guild_json(int(guild_id))

    def guild_json(self, guild_id: int) -> JSON:
        """The guild as GUILD_CREATE carries it."""
        guild = self.guilds[int(guild_id)]
        return guild_create_json(
            guild.id,
            guild.name,
            owner_id=self.owner_of(guild.id),
            channels=guild.channels,
            members=guild.members,
            joined_at=guild.joined_at,
        )

    def owner_of(self, guild_id: int) -> int:
        """The guild's owner: its first member besides the bot (the bot when alone)."""
        guild = self.guilds[int(guild_id)]
        return int(next((m["user"]["id"] for m in guild.members[1:]), self.bot_user["id"]))

    def add_attachment(
        self, data: bytes, filename: str, content_type: str | None = None, *, channel_id: int = 0
    ) -> JSON:
        """A file a user uploaded (say, as a slash command's attachment option): the
        attachment object, whose ``url`` the fake serves without authentication."""
        attachment = self.cdn.store(data, filename, content_type, channel_id, ephemeral=True)
        return attachment.json()

    def add_entitlement(
        self,
        sku_id: int,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        type: int = 8,
        ends_at: str | None = None,
    ) -> JSON:
        """An entitlement of a user (or guild) to one of the app's SKUs; ``type`` 8 is
        APPLICATION_SUBSCRIPTION, 1 PURCHASE."""
        entitlement = Entitlement(
            id=self.snowflake(),
            sku_id=int(sku_id),
            application_id=self.application_id,
            type=type,
            user_id=user_id,
            guild_id=guild_id,
            starts_at=timestamp(),
            ends_at=ends_at,
        )
        self.entitlements[entitlement.id] = entitlement
        return entitlement.json()

    async def buy(
        self, sku_id: int, *, user_id: int, guild_id: int | None = None, type: int = 1
    ) -> JSON:
        """Someone buys a one-time SKU in the app's store: the new entitlement (``type`` 1
        PURCHASE, 4 TEST_MODE_PURCHASE), sent to the bot as ENTITLEMENT_CREATE on shard 0
        and listed from then on. Discord sells nobody a SKU they hold an unconsumed
        entitlement to: that raises."""
        held = [
            e
            for e in self.entitlements.values()
            if (e.sku_id, e.user_id) == (int(sku_id), int(user_id))
            and not e.consumed
            and not e.deleted
        ]
        if held:
            raise ValueError(
                f"user {user_id} holds entitlement {held[0].id} to SKU {sku_id} unconsumed: "
                "Discord does not sell it to them again until the app consumes it"
            )
        bought = self.add_entitlement(sku_id, user_id=user_id, guild_id=guild_id, type=type)
        await self.dispatch("ENTITLEMENT_CREATE", bought)
        return bought

    def entitled(self, user_id: int, guild_id: int | None = None) -> list[JSON]:
        """What an interaction from the user carries as ``entitlements``: theirs (and the
        guild's) that are not deleted, ended or consumed."""
        now = datetime.now(UTC)
        return [
            e.json()
            for e in sorted(self.entitlements.values(), key=lambda e: e.id)
            if (e.user_id == int(user_id) or (guild_id is not None and e.guild_id == guild_id))
            and not e.deleted
            and not e.consumed
            and (e.ends_at is None or datetime.fromisoformat(e.ends_at) > now)
        ]

    def register_commands(
        self, commands: Sequence[Mapping[str, Any]], *, guild_id: int | None = None
    ) -> list[JSON]:
        """Commands as an earlier deployment left them (what a bulk overwrite would store)."""
        return self.overwrite_commands(guild_id, [dict(command) for command in commands])

    def rate_limit(self, route_glob: str, times: int = 1, retry_after: float = 0.05) -> None:
        """Answer the next ``times`` matching requests with 429. The glob matches
        ``"METHOD /path"`` (path after ``/api/v10``), or the path alone when it starts with
        ``/``: ``"POST /webhooks/*"``, ``"/channels/*/messages"``."""
        self._rate_limits.append(_RateLimit(route_glob, times, retry_after))

    def fail(self, route_glob: str, times: int = 1, status: int = 503) -> None:
        """Answer the next ``times`` matching requests (globbed as for ``rate_limit``) with
        ``status`` and Discord's error body, before they act. discord.py raises at once on
        503; on 500, 502 and 504 it retries after seconds of sleep."""
        self._failures.append(_Failure(route_glob, times, status))

    def age_interaction(self, interaction_id: int, seconds: float) -> None:
        """Move an interaction ``seconds`` into the past on the fake's clock."""
        self.interactions[int(interaction_id)].created -= seconds

    # --- reading back ---------------------------------------------------------
    @property
    def sessions(self) -> dict[int, Session]:
        """The connected gateway sessions, by shard id."""
        return self.gateway.connected()

    @property
    def attachments(self) -> dict[int, Attachment]:
        """Every file on the fake CDN, by attachment id."""
        return self.cdn.files

    @property
    def downloads(self) -> list[int]:
        """The attachment ids the CDN served, one entry per download."""
        return self.cdn.downloads

    @property
    def cdn_requests(self) -> list[ApiRequest]:
        """Every request to the CDN, served or not (``path`` is the whole path)."""
        return self.cdn.requests

    def dm_with(self, user_id: int) -> DirectChannel | None:
        """The bot's DM channel with a user, once opened (``POST /users/@me/channels``, or
        by the user's interaction in a DM with the bot)."""
        return next(
            (c for c in self.direct_channels.values() if int(c.recipient["id"]) == int(user_id)),
            None,
        )

    def record(self, method: str, path: str, status: int, authorization: str = "") -> None:
        self.requests.append(ApiRequest(method, path, status, authorization))

    def requests_to(self, route_glob: str) -> list[ApiRequest]:
        return [r for r in self.requests if _matches(route_glob, r.method, r.path)]

    def message_json(self, message_id: int) -> JSON:
        return self.messages[int(message_id)].json()

    def messages_in(self, channel_id: int) -> list[Message]:
        return [
            m for m in self.messages.values() if m.channel_id == int(channel_id) and not m.deleted
        ]

    def followups_for(self, interaction_id: int) -> list[Message]:
        interaction = self.interactions[int(interaction_id)]
        return [self.messages[message_id] for message_id in interaction.followup_ids]

    def original_for(self, interaction_id: int) -> Message | None:
        original = self.interactions[int(interaction_id)].original_id
        return None if original is None else self.messages[original]

    async def callback_for(self, interaction_id: int, *, within: float = 5.0) -> Callback:
        """The interaction's initial response, once the bot has sent it."""
        interaction = self.interactions[int(interaction_id)]
        await self.wait_until(lambda: interaction.callback is not None, within=within)
        assert interaction.callback is not None
        return interaction.callback

    async def wait_until(self, condition: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait (at most ``within`` seconds) until the fake's state satisfies ``condition``."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(condition)

    async def changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- gateway-facing test API ---------------------------------------------
    async def wait_ready(self, shard: int = 0, *, within: float = 5.0) -> Session:
        """The shard's session once READY and its GUILD_CREATEs have gone out."""
        await self.wait_until(lambda: self.gateway.ready(shard) is not None, within=within)
        session = self.gateway.ready(shard)
        assert session is not None
        return session

    async def dispatch(self, event: str, data: JSON, *, shard: int = 0, within: float = 5.0) -> int:
        """Send any dispatch event on a shard; the sequence number it got."""
        return await self.gateway.dispatch(shard, event, data, within=within)

    async def kick(self, shard: int = 0, *, resumable: bool = True) -> None:
        """Close the shard's connection (code 4000). The bot should reconnect and RESUME;
        with ``resumable=False`` the RESUME is answered INVALID_SESSION and it must
        IDENTIFY again."""
        await self.gateway.kick(shard, resumable=resumable)

    async def send_interaction(
        self, payload: Mapping[str, Any], *, shard: int | None = None, within: float = 5.0
    ) -> int:
        """Dispatch INTERACTION_CREATE (filling ``id``, ``token``, ``application_id``,
        ``version`` and, unless given, the user's ``entitlements``) and start its clocks;
        the interaction id."""
        data = copy.deepcopy(dict(payload))
        interaction_id = self.snowflake()
        token = _interaction_token(interaction_id)
        data |= {
            "id": str(interaction_id),
            "token": token,
            "application_id": str(self.application_id),
            "version": 1,
        }
        guild_id = int(data["guild_id"]) if data.get("guild_id") else None
        channel_id = int(data["channel_id"])
        if data["type"] in (APPLICATION_COMMAND, AUTOCOMPLETE):
            self._resolve_command(data, guild_id)
        component_message = None
        if data["type"] == MESSAGE_COMPONENT:
            component_message = self._component_message(data)
        self._fill_channel(data, guild_id, channel_id)
        self._fill_owner(data, guild_id)
        self._note_direct_channel(data, channel_id)
        if not data.get("entitlements"):
            user = data["member"]["user"] if "member" in data else data["user"]
            data["entitlements"] = self.entitled(int(user["id"]), guild_id)
        target = self.shard_of(guild_id) if shard is None else shard
        self.interactions[interaction_id] = Interaction(
            id=interaction_id,
            token=token,
            type=data["type"],
            payload=data,
            created=self.clock(),
            shard=target,
            guild_id=guild_id,
            channel_id=channel_id,
            component_message_id=component_message,
        )
        await self.gateway.dispatch(target, "INTERACTION_CREATE", data, within=within)
        return interaction_id

    # --- shared by the REST and gateway sides -----------------------------------
    def clock(self) -> float:
        return time.monotonic()

    def shard_of(self, guild_id: int | None) -> int:
        if guild_id is None:
            return 0
        return (guild_id >> 22) % self.gateway.shard_count()

    def channel(self, channel_id: int) -> tuple[Guild, JSON] | None:
        for guild in self.guilds.values():
            for channel in guild.channels:
                if int(channel["id"]) == channel_id:
                    return guild, channel
        return None

    def known_user(self, user_id: int) -> JSON | None:
        """A user the fake knows: a member of one of its guilds, or someone who sent the
        bot an interaction (the bot itself included)."""
        if int(user_id) == self.application_id:
            return self.bot_user
        for guild in self.guilds.values():
            for member in guild.members:
                if int(member["user"]["id"]) == int(user_id):
                    return dict(member["user"])
        for interaction in self.interactions.values():
            payload = interaction.payload
            user = payload["member"]["user"] if "member" in payload else payload.get("user")
            if user is not None and int(user["id"]) == int(user_id):
                return dict(user)
        return None

    def open_dm(self, user: Mapping[str, Any]) -> DirectChannel:
        """The bot's DM channel with a user, created on first use."""
        existing = self.dm_with(int(user["id"]))
        if existing is not None:
            return existing
        channel = DirectChannel(self.snowflake(), user_json(user))
        self.direct_channels[channel.id] = channel
        return channel

    def direct_channel_json(self, channel: DirectChannel) -> JSON:
        sent = [m.id for m in self.messages.values() if m.channel_id == channel.id]
        return channel.json(max(sent, default=None))

    def take_rate_limit(self, method: str, path: str) -> float | None:
        for limit in self._rate_limits:
            if limit.remaining > 0 and _matches(limit.glob, method, path):
                limit.remaining -= 1
                return limit.retry_after
        return None

    def take_failure(self, method: str, path: str) -> int | None:
        for failure in self._failures:
            if failure.remaining > 0 and _matches(failure.glob, method, path):
                failure.remaining -= 1
                return failure.status
        return None

    def interaction_age(self, interaction: Interaction) -> float:
        return self.clock() - interaction.created

    def overwrite_commands(self, guild_id: int | None, commands: list[JSON]) -> list[JSON]:
        """Replace the global (or a guild's) commands; ids survive for unchanged names."""
        previous = {(c["type"], c["name"]): c["id"] for c in self.commands.get(guild_id, [])}
        stored = []
        for command in commands:
            kind = command.get("type", 1)
            shaped: JSON = {
                "id": previous.get((kind, command["name"])) or str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "default_member_permissions": None,
                "type": kind,
                "name": command["name"],
                "name_localizations": None,
                "description": command.get("description") or "",
                "description_localizations": None,
                "nsfw": bool(command.get("nsfw", False)),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
            }
            for key in ("options", "default_member_permissions", "name_localizations"):
                if command.get(key) is not None:
                    shaped[key] = command[key]
            if command.get("description_localizations") is not None:
                shaped["description_localizations"] = command["description_localizations"]
            if guild_id is None:
                shaped["dm_permission"] = command.get("dm_permission", True)
            else:
                shaped["guild_id"] = str(guild_id)
            stored.append(shaped)
        self.commands[guild_id] = stored
        self.overwrites.append(CommandOverwrite(guild_id, tuple(copy.deepcopy(stored))))
        return stored

    def new_message(self, channel_id: int, via: str, **fields: Any) -> Message:
        found = self.channel(channel_id)
        message = Message(
            id=self.snowflake(),
            channel_id=channel_id,
            guild_id=found[0].id if found else None,
            author=self.bot_user,
            via=via,
            **fields,
        )
        self.messages[message.id] = message
        return message

    def _resolve_command(self, data: JSON, guild_id: int | None) -> None:
        name, kind = data["data"]["name"], data["data"].get("type", 1)
        for scope in (guild_id, None) if guild_id is not None else (None,):
            for command in self.commands.get(scope, []):
                if (command["name"], command["type"]) == (name, kind):
                    check_invocation(command, data["data"].get("options") or [], f"/{name}")
                    data["data"]["id"] = command["id"]
                    if scope is not None:
                        data["data"]["guild_id"] = str(scope)
                    return
        raise LookupError(
            f"no command {name!r} is registered for guild {guild_id} or globally: Discord only "
            "sends interactions for registered commands (sync, or fake.register_commands)"
        )

    def _component_message(self, data: JSON) -> int:
        shown = data.get("message")
        if not isinstance(shown, Mapping) or "id" not in shown:
            raise ValueError("a component interaction carries the message its component is on")
        message_id = int(shown["id"])
        known = self.messages.get(message_id)
        if known is None:
            known = Message(
                id=message_id,
                channel_id=int(shown.get("channel_id", data["channel_id"])),
                guild_id=int(data["guild_id"]) if data.get("guild_id") else None,
                author=dict(shown.get("author") or self.bot_user),
                via="test",
                content=str(shown.get("content", "")),
                embeds=list(shown.get("embeds") or []),
                components=list(shown.get("components") or []),
                flags=int(shown.get("flags") or 0),
                type=int(shown.get("type") or 0),
            )
            self.messages[message_id] = known
        elif data["data"]["custom_id"] not in component_custom_ids(known.components):
            raise ValueError(f"message {message_id} has no component {data['data']['custom_id']!r}")
        data["message"] = known.json()
        return message_id

    def _note_direct_channel(self, data: JSON, channel_id: int) -> None:
        """An interaction in the bot's DM (context 1) names that user's DM channel."""
        if data.get("guild_id") or data.get("context") != 1 or "user" not in data:
            return
        user = data["user"]
        if self.dm_with(int(user["id"])) is None and channel_id not in self.direct_channels:
            self.direct_channels[channel_id] = DirectChannel(channel_id, dict(user))

    def _fill_owner(self, data: JSON, guild_id: int | None) -> None:
        """The guild's owner holds every permission, as Discord computes it."""
        if guild_id is None or guild_id not in self.guilds or "member" not in data:
            return
        if int(data["member"]["user"]["id"]) == self.owner_of(guild_id):
            data["member"]["permissions"] = str(ALL_PERMISSIONS)

    def _fill_channel(self, data: JSON, guild_id: int | None, channel_id: int) -> None:
        found = self.channel(channel_id)
        if guild_id is None or found is None:
            return
        guild, channel = found
        visible = channel_id not in guild.hidden_channels
        permissions = MEMBER_PERMISSIONS if visible else MEMBER_PERMISSIONS & ~VIEW_CHANNEL
        data["channel"] = {
            **channel,
            "guild_id": str(guild.id),
            "permissions": str(MEMBER_PERMISSIONS),
        }
        data["app_permissions"] = str(permissions)


def _matches(glob: str, method: str, path: str) -> bool:
    subject = path if glob.startswith("/") else f"{method} {path}"
    return fnmatch.fnmatchcase(subject, glob)


def _interaction_token(interaction_id: int) -> str:
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(48)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
