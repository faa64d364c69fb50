"""The Discord application commands: what ``PUT /applications/{id}/commands`` takes.

Every command core knows is a slash (``CHAT_INPUT``) command with typed options, and a
message context-menu command, ``Make marketing images``, does ``/imagine`` on a message's
photo. Template and format options offer the catalogue as ``choices`` while it fits
Discord's 25; a longer list switches that option to ``autocomplete`` and ``suggestions``
answers the autocomplete interactions.
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
    (``templates`` or ``formats``) its choices come from."""

    name: str
    type: OptionType
    description: str
    required: bool = False
    catalog: str | None = None
    min_value: int | None = None
    max_value: int | None = None


_IMAGE = Option("image", OptionType.ATTACHMENT, "A product photo (PNG, JPEG or WebP)")
_URL = Option("url", OptionType.STRING, "A product page to take the product from")
_IMAGE_ID = Option("image_id", OptionType.STRING, "The image ID from an earlier reply", True)

#: Each command core knows: its description in Discord's command picker and its
#: options, required ones first (as Discord demands).
COMMAND_OPTIONS: Mapping[str, tuple[str, tuple[Option, ...]]] = {
    "imagine": (
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
    "describe": ("A ready-to-use generation prompt for your product", (_IMAGE, _URL)),
    "reroll": ("More like this: the same request with a new variation", (_IMAGE_ID,)),
    "reformat": (
        "An earlier image in another format, without a new AI call",
        (_IMAGE_ID, Option("format", OptionType.STRING, "The new format", True, "formats")),
    ),
    "cancel": (
        "Cancel a running job; its credits are returned",
        (Option("job_id", OptionType.STRING, "The job ID from the reply to /imagine", True),),
    ),
    "templates": ("The templates and formats to choose from", ()),
    "credits": ("Your balance and last credit movements", ()),
    "help": ("What I can do, and where the privacy policy is", ()),
}


def application_commands(catalog: Catalog) -> list[dict[str, Any]]:
    """Every command as Discord API JSON, ready for a bulk overwrite."""
    commands: list[dict[str, Any]] = [
        {
            "name": name,
            "type": CommandType.CHAT_INPUT.value,
            "description": description,
            "options": [_option(option, catalog) for option in options],
            "contexts": list(CONTEXTS),
            "integration_types": list(INTEGRATION_TYPES),
        }
        for name, (description, options) in COMMAND_OPTIONS.items()
    ]
    commands.append(
        {
            "name": MAKE_IMAGES,
            "type": CommandType.MESSAGE.value,
            "contexts": list(CONTEXTS),
            "integration_types": list(INTEGRATION_TYPES),
        }
    )
    return commands


def usage(name: str) -> str:
    """A command as the help shows it: ``/reformat <image_id> <format>``."""
    _, options = COMMAND_OPTIONS[name]
    words = [f"<{o.name}>" if o.required else f"[{o.name}]" for o in options]
    return " ".join([f"/{name}", *words])


def suggestions(data: Mapping[str, Any], catalog: Catalog) -> list[dict[str, Any]]:
    """The choices to answer an autocomplete interaction's ``data`` with: the catalogue
    entries of the focused option that contain what was typed, at most 25."""
    focused = next((o for o in _leaf_options(data.get("options") or ()) if o.get("focused")), None)
    _, options = COMMAND_OPTIONS.get(str(data.get("name")), ("", ()))
    option = next((o for o in options if focused and o.name == focused.get("name")), None)
    if focused is None or option is None or option.catalog is None:
        return []
    typed = str(focused.get("value") or "").strip().lower()
    found = [c for c in _catalog_choices(option.catalog, catalog) if typed in c["name"].lower()]
    return found[:MAX_CHOICES]


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


def _leaf_options(options: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The options under any subcommand or subcommand group."""
    for option in options:
        if option.get("type") in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP):
            return _leaf_options(option.get("options") or ())
    return list(options)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
