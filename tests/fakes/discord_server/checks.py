"""What Discord checks of a request body before it acts, and the errors it answers with."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord_server.payloads import ATTACHMENT_SIZE_LIMIT, EPHEMERAL, JSON

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15
CHANNEL_MESSAGE_FLAGS = (
    SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
)
INTERACTION_MESSAGE_FLAGS = CHANNEL_MESSAGE_FLAGS | EPHEMERAL
EDIT_FLAGS = SUPPRESS_EMBEDS | IS_COMPONENTS_V2
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FILES = 10
MAX_ACTION_ROWS = 5
MAX_COMPONENTS_V2 = 40
LINK_BUTTON, PREMIUM_BUTTON = 5, 6
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
#: Chat-input command and option names: lowercase letters, digits, ``-``, ``_`` and ``'``.
CHAT_INPUT_NAME = re.compile(r"^[-_'\w]{1,32}$")
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND, PRIMARY_ENTRY_POINT = 1, 2, 3, 4
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
OPTION_TYPES = range(1, 12)
CHOICE_TYPES = {3: (str,), 4: (int,), 10: (int, float)}


class DiscordError(Exception):
    """An API error: ``{"message", "code"}`` (and ``errors`` for form errors)."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def json(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def invalid_form(path: Sequence[str | int], code: str, message: str) -> DiscordError:
    """Discord's 50035 with the failing field's path spelled as nested keys."""
    errors: JSON = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def empty_message() -> DiscordError:
    return DiscordError(400, 50006, "Cannot send an empty message")


def too_large() -> DiscordError:
    return DiscordError(413, 40005, "Request entity too large")


@dataclass(frozen=True, slots=True)
class Upload:
    """A ``files[n]`` part of a multipart body."""

    index: int
    filename: str
    data: bytes


