"""Discord interactions name their sender: one global identity, the guild as context."""

from __future__ import annotations

import pytest

from adapters.discord.identity import requester
from core.identity import Identity
from tests.adapters.payloads import payload
from tests.fakes.discord_server.payloads import MEMBER_PERMISSIONS

MASON = Identity("discord", "global", "53908232506183680")


def test_a_guild_interaction_names_the_member_and_the_guild() -> None:
    sent_by = requester(payload("discord", "guild_command"))
    assert (sent_by.identity, sent_by.tenant, sent_by.display_name) == (
        MASON,
        "290926798626357250",
        "Mason",
    )


def test_a_direct_message_names_the_user_outside_any_guild() -> None:
    sent_by = requester(payload("discord", "dm_command"))
    assert (sent_by.identity, sent_by.tenant) == (MASON, "dm")


def test_a_server_nickname_is_the_name_shown() -> None:
    guild = payload("discord", "guild_command")
    nicked = {**guild, "member": {**guild["member"], "nick": "Mace"}}
    assert requester(nicked).display_name == "Mace"


@pytest.mark.parametrize(
    ("permissions", "manager"),
    [
        ("2147483647", True),  # the recorded member: every permission up to bit 30
        (str(1 << 5), True),  # Manage Server
        (str(1 << 3), True),  # Administrator
        (str((1 << 3) | (1 << 40)), True),  # beyond 32 bits: why Discord sends a string
        (str(MEMBER_PERMISSIONS), False),  # what a member has by default
        (str(1 << 4 | 1 << 28), False),  # Manage Channels, Manage Roles: not the server
        ("0", False),
        ("", False),
        ("not a number", False),
        (None, False),
    ],
)
def test_a_member_who_may_manage_the_server_manages_its_credits(
    permissions: str | None, manager: bool
) -> None:
    guild = payload("discord", "guild_command")
    member = {**guild["member"], "permissions": permissions}
    if permissions is None:
        del member["permissions"]
    assert requester({**guild, "member": member}).manager is manager


def test_nobody_manages_anything_in_a_direct_message() -> None:
    direct = payload("discord", "dm_command")
    assert "member" not in direct and requester(direct).manager is False
    with_bits = {**direct, "member": {"user": direct["user"], "permissions": str(1 << 3)}}
    assert requester(with_bits).manager is False  # no guild, whatever the bits say
