"""Discord's documented JSON shapes: users, guilds, channels, and the interactions it sends."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

API_VERSION = 10
DISCORD_EPOCH_MS = 1_420_070_400_000
#: Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7
#: Permission bits the fake uses.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
#: Every permission Discord defines (as discord.py 2.7's ``Permissions.all()``): what the
#: guild's owner holds, whatever the roles say.
ALL_PERMISSIONS = 8866461766385663
MEMBER_PERMISSIONS = (
    1  # CREATE_INSTANT_INVITE
    | 1 << 6  # ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | 1 << 14  # EMBED_LINKS
    | 1 << 15  # ATTACH_FILES
    | 1 << 16  # READ_MESSAGE_HISTORY
    | 1 << 18  # USE_EXTERNAL_EMOJIS
    | 1 << 20  # CONNECT
    | 1 << 21  # SPEAK
    | 1 << 26  # CHANGE_NICKNAME
    | 1 << 31  # USE_APPLICATION_COMMANDS
    | 1 << 35  # CREATE_PUBLIC_THREADS
    | 1 << 38  # SEND_MESSAGES_IN_THREADS
)
#: Free guilds and DMs accept uploads of up to 10 MiB per file.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
#: Interaction types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
#: Application command option types, by the Python type of a value.
_OPTION_TYPES: tuple[tuple[type, int], ...] = ((bool, 5), (int, 4), (float, 10), (str, 3))
ATTACHMENT_OPTION = 11


class Snowflakes:
    """Discord ids: milliseconds since 2015 shifted left 22 bits, then a counter."""

    def __init__(self) -> None:
        self._increment = itertools.count(1)

    def __call__(self, at: float | None = None) -> int:
        millis = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (1 << 17) | (next(self._increment) & 0xFFF)


_snowflake = Snowflakes()


def timestamp(at: datetime | None = None) -> str:
    """An ISO 8601 timestamp as Discord writes them (UTC, microseconds, +00:00)."""
    return (at or datetime.now(UTC)).isoformat(timespec="microseconds")


def user_json(user: Mapping[str, Any]) -> JSON:
    """A full user object from at least ``id`` and ``username``."""
    return {
        "avatar": None,
        "avatar_decoration_data": None,
        "discriminator": "0",
        "global_name": None,
        "public_flags": 0,
        "primary_guild": None,
        "collectibles": None,
        **user,
        "id": str(user["id"]),
    }


def member_json(
    user: Mapping[str, Any], *, joined_at: str | None = None, permissions: int | None = None
) -> JSON:
    """A guild member (``permissions`` only appears in interaction payloads)."""
    member: JSON = {
        "user": user_json(user),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [],
        "joined_at": joined_at or timestamp(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
    }
    if permissions is not None:
        member["permissions"] = str(permissions)
    return member


def everyone_role(guild_id: int, permissions: int = MEMBER_PERMISSIONS) -> JSON:
    """The @everyone role, whose id is the guild's."""
    return {
        "id": str(guild_id),
        "name": "@everyone",
        "description": None,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": 0,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel_json(
    channel_id: int, name: str, *, position: int = 0, hidden_from: int | None = None
) -> JSON:
    """A guild text channel; ``hidden_from`` (a role id) denies that role VIEW_CHANNEL."""
    overwrites = []
    if hidden_from is not None:
        overwrites.append(
            {"id": str(hidden_from), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
        )
    return {
        "id": str(channel_id),
        "type": 0,
        "name": name,
        "position": position,
        "flags": 0,
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "permission_overwrites": overwrites,
    }


def guild_create_json(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    channels: Sequence[JSON],
    members: Sequence[JSON],
    joined_at: str,
) -> JSON:
    """A guild as GUILD_CREATE carries it: the guild object plus the gateway-only fields."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [everyone_role(guild_id)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500_000,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "joined_at": joined_at,
        "large": False,
        "unavailable": False,
        "member_count": len(members),
        "voice_states": [],
        "members": list(members),
        "channels": list(channels),
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def _options(values: Mapping[str, Any] | Sequence[JSON]) -> list[JSON]:
    if not isinstance(values, Mapping):
        return [dict(option) for option in values]
    options = []
    for name, value in values.items():
        kind = next((code for python, code in _OPTION_TYPES if isinstance(value, python)), None)
        if kind is None:
            raise TypeError(f"option {name!r}: no Discord option type for {type(value).__name__}")
        options.append({"name": name, "type": kind, "value": value})
    return options


def _base(
    kind: int,
    guild_id: int | None,
    channel_id: int,
    user: Mapping[str, Any],
    locale: str,
    permissions: int = MEMBER_PERMISSIONS,
) -> JSON:
    """The fields every interaction carries (``id``, ``token``, ``application_id`` and
    ``version`` are filled in by the fake when it sends the interaction); in a guild, the
    member with their ``permissions`` in the channel, a string as Discord sends it."""
    payload: JSON = {
        "type": kind,
        "channel_id": str(channel_id),
        "app_permissions": str(MEMBER_PERMISSIONS),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild_id is None:
        payload["user"] = user_json(user)
        payload["channel"] = {
            "id": str(channel_id),
            "type": 1,
            "flags": 0,
            "last_message_id": None,
            "recipients": [user_json(user)],
        }
        payload["authorizing_integration_owners"] = {"0": "0"}
        payload["context"] = 1
        return payload
    payload["guild_id"] = str(guild_id)
    payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
    payload["guild_locale"] = "en-US"
    payload["member"] = member_json(user, permissions=permissions)
    payload["channel"] = {**text_channel_json(channel_id, "general"), "guild_id": str(guild_id)}
    payload["authorizing_integration_owners"] = {"0": str(guild_id)}
    payload["context"] = 0
    return payload


def slash_interaction(
    guild_id: int | None,
    channel_id: int,
    user: Mapping[str, Any],
    name: str,
    options: Mapping[str, Any] | Sequence[JSON] = (),
    attachments: Mapping[str, JSON] | None = None,
    *,
    locale: str = "en-US",
    permissions: int = MEMBER_PERMISSIONS,
) -> JSON:
    """A CHAT_INPUT command interaction (``guild_id=None``: in a DM with the bot).

    ``options`` maps option names to values (or is Discord's option list as is);
    ``attachments`` maps attachment option names to attachment objects from
    ``fake.add_attachment``, which also land in ``data.resolved.attachments``;
    ``permissions`` are the member's in the channel (the guild's owner holds them all,
    whatever is given: the fake fills that in when it sends the interaction)."""
    data: JSON = {"id": str(_snowflake()), "name": name, "type": 1}
    listed = _options(options)
    resolved: dict[str, JSON] = {}
    for option_name, attachment in (attachments or {}).items():
        listed.append({"name": option_name, "type": ATTACHMENT_OPTION, "value": attachment["id"]})
        resolved[attachment["id"]] = dict(attachment)
    if listed:
        data["options"] = listed
    if resolved:
        data["resolved"] = {"attachments": resolved}
    base = _base(APPLICATION_COMMAND, guild_id, channel_id, user, locale, permissions)
    return {**base, "data": data}


def autocomplete_interaction(
    guild_id: int | None,
    channel_id: int,
    user: Mapping[str, Any],
    name: str,
    options: Mapping[str, Any] | Sequence[JSON],
    focused: str,
    *,
    locale: str = "en-US",
) -> JSON:
    """An APPLICATION_COMMAND_AUTOCOMPLETE interaction: the user is typing ``focused``."""
    payload = slash_interaction(guild_id, channel_id, user, name, options, locale=locale)
    payload["type"] = AUTOCOMPLETE
    for option in payload["data"].get("options", []):
        if option["name"] == focused:
            option["focused"] = True
            option["value"] = str(option["value"])
    return payload


def component_interaction(
    guild_id: int | None,
    channel_id: int,
    user: Mapping[str, Any],
    custom_id: str,
    values: Iterable[str] | None = None,
    *,
    message: Mapping[str, Any],
    locale: str = "en-US",
    permissions: int = MEMBER_PERMISSIONS,
) -> JSON:
    """A MESSAGE_COMPONENT interaction: a button press, or (``values`` given) a string
    select. ``message`` is the message the component is on (``fake.message_json(id)``)."""
    data: JSON = {"custom_id": custom_id, "component_type": 2}
    if values is not None:
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
    payload = _base(MESSAGE_COMPONENT, guild_id, channel_id, user, locale, permissions)
    return {**payload, "data": data, "message": dict(message)}


def component_custom_ids(components: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every ``custom_id`` among components, nested ones included."""
    found: set[str] = set()
    for component in components:
        if isinstance(component.get("custom_id"), str):
            found.add(component["custom_id"])
        found |= component_custom_ids(component.get("components", ()))
        if isinstance(component.get("component"), Mapping):
            found |= component_custom_ids([component["component"]])
        if isinstance(component.get("accessory"), Mapping):
            found |= component_custom_ids([component["accessory"]])
    return found
