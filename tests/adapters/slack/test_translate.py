"""Slack's slash commands and messages read as the terminal's lines do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from adapters.slack.app import COMMANDS as TOP_LEVEL
from adapters.slack.app import wants_form
from adapters.slack.setup import SCOPES
from adapters.slack.translate import ATTACH_INSTEAD, UMBRELLA, command_of, line_of, mention_text
from core.commands import (
    COMMANDS,
    Buy,
    CapCredits,
    DeleteMe,
    Forget,
    History,
    Imagine,
    PrivacyConsent,
    PrivacyCorrect,
    PrivacyExport,
    PrivacyInfo,
    PrivacyObject,
    PrivacyRestrict,
    Reformat,
    ShareCredits,
    ShowCredits,
    TeamCredits,
    UseCredits,
)
from core.errors import BadInput

MANIFEST = Path(__file__).parents[3] / "config" / "slack_manifest.yml"


@pytest.mark.parametrize(
    ("command", "text", "line"),
    [
        ("/aioe", "imagine --url https://shop.example/p", "/imagine --url https://shop.example/p"),
        ("/aioe", "/credits", "/credits"),
        ("/aioe", "", "/help"),
        ("/imagine", "a mug --format story", "/imagine a mug --format story"),
        ("/credits", "", "/credits"),
    ],
)
def test_a_slash_command_is_the_terminal_line_it_stands_for(
    command: str, text: str, line: str
) -> None:
    assert line_of(command, text) == line


#: What each command needs after its name to be a whole command.
ARGUMENTS = {
    "reroll": " img_1",
    "reformat": " img_1 story",
    "cancel": " job_1",
    "forget": " img_1",
    "privacy consent": " analytics on",
    "privacy correct": " name Ada",
    "privacy restrict": " on",
    "credits use": " team",
    "credits share": " on",
    "credits cap": " 5",
}


async def test_every_command_core_knows_works_through_the_umbrella_command() -> None:
    for name in COMMANDS:
        parsed = await command_of(UMBRELLA, name + ARGUMENTS.get(name, ""))
        assert parsed.name == name
    assert await command_of(UMBRELLA, "reformat img_1 story") == Reformat("img_1", "story")
    assert await command_of("/credits", "") == ShowCredits()


async def test_every_command_whose_name_slack_registers_works_through_that_command() -> None:
    reachable = set()
    for name in COMMANDS:
        command, _, rest = name.partition(" ")
        if f"/{command}" in TOP_LEVEL:
            parsed = await command_of(f"/{command}", rest + ARGUMENTS.get(name, ""))
            assert parsed.name == name
            reachable.add(name)
    assert set(COMMANDS) - reachable == {"reroll", "reformat", "cancel", "help"}  # /aioe only


@pytest.mark.parametrize(
    ("command", "text", "parsed"),
    [
        ("/history", "", History(page=1)),
        ("/history", "2", History(page=2)),
        ("/aioe", "history 2", History(page=2)),
        ("/forget", "img_k3m9x2qa7p", Forget("img_k3m9x2qa7p")),
        ("/privacy", "", PrivacyInfo()),
        ("/privacy", "export", PrivacyExport()),
        ("/aioe", "privacy export", PrivacyExport()),
        ("/privacy", "consent analytics off", PrivacyConsent("analytics", granted=False)),
        ("/privacy", "correct email ada@example.com", PrivacyCorrect("email", "ada@example.com")),
        ("/privacy", "restrict on", PrivacyRestrict(on=True)),
        ("/privacy", "object", PrivacyObject()),
        ("/privacy", "delete", DeleteMe()),
        ("/delete-me", "", DeleteMe()),
        ("/delete-me", "confirm K3M9X2", DeleteMe(code="K3M9X2")),
        ("/aioe", "delete-me", DeleteMe()),
    ],
)
async def test_history_and_privacy_read_as_the_terminal_reads_them(
    command: str, text: str, parsed: object
) -> None:
    assert await command_of(command, text) == parsed


@pytest.mark.parametrize(
    ("command", "text", "parsed"),
    [
        ("/credits", "team", TeamCredits()),
        ("/credits", "use team", UseCredits("team")),
        ("/credits", "use Personal", UseCredits("personal")),
        ("/credits", "share on", ShareCredits(on=True)),
        ("/credits", "share off", ShareCredits(on=False)),
        ("/credits", "cap 5", CapCredits(limit=5)),
        ("/credits", "cap off", CapCredits(limit=None)),
        ("/aioe", "credits team", TeamCredits()),
        ("/aioe", "credits cap 12", CapCredits(limit=12)),
        ("/aioe", "/credits share off", ShareCredits(on=False)),
        ("/buy", "team starter", Buy(item="starter", team=True)),
        ("/buy", "starter", Buy(item="starter")),
        ("/aioe", "buy team Starter", Buy(item="starter", team=True)),
    ],
)
async def test_team_credit_lines_read_as_the_terminal_reads_them(
    command: str, text: str, parsed: object
) -> None:
    assert await command_of(command, text) == parsed


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("/credits", "cap 0"),
        ("/credits", "cap lots"),
        ("/credits", "share maybe"),
        ("/credits", "use"),
        ("/credits", "everyone"),
        ("/buy", "team"),
    ],
)
async def test_a_team_credit_line_with_wrong_words_is_one_sentence(command: str, text: str) -> None:
    with pytest.raises(BadInput) as refused:
        await command_of(command, text)
    assert refused.value.message.endswith(".")


async def test_a_file_path_is_refused_with_a_sentence_on_attaching_instead() -> None:
    with pytest.raises(BadInput) as refused:
        await command_of("/imagine", "--image ./mug.jpg")
    assert refused.value.message == ATTACH_INSTEAD


async def test_mentions_leave_the_prompt_and_options() -> None:
    text = mention_text("<@U0LAN0Z89> a mug on marble  --format story")
    assert await command_of("/imagine", text) == Imagine(prompt="a mug on marble", format="story")


def test_imagine_with_no_text_opens_the_form() -> None:
    assert wants_form("/imagine", "  ") and wants_form("/aioe", "imagine")
    assert not wants_form("/imagine", "a mug") and not wants_form("/credits", "")


def test_the_manifest_declares_every_command_scope_and_event_the_app_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == {UMBRELLA, *TOP_LEVEL}
    assert manifest["oauth_config"]["scopes"]["bot"] == list(SCOPES)
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "message.im", "app_uninstalled", "tokens_revoked"}
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["callback_id"] == "aioe.make_images"


def test_each_slash_command_is_one_slack_accepts_and_aioe_hints_at_every_command() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    for name, declared in commands.items():
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", name), name
        assert 0 < len(declared["description"]) <= 2000
        assert len(declared.get("usage_hint", "")) <= 1000
        assert declared["url"].endswith("/slack/events")
    hinted = set(re.split(r"[ |]+", commands[UMBRELLA]["usage_hint"]))
    assert hinted == {name.split()[0] for name in COMMANDS}


async def test_links_and_escapes_in_message_text_read_as_typed() -> None:
    text = mention_text("<@U0LAN0Z89> --url <https://shop.example/p?a=1&amp;b=2|shop.example/p>")
    assert await command_of("/imagine", text) == Imagine(url="https://shop.example/p?a=1&b=2")
