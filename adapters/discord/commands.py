"""The Discord application commands: what ``PUT /applications/{id}/commands`` takes.

Every command core knows is a slash (``CHAT_INPUT``) command with typed options, or a
subcommand (``/privacy export``), as ``PATHS`` lists them; a message context-menu
command, ``Make marketing images``, does ``/imagine`` on a message's photo. Template and
format options offer the catalogue as ``choices`` while it fits Discord's 25; a longer
list switches that option to ``autocomplete`` and ``suggestions`` answers the
autocomplete interactions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from core.templates import Catalog

#: The message context-menu command (a name shown as is, so it may hold spaces).
MAKE_IMAGES = "Make marketing images"


class CommandType(IntEnum):
    CHAT_INPUT = 1
    USER = 2
    MESSAGE = 3


class OptionType(IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    NUMBER = 10
    ATTACHMENT = 11


#: Where the commands work: servers (0) and the bot's direct messages (1); installed to
#: servers (integration type 0).
CONTEXTS = (0, 1)
INTEGRATION_TYPES = (0,)

# --- Discord's documented limits ------------------------------------------------------
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_CHOICE_VALUE = 100
MAX_OPTIONS = 25
MAX_DESCRIPTION = 100


@dataclass(frozen=True, slots=True)
class Option:
    """One typed option of a slash command. ``catalog`` names the catalogue list
    (``templates`` or ``formats``) its choices come from; ``choices`` are fixed ones,
    each its value and the name Discord shows."""

    name: str
    type: OptionType
    description: str
    required: bool = False
    catalog: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Slash:
    """What one Discord command path does: the core command it runs (by core's name),
    its description in Discord's command picker, and its options, required ones first
    (as Discord demands)."""

    core: str
    description: str
    options: tuple[Option, ...] = ()


#: A command as Discord names it: ``("imagine",)``, or ``("privacy", "export")`` for a
#: subcommand.
CommandPath = tuple[str, ...]

_IMAGE = Option("image", OptionType.ATTACHMENT, "A product photo (PNG, JPEG or WebP)")
_URL = Option("url", OptionType.STRING, "A product page to take the product from")
_IMAGE_ID = Option("image_id", OptionType.STRING, "The image ID from an earlier reply", True)
ON, OFF = "on", "off"
_SETTING = Option("setting", OptionType.STRING, "On or off", True, choices=((ON, ON), (OFF, OFF)))
_DELETE_ME = "Erase your account and everything of yours, after a confirmation"

#: Every Discord command path and what it does: each core command is reachable from the
#: paths that name it here and from no others (``/privacy delete`` and ``/delete-me`` are
#: one command; ``/privacy show`` is core's ``privacy``, since Discord cannot run a
#: command that has subcommands on its own). The team's credits are the ``/team`` group,
#: since ``/credits`` stays a command of its own; ``/team buy`` is core's ``buy`` for the
#: team.
PATHS: Mapping[CommandPath, Slash] = {
    ("imagine",): Slash(
        "imagine",
        "Marketing images from a product photo, a product page or a prompt",
        (
            Option("prompt", OptionType.STRING, "What to make, e.g. a mug on a marble table"),
            _IMAGE,
            _URL,
            Option(
                "template", OptionType.STRING, "The look; /templates lists them", False, "templates"
            ),
            Option("format", OptionType.STRING, "The size and shape", False, "formats"),
            Option("n", OptionType.INTEGER, "How many images, 1 to 4", min_value=1, max_value=4),
        ),
    ),
    ("describe",): Slash(
        "describe", "A ready-to-use generation prompt for your product", (_IMAGE, _URL)
    ),
    ("reroll",): Slash(
        "reroll", "More like this: the same request with a new variation", (_IMAGE_ID,)
    ),
    ("reformat",): Slash(
        "reformat",
        "An earlier image in another format, without a new AI call",
        (_IMAGE_ID, Option("format", OptionType.STRING, "The new format", True, "formats")),
    ),
    ("cancel",): Slash(
        "cancel",
        "Cancel a running job; its credits are returned",
        (Option("job_id", OptionType.STRING, "The job ID from the reply to /imagine", True),),
    ),
    ("templates",): Slash("templates", "The templates and formats to choose from"),
    ("credits",): Slash("credits", "Your balance and last credit movements"),
    ("help",): Slash("help", "What I can do, and where the privacy policy is"),
    ("history",): Slash(
        "history",
        "Your images, newest first, ten a page, each with a fresh link",
        (Option("page", OptionType.INTEGER, "Which page; 1 is the newest", min_value=1),),
    ),
    ("buy",): Slash(
        "buy",
        "Buy credits: a pack, a monthly plan, or your billing portal",
        (Option("item", OptionType.STRING, "A pack or plan name, or portal; none lists them"),),
    ),
    ("forget",): Slash(
        "forget",
        "Delete one of your images and its files now",
        (Option("image_id", OptionType.STRING, "The image ID, from /history", True),),
    ),
    ("privacy", "show"): Slash(
        "privacy", "What we store about you, why, who receives it, for how long, your rights"
    ),
    ("privacy", "export"): Slash(
        "privacy export", "A ZIP of all your data, as a private link valid 24 hours"
    ),
    ("privacy", "consent"): Slash(
        "privacy consent",
        "Turn optional analytics on or off (off until you turn it on)",
        (
            Option(
                "purpose",
                OptionType.STRING,
                "What the consent is for",
                True,
                choices=(("analytics", "analytics"),),
            ),
            _SETTING,
        ),
    ),
    ("privacy", "correct"): Slash(
        "privacy correct",
        "Correct your name or e-mail address",
        (
            Option(
                "field",
                OptionType.STRING,
                "What to correct",
                True,
                choices=(("name", "name"), ("email", "e-mail address")),
            ),
            Option("value", OptionType.STRING, "The correct name or e-mail address", True),
        ),
    ),
    ("privacy", "restrict"): Slash(
        "privacy restrict",
        "Keep your data but stop all processing beyond your own requests",
        (_SETTING,),
    ),
    ("privacy", "object"): Slash(
        "privacy object", "Object to optional processing such as analytics"
    ),
    ("privacy", "delete"): Slash("delete-me", _DELETE_ME),
    ("delete-me",): Slash("delete-me", _DELETE_ME),
    ("team", "credits"): Slash(
        "credits team", "The server's shared credits, their rules, and your use this month"
    ),
    ("team", "use"): Slash(
        "credits use",
        "Spend the server's shared credits or your own",
        (
            Option(
                "source",
                OptionType.STRING,
                "Whose credits your requests spend",
                True,
                choices=(("team", "the server's shared credits"), ("personal", "your own")),
            ),
        ),
    ),
    ("team", "share"): Slash(
        "credits share",
        "Managers: let members spend the shared credits, or stop it",
        (_SETTING,),
    ),
    ("team", "cap"): Slash(
        "credits cap",
        "Managers: how many shared credits each member may spend a month",
        (
            Option(
                "credits",
                OptionType.INTEGER,
                "Credits a member may spend a month; leave it out to remove the cap",
                min_value=1,
            ),
        ),
    ),
    ("team", "buy"): Slash(
        "buy",
        "Managers: buy a credit pack for the server's shared credits",
        (Option("pack", OptionType.STRING, "The pack's name; /buy lists them", True),),
    ),
}

#: The description of a command that only holds subcommands.
GROUPS: Mapping[str, str] = {
    "privacy": "Your data: what we store, a copy of it, consent, corrections, deletion",
    "team": "The server's shared credits: see them, spend them, and (managers) set them up",
}


def application_commands(catalog: Catalog) -> list[dict[str, Any]]:
    """Every command as Discord API JSON, ready for a bulk overwrite: each path of
    ``PATHS``, those of two words as subcommands of their first."""
    commands: dict[str, dict[str, Any]] = {}
    for path, slash in PATHS.items():
        name, *sub = path
        options = [_option(option, catalog) for option in slash.options]
        if not sub:
            commands[name] = _chat_input(name, slash.description, options)
            continue
        group = commands.setdefault(name, _chat_input(name, GROUPS[name], []))
        group["options"].append(
            {
                "name": sub[0],
                "type": OptionType.SUB_COMMAND.value,
                "description": slash.description,
                "options": options,
            }
        )
    menu = {
        "name": MAKE_IMAGES,
        "type": CommandType.MESSAGE.value,
        "contexts": list(CONTEXTS),
        "integration_types": list(INTEGRATION_TYPES),
    }
    return [*commands.values(), menu]


def split_path(
    name: str, options: Sequence[Mapping[str, Any]]
) -> tuple[CommandPath, Sequence[Mapping[str, Any]]]:
    """A command's path and its own options, from an interaction's ``data``: ``/privacy``
    with the subcommand ``export`` is ``("privacy", "export")``."""
    for option in options:
        if option.get("type") in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP):
            inner, leaves = split_path(str(option.get("name", "")), option.get("options") or ())
            return (name, *inner), leaves
    return (name,), options


def paths_of(core: str) -> list[CommandPath]:
    """The Discord paths that run a core command, the shortest first."""
    return sorted((path for path, slash in PATHS.items() if slash.core == core), key=len)


def usage(core: str) -> str:
    """A core command as the help shows it on Discord: ``/reformat <image_id> <format>``,
    ``/privacy show``; a command Discord does not offer as ``/name``."""
    paths = paths_of(core)
    if not paths:
        return f"/{core}"
    words = [f"<{o.name}>" if o.required else f"[{o.name}]" for o in PATHS[paths[0]].options]
    return " ".join([f"/{' '.join(paths[0])}", *words])


def suggestions(data: Mapping[str, Any], catalog: Catalog) -> list[dict[str, Any]]:
    """The choices to answer an autocomplete interaction's ``data`` with: the catalogue
    entries of the focused option that contain what was typed, at most 25."""
    path, given = split_path(str(data.get("name")), data.get("options") or ())
    focused = next((o for o in given if o.get("focused")), None)
    slash = PATHS.get(path)
    options = slash.options if slash is not None else ()
    option = next((o for o in options if focused and o.name == focused.get("name")), None)
    if focused is None or option is None or option.catalog is None:
        return []
    typed = str(focused.get("value") or "").strip().lower()
    found = [c for c in _catalog_choices(option.catalog, catalog) if typed in c["name"].lower()]
    return found[:MAX_CHOICES]


def _chat_input(name: str, description: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "type": CommandType.CHAT_INPUT.value,
        "description": description,
        "options": options,
        "contexts": list(CONTEXTS),
        "integration_types": list(INTEGRATION_TYPES),
    }


def _option(option: Option, catalog: Catalog) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": option.name,
        "type": option.type.value,
        "description": option.description,
        "required": option.required,
    }
    if option.min_value is not None:
        data["min_value"] = option.min_value
    if option.max_value is not None:
        data["max_value"] = option.max_value
    if option.choices:
        data["choices"] = [{"name": name, "value": value} for value, name in option.choices]
    if option.catalog is not None:
        choices = _catalog_choices(option.catalog, catalog)
        if len(choices) <= MAX_CHOICES:
            data["choices"] = choices
        else:  # Discord takes at most 25 choices: suggest while the person types
            data["autocomplete"] = True
    return data


def _catalog_choices(kind: str, catalog: Catalog) -> list[dict[str, Any]]:
    """Templates (``studio-white: Bright white paper…``) or formats
    (``story: 1080×1920 Stories and Reels covers``); a name too long for a choice value
    cannot be offered."""
    if kind == "templates":
        named = [(t.name, t.description) for t in catalog.templates.values()]
    else:
        named = [
            (f.name, f"{f.width}×{f.height} {f.description}") for f in catalog.formats.values()
        ]
    return [
        {"name": _cut(f"{name}: {about}" if about else name, MAX_CHOICE_NAME), "value": name}
        for name, about in named
        if 0 < len(name) <= MAX_CHOICE_VALUE
    ]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