def _text(path: Sequence[str | int], value: Any, low: int, high: int) -> None:
    if value is None:
        raise invalid_form(path, "BASE_TYPE_REQUIRED", "This field is required")
    if not isinstance(value, str):
        raise invalid_form(path, "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    if not low <= len(value) <= high:
        raise invalid_form(
            path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
        )


def _at_most(path: Sequence[str | int], value: Any, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise invalid_form(path, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    if len(value) > limit:
        raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return value


def _object(path: Sequence[str | int], value: Any) -> JSON:
    if not isinstance(value, dict):
        raise invalid_form(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    return value


def _chat_input_name(path: Sequence[str | int], name: Any) -> None:
    _text(path, name, 1, 32)
    if not CHAT_INPUT_NAME.match(name) or name != name.lower():
        raise invalid_form(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


# --- application commands -----------------------------------------------------------


def check_commands(body: Any) -> list[JSON]:
    """A bulk overwrite's command list, as Discord validates it (50035 otherwise)."""
    commands = _at_most([], body, 200)
    seen: set[tuple[int, Any]] = set()
    chat_inputs = 0
    for index, raw in enumerate(commands):
        command = _object([index], raw)
        kind = command.get("type", CHAT_INPUT)
        if kind not in (CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND, PRIMARY_ENTRY_POINT):
            raise invalid_form(
                [index, "type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}."
            )
        name = command.get("name")
        if kind == CHAT_INPUT:
            chat_inputs += 1
            _chat_input_name([index, "name"], name)
            _text([index, "description"], command.get("description"), 1, 100)
            _check_options([index, "options"], command.get("options") or [], None)
        else:
            _text([index, "name"], name, 1, 32)
            if command.get("description") not in (None, ""):
                raise invalid_form(
                    [index, "description"],
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have description",
                )
            if command.get("options"):
                raise invalid_form(
                    [index, "options"],
                    "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS",
                    "Context menu commands cannot have options",
                )
        if (kind, name) in seen:
            raise invalid_form(
                [index, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique; {name!r} is used twice",
            )
        seen.add((kind, name))
    if chat_inputs > 100:
        raise invalid_form([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    return commands


def _check_options(path: list[str | int], options: Any, parent: int | None) -> None:
    options = _at_most(path, options, 25)
    names: set[str] = set()
    optional_seen = False
    nesting = set()
    for index, raw in enumerate(options):
        where = [*path, index]
        option = _object(where, raw)
        kind = option.get("type")
        if kind not in OPTION_TYPES:
            raise invalid_form([*where, "type"], "BASE_TYPE_CHOICES", "Value must be one of 1-11.")
        _chat_input_name([*where, "name"], option.get("name"))
        _text([*where, "description"], option.get("description"), 1, 100)
        if option["name"] in names:
            raise invalid_form(
                [*where, "name"],
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(option["name"])
        nests = kind in (SUB_COMMAND, SUB_COMMAND_GROUP)
        nesting.add(nests)
        if nests:
            if parent == SUB_COMMAND or (parent == SUB_COMMAND_GROUP and kind == SUB_COMMAND_GROUP):
                raise invalid_form(
                    [*where, "type"],
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "Sub-commands cannot be nested this deep",
                )
            _check_options([*where, "options"], option.get("options") or [], kind)
            continue
        if parent == SUB_COMMAND_GROUP:
            raise invalid_form(
                [*where, "type"],
                "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                "A sub-command group holds only sub-commands",
            )
        required = bool(option.get("required", False))
        if required and optional_seen:
            raise invalid_form(
                [*where, "required"],
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        optional_seen = optional_seen or not required
        _check_choices([*where, "choices"], option)
    if len(nesting) > 1:
        raise invalid_form(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands and sub-command groups cannot be mixed with other options",
        )


def _check_choices(path: list[str | int], option: JSON) -> None:
    choices = option.get("choices")
    if choices is None:
        return
    if option.get("autocomplete"):
        raise invalid_form(
            path,
            "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
            "Autocomplete and choices are exclusive",
        )
    if option["type"] not in CHOICE_TYPES:
        raise invalid_form(
            path, "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", "This option type has no choices"
        )
    for index, raw in enumerate(_at_most(path, choices, 25)):
        choice = _object([*path, index], raw)
        _text([*path, index, "name"], choice.get("name"), 1, 100)
        value = choice.get("value")
        if not isinstance(value, CHOICE_TYPES[option["type"]]) or isinstance(value, bool):
            raise invalid_form(
                [*path, index, "value"], "BASE_TYPE_BAD_VALUE", "Invalid value for this option type"
            )


def check_invocation(registered: JSON, options: Sequence[Any], path: str) -> None:
    """An interaction's options name only the registered command's subcommands and
    options, with their types: Discord's client offers nothing else, so a test that
    sends anything else is told so (``LookupError``)."""
    defined = {o.get("name"): o for o in registered.get("options") or []}
    for sent in options:
        name = sent.get("name") if isinstance(sent, Mapping) else None
        known = defined.get(name)
        if known is None or known.get("type") != sent.get("type"):
            raise LookupError(
                f"{path} registers no option {name!r} of type {sent.get('type')}: Discord "
                "only sends the options and subcommands a command was registered with"
            )
        if known["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            check_invocation(known, sent.get("options") or [], f"{path} {name}")


# --- messages --------------------------------------------------------------------------


def message_fields(
    body: Mapping[str, Any], uploads: Sequence[Upload], *, allowed_flags: int
) -> JSON:
    """The message fields a create or edit body sets (only those present), checked."""
    fields: JSON = {}
    if body.get("content") is not None:
        content = body["content"]
        if not isinstance(content, str):
            raise invalid_form(
                ["content"], "STRING_TYPE_CONVERT", "Could not interpret value as string."
            )
        if len(content) > MAX_CONTENT:
            raise invalid_form(
                ["content"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
            )
        fields["content"] = content
    elif "content" in body:
        fields["content"] = ""
    flags = body.get("flags") or 0
    if not isinstance(flags, int) or flags & ~allowed_flags:
        raise invalid_form(["flags"], "MESSAGE_FLAGS_INVALID", "Invalid message flags")
    if "flags" in body:
        fields["flags"] = flags
    if "embeds" in body:
        fields["embeds"] = _check_embeds(body["embeds"] or [])
    if "components" in body:
        fields["components"] = _check_components(body["components"] or [], flags)
    if "attachments" in body:
        fields["attachments"] = _at_most(["attachments"], body["attachments"] or [], MAX_FILES)
    if len(uploads) > MAX_FILES:
        raise invalid_form(
            ["files"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length."
        )
    if any(len(upload.data) > ATTACHMENT_SIZE_LIMIT for upload in uploads):
        raise too_large()
    return fields


def _check_embeds(embeds: Any) -> list[JSON]:
    """Each embed's parts within their limits, and all of a message's embeds within 6000
    characters (titles, descriptions, field names and values, footers, authors)."""
    total = 0
    for index, raw in enumerate(_at_most(["embeds"], embeds, MAX_EMBEDS)):
        embed = _object(["embeds", index], raw)
        for path, value, limit in (
            (["title"], embed.get("title"), 256),
            (["description"], embed.get("description"), 4096),
            (["footer", "text"], (embed.get("footer") or {}).get("text"), 2048),
            (["author", "name"], (embed.get("author") or {}).get("name"), 256),
        ):
            if value is not None:
                total += len(str(value))
                if len(str(value)) > limit:
                    raise invalid_form(
                        ["embeds", index, *path],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {limit} or fewer in length.",
                    )
        fields = _at_most(["embeds", index, "fields"], embed.get("fields") or [], 25)
        for position, field in enumerate(fields):
            where = ["embeds", index, "fields", position]
            field = _object(where, field)
            _field_text([*where, "name"], field.get("name"), 256)
            _field_text([*where, "value"], field.get("value"), 1024)
            total += len(field["name"]) + len(field["value"])
    if total > MAX_EMBED_TOTAL:
        raise invalid_form(
            ["embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
        )
    return list(embeds)


def _field_text(path: list[str | int], value: Any, limit: int) -> None:
    """An embed field's name or value: required, not empty, at most ``limit``."""
    if value is None or value == "":
        raise invalid_form(path, "BASE_TYPE_REQUIRED", "This field is required")
    if not isinstance(value, str):
        raise invalid_form(path, "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    if len(value) > limit:
        raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _check_components(components: Any, flags: int) -> list[JSON]:
    v2 = bool(flags & IS_COMPONENTS_V2)
    rows = _at_most(["components"], components, MAX_COMPONENTS_V2 if v2 else MAX_ACTION_ROWS)
    custom_ids: set[str] = set()
    for index, raw in enumerate(rows):
        row = _object(["components", index], raw)
        if not v2 and row.get("type") != 1:
            raise invalid_form(
                ["components", index, "type"],
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (1,).',
            )
        if row.get("type") == 1:
            children = row.get("components")
            if not isinstance(children, list) or not 1 <= len(children) <= 5:
                raise invalid_form(
                    ["components", index, "components"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                )
            for position, child in enumerate(children):
                _check_interactive(["components", index, "components", position], child, custom_ids)
    return list(rows)


def _check_interactive(path: list[str | int], raw: Any, custom_ids: set[str]) -> None:
    component = _object(path, raw)
    kind = component.get("type")
    if kind == 2:
        style = component.get("style")
        if style not in range(1, 7):
            raise invalid_form([*path, "style"], "BASE_TYPE_CHOICES", "Value must be one of 1-6.")
        if "sku_id" in component and style != PREMIUM_BUTTON:
            raise invalid_form(
                [*path, "sku_id"],
                "BUTTON_COMPONENT_INVALID_FIELD",
                "Only premium buttons have a sku_id",
            )
        if style == LINK_BUTTON:
            if not component.get("url") or "custom_id" in component:
                raise invalid_form(
                    path,
                    "BUTTON_COMPONENT_URL_REQUIRED",
                    "Link buttons need a url and no custom_id",
                )
            return
        if style == PREMIUM_BUTTON:
            _check_premium(path, component)
            return
        if "label" in component and len(str(component["label"])) > 80:
            raise invalid_form(
                [*path, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length."
            )
    elif kind in SELECT_TYPES:
        if kind == 3:
            options = component.get("options")
            if not isinstance(options, list) or not 1 <= len(options) <= 25:
                raise invalid_form(
                    [*path, "options"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 25 in length.",
                )
    else:
        raise invalid_form(
            [*path, "type"], "COMPONENT_TYPE_INVALID", "This component cannot go in an action row"
        )
    _text([*path, "custom_id"], component.get("custom_id"), 1, 100)
    if component["custom_id"] in custom_ids:
        raise invalid_form(
            [*path, "custom_id"],
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    custom_ids.add(component["custom_id"])


def _check_premium(path: list[str | int], button: JSON) -> None:
    """A premium (purchase) button: a SKU's snowflake and nothing Discord draws itself
    (it shows the SKU's name and price), nor an id to send back (it sends no
    interaction)."""
    sku = button.get("sku_id")
    if sku is None:
        raise invalid_form([*path, "sku_id"], "BASE_TYPE_REQUIRED", "This field is required")
    if not str(sku).isdigit():
        raise invalid_form(
            [*path, "sku_id"], "NUMBER_TYPE_COERCE", f'Value "{sku}" is not snowflake.'
        )
    for field in ("custom_id", "label", "url", "emoji"):
        if field in button:
            raise invalid_form(
                [*path, field],
                "BUTTON_COMPONENT_INVALID_FIELD",
                f"Premium buttons cannot have a {field}",
            )


def check_modal(data: Any) -> None:
    """A MODAL callback's data: custom_id, title, and 1 to 5 top-level components."""
    modal = _object(["data"], data)
    _text(["data", "custom_id"], modal.get("custom_id"), 1, 100)
    _text(["data", "title"], modal.get("title"), 1, 45)
    components = modal.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        raise invalid_form(
            ["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )


def check_choices(data: Any) -> None:
    """An APPLICATION_COMMAND_AUTOCOMPLETE_RESULT's data: up to 25 choices."""
    result = _object(["data"], data)
    for index, raw in enumerate(_at_most(["data", "choices"], result.get("choices"), 25)):
        choice = _object(["data", "choices", index], raw)
        _text(["data", "choices", index, "name"], choice.get("name"), 1, 100)
