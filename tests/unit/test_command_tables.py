"""Every command core knows is offered by every chat adapter, under the same name."""

from __future__ import annotations

from adapters.console.syntax import USAGE
from adapters.console.translate import COMMANDS as TERMINAL_COMMANDS
from core import messages
from core.commands import COMMANDS


def test_the_terminal_offers_exactly_cores_commands() -> None:
    assert {name.removeprefix("/") for name in TERMINAL_COMMANDS} == set(COMMANDS)


def test_the_terminal_shows_usage_for_each_command() -> None:
    assert set(USAGE) == set(COMMANDS)


def test_help_summarises_each_command() -> None:
    assert set(messages.COMMAND_SUMMARIES) == set(COMMANDS)
