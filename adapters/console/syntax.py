"""How commands are typed in the terminal: usage lines, and actions as typed commands."""

from __future__ import annotations

from core.commands import Cancel, Command, DeleteMe, History, Reformat, Reroll
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
    "history": "/history [PAGE]",
    "buy": "/buy [team] [PACK | PLAN | portal]",
    "credits team": "/credits team",
    "credits use": "/credits use team|personal",
    "credits share": "/credits share on|off",
    "credits cap": "/credits cap CREDITS|off",
    "forget": "/forget IMAGE_ID",
    "privacy": "/privacy",
    "privacy export": "/privacy export",
    "privacy consent": "/privacy consent analytics on|off",
    "privacy correct": "/privacy correct name|email VALUE",
    "privacy restrict": "/privacy restrict on|off",
    "privacy object": "/privacy object",
    "delete-me": "/delete-me [confirm CODE]",
}


def usage(name: str) -> str:
    return USAGE.get(name, f"/{name}")


def typed(action: Action) -> str:
    """The command a person types to take an action; what they still choose is shown
    as the placeholder of its usage line (``/reformat img_… FORMAT``)."""
    return typed_command(action.command)


def typed_command(command: Command) -> str:
    """A command as a person types it (``/delete-me confirm CODE``)."""
    if isinstance(command, Reroll):
        return f"/reroll {command.image_id}"
    if isinstance(command, Reformat):
        return f"/reformat {command.image_id} {command.format or 'FORMAT'}"
    if isinstance(command, Cancel):
        return f"/cancel {command.job_id}"
    if isinstance(command, DeleteMe):
        return f"/delete-me confirm {command.code}" if command.code else "/delete-me"
    if isinstance(command, History):
        return f"/history {command.page}"
    raise ValueError(f"no typed form for {type(command).__name__}")
