"""The application commands offer exactly core's commands, within Discord's rules."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from adapters.discord.commands import MAKE_IMAGES, application_commands, suggestions, usage
from core.commands import COMMANDS
from core.templates import Catalog, Template, load_catalog

ROOT = Path(__file__).parents[3]
CATALOG = load_catalog(ROOT / "config" / "templates.toml")
COMMANDS_JSON = application_commands(CATALOG)


def by_name(commands: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {command["name"]: command for command in commands}


def option(command: str, name: str, commands: list[dict[str, Any]] = COMMANDS_JSON) -> Any:
    return next(o for o in by_name(commands)[command]["options"] if o["name"] == name)


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
        options = command["options"]
        assert len(options) <= 25
        names = [o["name"] for o in options]
        assert len(names) == len(set(names))
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
        assert command["contexts"] and command["integration_types"]


def test_the_commands_are_exactly_cores_and_the_message_command() -> None:
    chat = {c["name"] for c in COMMANDS_JSON if c["type"] == 1}
    menu = {c["name"] for c in COMMANDS_JSON if c["type"] == 3}
    assert chat == set(COMMANDS)
    assert menu == {MAKE_IMAGES}


def test_every_command_follows_discords_rules() -> None:
    assert_discord_accepts(COMMANDS_JSON)


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
