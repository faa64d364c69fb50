"""What the product answers: plain data that each adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


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
