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


@dataclass(frozen=True, slots=True)
class History:
    """The requester's images, newest first, ten a page, each with a fresh link."""

    name: ClassVar[str] = "history"

    page: int = 1


@dataclass(frozen=True, slots=True)
class Forget:
    """Delete one of the requester's images and its files now; its links die at once."""

    name: ClassVar[str] = "forget"

    image_id: str


@dataclass(frozen=True, slots=True)
class PrivacyInfo:
    """What is stored about the requester, why, who receives it, how long, their rights."""

    name: ClassVar[str] = "privacy"


@dataclass(frozen=True, slots=True)
class PrivacyExport:
    """A ZIP of all the requester's data, as a private link valid 24 hours."""

    name: ClassVar[str] = "privacy export"


@dataclass(frozen=True, slots=True)
class PrivacyConsent:
    """Give or withdraw consent to an optional purpose (``analytics``)."""

    name: ClassVar[str] = "privacy consent"

    purpose: str
    granted: bool


@dataclass(frozen=True, slots=True)
class PrivacyCorrect:
    """Rectify profile data: ``name`` or ``email``."""

    name: ClassVar[str] = "privacy correct"

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class PrivacyRestrict:
    """Restrict processing to storage and the requester's own requests, or lift that."""

    name: ClassVar[str] = "privacy restrict"

    on: bool


@dataclass(frozen=True, slots=True)
class PrivacyObject:
    """Object to optional processing (analytics): it stops, and consent is withdrawn."""

    name: ClassVar[str] = "privacy object"


@dataclass(frozen=True, slots=True)
class DeleteMe:
    """Erase the requester's account. Without ``code`` it asks for confirmation; with
    the code of that confirmation (valid 10 minutes) it erases, at once."""

    name: ClassVar[str] = "delete-me"

    code: str = ""


@dataclass(frozen=True, slots=True)
class Buy:
    """A checkout link for a credit pack or plan (``item``), ``portal`` for the plan
    holder's billing portal, or, with no item, what there is to buy."""

    name: ClassVar[str] = "buy"

    item: str = ""
    team: bool = False  # for the team's shared credits (managers only)


@dataclass(frozen=True, slots=True)
class TeamCredits:
    """The workspace's or server's shared credits: balance, rules, your use this month."""

    name: ClassVar[str] = "credits team"


@dataclass(frozen=True, slots=True)
class UseCredits:
    """Spend from the team's shared credits (``team``) or your own (``personal``)."""

    name: ClassVar[str] = "credits use"

    source: str


@dataclass(frozen=True, slots=True)
class ShareCredits:
    """A manager lets members spend the team's credits, or stops it."""

    name: ClassVar[str] = "credits share"

    on: bool


@dataclass(frozen=True, slots=True)
class CapCredits:
    """A manager sets how many team credits each member may spend a month (``None``:
    no cap)."""

    name: ClassVar[str] = "credits cap"

    limit: int | None


Command = (
    Imagine
    | Describe
    | Reroll
    | Reformat
    | Cancel
    | ListTemplates
    | ShowCredits
    | Help
    | History
    | Forget
    | PrivacyInfo
    | PrivacyExport
    | PrivacyConsent
    | PrivacyCorrect
    | PrivacyRestrict
    | PrivacyObject
    | DeleteMe
    | Buy
    | TeamCredits
    | UseCredits
    | ShareCredits
    | CapCredits
)

#: Every command core knows, by name: each chat adapter offers exactly these. A name
#: with a space is a subcommand (``privacy export``), typed ``/privacy export``.
COMMANDS: dict[str, type[Command]] = {
    command.name: command
    for command in (
        Imagine,
        Describe,
        Reroll,
        Reformat,
        Cancel,
        ListTemplates,
        ShowCredits,
        Help,
        History,
        Forget,
        PrivacyInfo,
        PrivacyExport,
        PrivacyConsent,
        PrivacyCorrect,
        PrivacyRestrict,
        PrivacyObject,
        DeleteMe,
        Buy,
        TeamCredits,
        UseCredits,
        ShareCredits,
        CapCredits,
    )
}
