"""What the product answers: plain data that each adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from core.commands import COMMANDS, Command


class Audience(StrEnum):
    """Who sees a reply: everyone in the conversation, or only the person who asked."""

    EVERYONE = "everyone"
    REQUESTER = "requester"


class ActionKind(StrEnum):
    REROLL = "reroll"
    REFORMAT = "reformat"
    CANCEL = "cancel"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of an action the person still chooses from (a format, say)."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Action:
    """A follow-up a reply offers: a button, a select or a typed command.

    ``command`` is what pressing it does; where the person still chooses (``choices``),
    the choice fills the command's open field (``Reformat.format``). Only ``owner`` (an
    account id) may press it.
    """

    kind: ActionKind
    label: str
    command: Command
    owner: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class ImageOut:
    """One finished image, its access-controlled link, and what can be done with it.

    ``encoding`` is the file type (``png``); the bytes are read through ``ImageFiles``.
    """

    id: str
    link: str
    width: int
    height: int
    encoding: str = "png"
    actions: tuple[Action, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.id}.{self.encoding}"

    @property
    def content_type(self) -> str:
        return f"image/{self.encoding}"


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    name: str
    default_format: str
    description: str


@dataclass(frozen=True, slots=True)
class FormatInfo:
    name: str
    width: int
    height: int
    description: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One ledger movement as a person reads it."""

    at: datetime
    kind: str
    amount: int
    reason: str
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    summary: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One image of a person's history, with a fresh link."""

    id: str
    template: str
    format: str
    width: int
    height: int
    created_at: datetime
    link: str


@dataclass(frozen=True, slots=True)
class OfferItem:
    """Something /buy sells: a pack (once) or a plan (every month). ``sku`` is the same
    pack in Discord's store, where Discord wants it offered too."""

    name: str
    credits: int
    price: str
    monthly: bool = False
    sku: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """One part of a document: a heading and its text (plain, with line breaks)."""

    heading: str
    body: str


# Every reply may carry a ``notice``: something the requester must be told once (a new
# privacy policy), shown before the reply itself and only to them where that is possible.


@dataclass(frozen=True, slots=True)
class Text:
    kind: ClassVar[str] = "text"
    audience: ClassVar[Audience] = Audience.EVERYONE
    text: str
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Private:
    """Seen only by the requester (Slack ephemeral, Discord ephemeral, console output).

    ``job_id`` is set when the answer says a private job (an export) was queued: its
    result follows, privately too."""

    kind: ClassVar[str] = "private"
    audience: ClassVar[Audience] = Audience.REQUESTER
    text: str
    link: str | None = None
    actions: tuple[Action, ...] = ()
    notice: str = ""
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class Images:
    kind: ClassVar[str] = "images"
    audience: ClassVar[Audience] = Audience.EVERYONE
    text: str
    images: tuple[ImageOut, ...]
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    """Work has started; ``job_id`` lets the adapter update or cancel it."""

    kind: ClassVar[str] = "progress"
    audience: ClassVar[Audience] = Audience.EVERYONE
    text: str
    job_id: str
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Confirm:
    """A step that needs the requester's explicit yes: the terminal types the ``code``
    (``/delete-me confirm CODE``), other platforms press the action's button."""

    kind: ClassVar[str] = "confirm"
    audience: ClassVar[Audience] = Audience.REQUESTER
    text: str
    code: str
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Error:
    kind: ClassVar[str] = "error"
    audience: ClassVar[Audience] = Audience.REQUESTER
    text: str
    actions: tuple[Action, ...] = field(default=())
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Templates:
    """The catalogue: each adapter lays it out (columns, blocks, embeds)."""

    kind: ClassVar[str] = "templates"
    audience: ClassVar[Audience] = Audience.REQUESTER
    templates: tuple[TemplateInfo, ...]
    formats: tuple[FormatInfo, ...]
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Statement:
    """A balance and its latest movements, newest first."""

    kind: ClassVar[str] = "statement"
    audience: ClassVar[Audience] = Audience.REQUESTER
    balance: int
    lines: tuple[StatementLine, ...]
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Guide:
    """The commands, each with one line on what it does; adapters add their syntax."""

    kind: ClassVar[str] = "guide"
    audience: ClassVar[Audience] = Audience.REQUESTER
    commands: tuple[CommandInfo, ...]
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Gallery:
    """A page of the requester's image history, newest first (``/history``).

    ``page`` counts from 1 of ``pages``; ``total`` images in all. The links are fresh.
    """

    kind: ClassVar[str] = "gallery"
    audience: ClassVar[Audience] = Audience.REQUESTER
    entries: tuple[HistoryEntry, ...]
    page: int
    pages: int
    total: int
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A longer private text in sections (the privacy summary): each adapter lays it
    out within its platform's limits."""

    kind: ClassVar[str] = "document"
    audience: ClassVar[Audience] = Audience.REQUESTER
    title: str
    sections: tuple[Section, ...]
    actions: tuple[Action, ...] = ()
    notice: str = ""


