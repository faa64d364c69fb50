"""The application commands offer exactly core's commands, within Discord's rules."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.commands import (
    MAKE_IMAGES,
    PATHS,
    application_commands,
    paths_of,
    suggestions,
    usage,
)
from adapters.discord.setup import DiscordConfig, DiscordSide
from core.commands import COMMANDS
from core.files import ImageFiles
from core.templates import Catalog, Template, load_catalog
from tests.fakes.discord_server import FakeDiscord, discord_server
from tests.fakes.discord_server.checks import check_commands

ROOT = Path(__file__).parents[3]
CATALOG = load_catalog(ROOT / "config" / "templates.toml")
COMMANDS_JSON = application_commands(CATALOG)


def by_name(commands: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {command["name"]: command for command in commands}


def option(command: str, name: str, commands: list[dict[str, Any]] = COMMANDS_JSON) -> Any:
    """An option of a command, or of a subcommand (``"privacy consent"``)."""
    top, *sub = command.split(" ")
    options = by_name(commands)[top]["options"]
    if sub:
        options = next(o for o in options if o["name"] == sub[0])["options"]
    return next(o for o in options if o["name"] == name)


def paths(commands: list[dict[str, Any]]) -> Iterator[tuple[str, ...]]:
    """Every path a person can type: a command, or a command and one of its subcommands."""
    for command in commands:
        if command["type"] != 1:
            continue
        subs = [o["name"] for o in command["options"] if o["type"] == 1]
        if subs:
            yield from ((command["name"], sub) for sub in subs)
        else:
            yield (command["name"],)


def is_chat_input_name(name: str) -> bool:
    """Discord's ``^[-_\\p{L}\\p{N}]{1,32}$``, lower case where the letter has cases."""
    allowed = all(c in "-_" or unicodedata.category(c)[0] in "LN" for c in name)
    return 1 <= len(name) <= 32 and allowed and name == name.lower()


def assert_discord_accepts(commands: list[dict[str, Any]]) -> None:
    assert len(commands) <= 100 + 5
    keys = [(c["type"], c["name"]) for c in commands]
    assert len(keys) == len(set(keys))
    for command in commands:
        if command["type"] != 1:
            assert command["type"] == 3 and 1 <= len(command["name"]) <= 32
            assert "options" not in command and not command.get("description")
            continue
        assert is_chat_input_name(command["name"])
        assert 1 <= len(command["description"]) <= 100
        assert_options_accepted(command["options"], nested=True)
        assert command["contexts"] and command["integration_types"]
    check_commands(commands)  # and the fake Discord's checks too


def assert_options_accepted(options: list[dict[str, Any]], *, nested: bool) -> None:
    assert len(options) <= 25
    names = [o["name"] for o in options]
    assert len(names) == len(set(names))
    subcommands = [o for o in options if o["type"] == 1]
    if subcommands:  # a command holds subcommands or options, never both
        assert nested and len(subcommands) == len(options)
        for sub in subcommands:
            assert is_chat_input_name(sub["name"]) and 1 <= len(sub["description"]) <= 100
            assert "required" not in sub and "choices" not in sub
            assert_options_accepted(sub["options"], nested=False)
        return
    required = [o["required"] for o in options]
    assert required == sorted(required, reverse=True), "required options come first"
    for o in options:
        assert is_chat_input_name(o["name"]) and 1 <= len(o["description"]) <= 100
        assert o["type"] in (3, 4, 11)
        assert not ("choices" in o and o.get("autocomplete"))
        if "choices" in o:
            assert 0 < len(o["choices"]) <= 25
            for choice in o["choices"]:
                assert 1 <= len(choice["name"]) <= 100
                assert 1 <= len(choice["value"]) <= 100
        if "min_value" in o or "max_value" in o:
            assert o["type"] == 4


def test_every_core_command_is_reachable_from_the_paths_of_the_table_and_only_those() -> None:
    assert {slash.core for slash in PATHS.values()} == set(COMMANDS)
    assert set(paths(COMMANDS_JSON)) == set(PATHS)
    assert {c["name"] for c in COMMANDS_JSON if c["type"] == 3} == {MAKE_IMAGES}


