"""Who sent a Discord interaction.

Discord user ids are global: one person is one identity in every server (namespace
``global``); the guild an interaction came from (``dm`` outside servers) is context. A
member who may manage the server (or is an administrator) manages its shared credits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.identity import Requester

PLATFORM = "discord"
NAMESPACE = "global"
DIRECT = "dm"
#: Permission bits that make a member a manager of the server's shared credits.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


def manages(permissions: Any) -> bool:
    """Whether a member's permissions (Discord sends the bitfield as a string) include
    Manage Server or Administrator; a missing or unreadable value does not."""
    try:
        bits = int(permissions)
    except (TypeError, ValueError):
        return False
    return bool(bits & (MANAGE_GUILD | ADMINISTRATOR))


def member_requester(
    guild_id: int | str | None, user_id: int | str, name: str, permissions: Any
) -> Requester:
    """A requester in a guild (``guild_id`` set) or in a direct message, where nobody
    manages anything."""
    return Requester(
        PLATFORM,
        str(guild_id or DIRECT),
        str(user_id),
        name,
        namespace=NAMESPACE,
        manager=bool(guild_id) and manages(permissions),
    )


def requester(interaction: Mapping[str, Any]) -> Requester:
    """The requester of an interaction payload (in a guild: ``member.user`` and the
    member's ``permissions`` in the channel; in a direct message: ``user``), named as the
    server shows them."""
    member = interaction.get("member") or {}
    user = member.get("user") or interaction["user"]
    name = member.get("nick") or user.get("global_name") or user.get("username") or ""
    return member_requester(
        interaction.get("guild_id"), user["id"], str(name), member.get("permissions")
    )
