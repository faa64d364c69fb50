"""The commands every adapter translates platform events into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """Raw bytes of an image the user attached; validated by the imaging port."""

    data: bytes
    filename: str = "upload"


@dataclass(frozen=True, slots=True)
class Imagine:
    """Generate ``n`` images from a prompt, a product photo or a product page."""

    name: ClassVar[str] = "imagine"

    prompt: str = ""
    image: ImageUpload | None = None
    url: str | None = None
    template: str | None = None
    format: str | None = None
    n: int = 1


@dataclass(frozen=True, slots=True)
class Describe:
    """Write a ready-to-use generation prompt from a product photo or product page."""

    name: ClassVar[str] = "describe"

    image: ImageUpload | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reroll:
    """More like this: an earlier image's request again, with a new seed."""

    name: ClassVar[str] = "reroll"

    image_id: str


@dataclass(frozen=True, slots=True)
class Reformat:
    """An earlier image in another format, without a new AI call."""

    name: ClassVar[str] = "reformat"

    image_id: str
    format: str


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel one of the requester's running jobs and return its credits."""

    name: ClassVar[str] = "cancel"

    job_id: str


@dataclass(frozen=True, slots=True)
class ListTemplates:
    """List templates and formats."""

    name: ClassVar[str] = "templates"


@dataclass(frozen=True, slots=True)
class ShowCredits:
    """Balance and the last ten ledger movements."""

    name: ClassVar[str] = "credits"


@dataclass(frozen=True, slots=True)
class Help:
    """The commands and where the policy lives."""

    name: ClassVar[str] = "help"


Command = Imagine | Describe | Reroll | Reformat | Cancel | ListTemplates | ShowCredits | Help

#: Every command core knows, by name: each chat adapter offers exactly these.
COMMANDS: dict[str, type[Command]] = {
    command.name: command
    for command in (Imagine, Describe, Reroll, Reformat, Cancel, ListTemplates, ShowCredits, Help)
}
