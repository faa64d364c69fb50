"""Discord interactions name their sender: one global identity, the guild as context."""

from __future__ import annotations

from adapters.discord.identity import requester
from core.identity import Identity
from tests.adapters.payloads import payload

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
