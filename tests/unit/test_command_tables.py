"""Every command core knows is offered by every chat adapter, under the same name."""

from __future__ import annotations

import pytest

from adapters.console.syntax import USAGE
from adapters.console.translate import COMMANDS as TERMINAL_COMMANDS
from adapters.console.translate import translate
from core import messages
from core.commands import COMMANDS

#: One line for each terminal command, typed as a person would.
EXAMPLES = {
    "/imagine": "/imagine a red mug",
    "/describe": "/describe --url https://shop.example/mug",
    "/reroll": "/reroll img_1",
    "/reformat": "/reformat img_1 story",
    "/cancel": "/cancel job_1",
    "/templates": "/templates",
    "/credits": "/credits",
    "/help": "/help",
    "/history": "/history 2",
    "/buy": "/buy starter",
    "/credits team": "/credits team",
    "/credits use": "/credits use team",
    "/credits share": "/credits share on",
    "/credits cap": "/credits cap 5",
    "/forget": "/forget img_1",
    "/privacy": "/privacy",
    "/privacy export": "/privacy export",
    "/privacy consent": "/privacy consent analytics on",
    "/privacy correct": "/privacy correct name Ada Lovelace",
    "/privacy restrict": "/privacy restrict off",
    "/privacy object": "/privacy object",
    "/privacy delete": "/privacy delete",
    "/delete-me": "/delete-me confirm K7P2Q",
}


def test_the_terminal_reaches_every_core_command_by_its_own_name() -> None:
    assert {f"/{name}" for name in COMMANDS} <= set(TERMINAL_COMMANDS)


def test_every_terminal_command_makes_a_core_command() -> None:
    made = {syntax.command.name for syntax in TERMINAL_COMMANDS.values()}
    assert made == set(COMMANDS)
    assert all(
        COMMANDS[syntax.command.name] is syntax.command for syntax in TERMINAL_COMMANDS.values()
    )


def test_every_terminal_command_has_an_example_here() -> None:
    assert set(EXAMPLES) == set(TERMINAL_COMMANDS)


@pytest.mark.parametrize("typed", sorted(EXAMPLES))
async def test_each_terminal_command_makes_the_command_it_declares(typed: str) -> None:
    command = await translate(EXAMPLES[typed])
    assert type(command) is TERMINAL_COMMANDS[typed].command


def test_the_terminal_shows_usage_for_each_command() -> None:
    assert set(USAGE) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_usage_line_starts_as_the_command_is_typed(name: str) -> None:
    assert USAGE[name] == f"/{name}" or USAGE[name].startswith(f"/{name} ")


def test_help_summarises_each_command() -> None:
    assert set(messages.COMMAND_SUMMARIES) == set(COMMANDS)