@pytest.mark.parametrize(
    ("path", "core"),
    [
        (("privacy", "show"), "privacy"),
        (("privacy", "export"), "privacy export"),
        (("privacy", "consent"), "privacy consent"),
        (("privacy", "correct"), "privacy correct"),
        (("privacy", "restrict"), "privacy restrict"),
        (("privacy", "object"), "privacy object"),
        (("privacy", "delete"), "delete-me"),
        (("delete-me",), "delete-me"),
        (("history",), "history"),
        (("forget",), "forget"),
        (("team", "credits"), "credits team"),
        (("team", "use"), "credits use"),
        (("team", "share"), "credits share"),
        (("team", "cap"), "credits cap"),
        (("team", "buy"), "buy"),
    ],
)
def test_each_new_path_runs_its_core_command(path: tuple[str, ...], core: str) -> None:
    assert PATHS[path].core == core


def test_delete_me_and_buy_have_two_paths_and_every_other_command_one() -> None:
    assert paths_of("delete-me") == [("delete-me",), ("privacy", "delete")]
    assert paths_of("buy") == [("buy",), ("team", "buy")]
    twice = {"delete-me", "buy"}
    assert all(len(paths_of(name)) == 1 for name in COMMANDS if name not in twice)


def test_every_command_follows_discords_rules() -> None:
    assert_discord_accepts(COMMANDS_JSON)


def test_privacy_is_one_command_of_subcommands() -> None:
    privacy = by_name(COMMANDS_JSON)["privacy"]
    assert [(o["name"], o["type"]) for o in privacy["options"]] == [
        (name, 1)
        for name in ("show", "export", "consent", "correct", "restrict", "object", "delete")
    ]


def test_team_is_one_command_of_subcommands_beside_credits() -> None:
    team = by_name(COMMANDS_JSON)["team"]
    assert [(o["name"], o["type"]) for o in team["options"]] == [
        (name, 1) for name in ("credits", "use", "share", "cap", "buy")
    ]
    assert by_name(COMMANDS_JSON)["credits"]["options"] == []  # /credits stays a command


def test_the_team_subcommands_take_what_core_takes() -> None:
    source = option("team use", "source")
    assert source["required"] and [c["value"] for c in source["choices"]] == ["team", "personal"]
    setting = option("team share", "setting")
    assert setting["required"] and [c["value"] for c in setting["choices"]] == ["on", "off"]
    cap = option("team cap", "credits")
    assert (cap["type"], cap["min_value"], cap["required"]) == (4, 1, False)
    assert "max_value" not in cap
    pack = option("team buy", "pack")
    assert (pack["type"], pack["required"]) == (3, True)
    assert by_name(COMMANDS_JSON)["team"]["options"][0]["options"] == []  # /team credits


def test_consent_correct_and_restrict_offer_only_what_core_takes() -> None:
    def choices(command: str, name: str) -> list[Any]:
        found = option(command, name)
        assert found["required"] and found["type"] == 3
        return [c["value"] for c in found["choices"]]

    assert choices("privacy consent", "purpose") == ["analytics"]
    assert choices("privacy consent", "setting") == ["on", "off"]
    assert choices("privacy restrict", "setting") == ["on", "off"]
    assert choices("privacy correct", "field") == ["name", "email"]
    value = option("privacy correct", "value")
    assert value["required"] and "choices" not in value


