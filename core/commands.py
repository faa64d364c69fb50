"""The commands every adapter translates platform events into."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """Raw bytes of an image the user attached; validated by the imaging port."""

    data: bytes
    filename: str = "upload"


@dataclass(frozen=True, slots=True)
class Imagine:
    """Generate ``n`` images from a prompt, a product photo or a product page."""

    prompt: str = ""
    image: ImageUpload | None = None
    url: str | None = None
    template: str | None = None
    format: str | None = None
    n: int = 1


@dataclass(frozen=True, slots=True)
class Describe:
    """Write a ready-to-use generation prompt from a product photo or product page."""

    image: ImageUpload | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reroll:
    """More like this: an earlier image's request again, with a new seed."""

    image_id: str


@dataclass(frozen=True, slots=True)
class Reformat:
    """An earlier image in another format, without a new AI call."""

    image_id: str
    format: str


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel one of the requester's running jobs and return its credits."""

    job_id: str


@dataclass(frozen=True, slots=True)
class ListTemplates:
    """List templates and formats."""


@dataclass(frozen=True, slots=True)
class ShowCredits:
    """Balance and the last ten ledger movements."""


@dataclass(frozen=True, slots=True)
class Help:
    """The commands and where the policy lives."""


Command = Imagine | Describe | Reroll | Reformat | Cancel | ListTemplates | ShowCredits | Help