@dataclass(frozen=True, slots=True)
class Offer:
    """What there is to buy (``/buy`` alone): each adapter lays it out, with the
    platform's own purchase buttons where it has a store (Discord)."""

    kind: ClassVar[str] = "offer"
    audience: ClassVar[Audience] = Audience.REQUESTER
    items: tuple[OfferItem, ...]
    actions: tuple[Action, ...] = ()
    notice: str = ""


Reply = (
    Text
    | Private
    | Images
    | Progress
    | Confirm
    | Error
    | Templates
    | Statement
    | Guide
    | Gallery
    | Document
    | Offer
)

_KINDS: dict[str, type[Reply]] = {
    kind.kind: kind
    for kind in (
        Text,
        Private,
        Images,
        Progress,
        Confirm,
        Error,
        Templates,
        Statement,
        Guide,
        Gallery,
        Document,
        Offer,
    )
}
_PARTS: dict[str, type[Any]] = {
    part.__name__: part
    for part in (
        ImageOut,
        TemplateInfo,
        FormatInfo,
        StatementLine,
        CommandInfo,
        Choice,
        HistoryEntry,
        Section,
        OfferItem,
    )
}


# --- storage: replies wait in the database until delivered ---------------------------
def reply_to_data(reply: Reply) -> dict[str, Any]:
    """A reply as plain JSON data."""
    return {"kind": reply.kind, **_fields(reply)}


def reply_from_data(data: dict[str, Any]) -> Reply:
    """The reply ``reply_to_data`` stored."""
    kind = _KINDS[data["kind"]]
    return kind(**{key: _load(value) for key, value in data.items() if key != "kind"})


def command_to_data(command: Command) -> dict[str, Any]:
    return {"command": command.name, **_fields(command)}


def command_from_data(data: dict[str, Any]) -> Command:
    fields_ = {key: value for key, value in data.items() if key != "command"}
    return COMMANDS[data["command"]](**fields_)


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: _dump(getattr(value, f.name)) for f in fields(value)}


def _dump(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_dump(item) for item in value]
    if isinstance(value, Action):
        return {
            "action": value.kind.value,
            "label": value.label,
            "command": command_to_data(value.command),
            "owner": value.owner,
            "choices": _dump(value.choices),
        }
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if type(value).__name__ in _PARTS:
        return {"part": type(value).__name__, **_fields(value)}
    return value


def _load(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_load(item) for item in value)
    if not isinstance(value, dict):
        return value
    if "action" in value:
        return Action(
            kind=ActionKind(value["action"]),
            label=value["label"],
            command=command_from_data(value["command"]),
            owner=value["owner"],
            choices=_load(value["choices"]),
        )
    if "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    part = _PARTS[value["part"]]
    return part(**{key: _load(item) for key, item in value.items() if key != "part"})