def test_history_takes_a_page_from_1_and_forget_needs_an_image_id() -> None:
    page = option("history", "page")
    assert (page["type"], page["min_value"], page["required"]) == (4, 1, False)
    assert option("forget", "image_id")["required"]
    assert by_name(COMMANDS_JSON)["delete-me"]["options"] == []


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with discord_server() as server:
        monkeypatch.setattr(Route, "BASE", server.api_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


async def test_sync_is_accepted_and_discord_py_reads_the_subcommands_back(
    fake: FakeDiscord,
) -> None:
    config = DiscordConfig(token=fake.bot_token, api_url=fake.api_url, secret="test-secret")
    side = DiscordSide(config, files=cast(ImageFiles, None))  # sync reads no image
    names = await side.sync(CATALOG)
    assert names == [c["name"] for c in COMMANDS_JSON]
    client = discord.Client(intents=discord.Intents.none())
    tree = discord.app_commands.CommandTree(client)
    try:
        await client.login(fake.bot_token)
        fetched = {command.name: command for command in await tree.fetch_commands()}
    finally:
        await client.close()
    privacy = fetched["privacy"].options
    assert all(isinstance(o, discord.app_commands.AppCommandGroup) for o in privacy)
    consent = next(o for o in privacy if o.name == "consent")
    assert isinstance(consent, discord.app_commands.AppCommandGroup)
    setting = next(o for o in consent.options if o.name == "setting")
    assert isinstance(setting, discord.app_commands.Argument)
    assert [c.value for c in setting.choices] == ["on", "off"] and setting.required
    team = {o.name: o for o in fetched["team"].options}
    assert list(team) == ["credits", "use", "share", "cap", "buy"]
    cap = team["cap"]
    assert isinstance(cap, discord.app_commands.AppCommandGroup)
    (limit,) = cap.options
    assert isinstance(limit, discord.app_commands.Argument)
    assert (limit.name, limit.min_value, limit.required) == ("credits", 1, False)


def test_imagine_takes_a_photo_and_one_to_four_images() -> None:
    assert option("imagine", "image")["type"] == 11
    n = option("imagine", "n")
    assert (n["type"], n["min_value"], n["max_value"], n["required"]) == (4, 1, 4, False)
    assert all(not o["required"] for o in by_name(COMMANDS_JSON)["imagine"]["options"])


def test_templates_and_formats_are_offered_as_choices_from_the_catalogue() -> None:
    templates = option("imagine", "template")["choices"]
    assert [c["value"] for c in templates] == list(CATALOG.templates)
    assert templates[0]["name"].startswith("studio-white: ")
    for command in ("imagine", "reformat"):
        formats = option(command, "format")["choices"]
        assert [c["value"] for c in formats] == list(CATALOG.formats)
    assert {"name": "story: 1080×1920 Stories and Reels covers (9:16)", "value": "story"} in (
        formats
    )


def test_the_ids_a_command_needs_are_required() -> None:
    assert [(o["name"], o["required"]) for o in by_name(COMMANDS_JSON)["reformat"]["options"]] == [
        ("image_id", True),
        ("format", True),
    ]
    assert option("cancel", "job_id")["required"] and option("reroll", "image_id")["required"]


def big_catalog(count: int) -> Catalog:
    template = CATALOG.templates[CATALOG.default_template]
    many = {f"look-{n}": Template(f"look-{n}", "x" * 200, "square", "") for n in range(count)}
    return Catalog(
        templates=MappingProxyType({template.name: template, **many}),
        formats=CATALOG.formats,
        default_template=template.name,
    )


def test_a_catalogue_of_more_than_25_templates_switches_to_autocomplete() -> None:
    commands = application_commands(big_catalog(30))
    assert_discord_accepts(commands)
    template = option("imagine", "template", commands)
    assert template["autocomplete"] is True and "choices" not in template
    assert "choices" in option("imagine", "format", commands)


def test_a_long_description_is_cut_to_a_choice_name() -> None:
    choices = option("imagine", "template", application_commands(big_catalog(3)))["choices"]
    assert max(len(c["name"]) for c in choices) == 100
    assert choices[-1]["name"].endswith("…")


def test_autocomplete_suggests_the_entries_that_contain_what_was_typed() -> None:
    data = {
        "name": "imagine",
        "type": 1,
        "options": [
            {"name": "prompt", "type": 3, "value": "a mug"},
            {"name": "template", "type": 3, "value": "LOOK-2", "focused": True},
        ],
    }
    found = suggestions(data, big_catalog(30))
    assert [c["value"] for c in found] == ["look-2", *(f"look-{n}" for n in range(20, 30))]
    nothing_typed = {
        **data,
        "options": [{"name": "template", "type": 3, "value": "", "focused": True}],
    }
    assert len(suggestions(nothing_typed, big_catalog(30))) == 25


@pytest.mark.parametrize(
    "data",
    [
        {
            "name": "imagine",
            "options": [{"name": "prompt", "type": 3, "value": "x", "focused": True}],
        },
        {"name": "imagine", "options": []},
        {"name": "paint", "options": [{"name": "format", "type": 3, "value": "", "focused": True}]},
    ],
)
def test_autocomplete_suggests_nothing_outside_the_catalogue(data: dict[str, Any]) -> None:
    assert suggestions(data, CATALOG) == []


def test_usage_marks_required_and_optional_options() -> None:
    assert usage("reformat") == "/reformat <image_id> <format>"
    assert usage("imagine") == "/imagine [prompt] [image] [url] [template] [format] [n]"
    assert usage("help") == "/help"


def test_usage_spells_a_core_command_as_its_discord_path() -> None:
    assert usage("privacy") == "/privacy show"
    assert usage("privacy consent") == "/privacy consent <purpose> <setting>"
    assert usage("privacy correct") == "/privacy correct <field> <value>"
    assert usage("delete-me") == "/delete-me"
    assert usage("history") == "/history [page]"
    assert usage("credits team") == "/team credits"
    assert usage("credits use") == "/team use <source>"
    assert usage("credits share") == "/team share <setting>"
    assert usage("credits cap") == "/team cap [credits]"
    assert usage("buy") == "/buy [item]"
