"""What the product answers: plain data that each adapter renders its own way."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Action:
    """A follow-up a reply offers: rendered as a button or as a typed command."""

    kind: str  # reroll | reformat | cancel | confirm
    label: str
    command: str  # the command that performs it, e.g. "/reroll img_123"
    argument: str = ""  # what the person still chooses, e.g. "FORMAT" for /reformat


@dataclass(frozen=True, slots=True)
class ImageOut:
    """One finished image, its access-controlled link, and what can be done with it."""

    id: str
    link: str
    width: int
    height: int
    format: str = "png"
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Text:
    kind: ClassVar[str] = "text"
    text: str
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Private:
    """Seen only by the requester (Slack ephemeral, Discord ephemeral, console output)."""

    kind: ClassVar[str] = "private"
    text: str
    link: str | None = None
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Images:
    kind: ClassVar[str] = "images"
    text: str
    images: tuple[ImageOut, ...]
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Progress:
    """Work has started; ``job_id`` lets the adapter update or cancel it."""

    kind: ClassVar[str] = "progress"
    text: str
    job_id: str
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Confirm:
    kind: ClassVar[str] = "confirm"
    text: str
    code: str
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Error:
    kind: ClassVar[str] = "error"
    text: str
    actions: tuple[Action, ...] = field(default=())


Reply = Text | Private | Images | Progress | Confirm | Error


_KINDS: dict[str, type[Text | Private | Images | Progress | Confirm | Error]] = {
    kind.kind: kind for kind in (Text, Private, Images, Progress, Confirm, Error)
}


def reply_to_data(reply: Reply) -> dict[str, Any]:
    """A reply as plain JSON data, so it can wait in the database until delivered."""
    return {"kind": reply.kind, **asdict(reply)}


def reply_from_data(data: dict[str, Any]) -> Reply:
    """The reply ``reply_to_data`` stored."""
    fields = {key: value for key, value in data.items() if key != "kind"}
    fields["actions"] = tuple(Action(**action) for action in fields.get("actions", ()))
    if "images" in fields:
        fields["images"] = tuple(
            ImageOut(**{**image, "actions": tuple(Action(**a) for a in image["actions"])})
            for image in fields["images"]
        )
    return _KINDS[data["kind"]](**fields)
