"""Who sent a Discord interaction.

Discord user ids are global: one person is one identity in every server (namespace
``global``); the guild an interaction came from (``dm`` outside servers) is context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.identity import Requester

PLATFORM = "discord"
NAMESPACE = "global"
DIRECT = "dm"


def requester(interaction: Mapping[str, Any]) -> Requester:
    """The requester of an interaction payload (in a guild: ``member.user``; in a
    direct message: ``user``), named as the server shows them."""
    member = interaction.get("member") or {}
    user = member.get("user") or interaction["user"]
    name = member.get("nick") or user.get("global_name") or user.get("username") or ""
    return Requester(
        PLATFORM,
        str(interaction.get("guild_id") or DIRECT),
        str(user["id"]),
        str(name),
        namespace=NAMESPACE,
    )
