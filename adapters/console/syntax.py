"""How commands are typed in the terminal: usage lines, and actions as typed commands."""

from __future__ import annotations

from core.commands import Cancel, Command, Reformat, Reroll
from core.replies import Action

#: Each command's terminal syntax, by core's command name.
USAGE = {
    "imagine": (
        "/imagine [prompt] [--image FILE | --url URL] [--template NAME] [--format NAME] [--n 1-4]"
    ),
    "describe": "/describe --image FILE | --url URL",
    "reroll": "/reroll IMAGE_ID",
    "reformat": "/reformat IMAGE_ID FORMAT",
    "cancel": "/cancel JOB_ID",
    "templates": "/templates",
    "credits": "/credits",
    "help": "/help",
}


def usage(name: str) -> str:
    return USAGE.get(name, f"/{name}")


def typed(action: Action) -> str:
    """The command a person types to take an action; what they still choose is shown
    as the placeholder of its usage line (``/reformat img_… FORMAT``)."""
    return _typed(action.command)


def _typed(command: Command) -> str:
    if isinstance(command, Reroll):
        return f"/reroll {command.image_id}"
    if isinstance(command, Reformat):
        return f"/reformat {command.image_id} {command.format or 'FORMAT'}"
    if isinstance(command, Cancel):
        return f"/cancel {command.job_id}"
    raise ValueError(f"no typed form for {type(command).__name__}")
