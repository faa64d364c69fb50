"""Discord application-command interactions to core commands.

A slash command's path (``/privacy consent``) names its definition in ``commands.py``;
its options are checked against it (names, types, choices, required ones), then the
builder of the core command it runs makes that command. A photo
arrives as an attachment whose URL soon expires: ``translate`` hands it back beside the
command, and the caller downloads it at once and puts it in with ``Asked.with_image``.
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.discord.commands import (
    MAKE_IMAGES,
    ON,
    PATHS,
    CommandPath,
    CommandType,
    Option,
    OptionType,
    split_path,
)
from core import messages
from core.commands import (
    Buy,
    Cancel,
    CapCredits,
    Command,
    DeleteMe,
    Describe,
    Forget,
    Help,
    History,
    ImageUpload,
    Imagine,
    ListTemplates,
    PrivacyConsent,
    PrivacyCorrect,
    PrivacyExport,
    PrivacyInfo,
    PrivacyObject,
    PrivacyRestrict,
    Reformat,
    Reroll,
    ShareCredits,
    ShowCredits,
    TeamCredits,
    UseCredits,
)
from core.errors import BadInput

APPLICATION_COMMAND = 2
#: The path of ``buy`` for the team, as ``Given.command`` spells it.
TEAM_BUY = "team buy"
#: What the decoder reads; anything else Discord labels is refused before downloading.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})

# --- what a Discord user reads beyond core/messages.py ---------------------------------
NO_IMAGE = (
    "That message has no PNG, JPEG or WebP photo attached; "
    "use Make marketing images on a message with a product photo."
)
NOT_AN_OPTION = "/{command} has no option {option}"
WRONG_TYPE = "{option} takes {kind}"
NOT_A_CHOICE = "{option} takes one of: {choices}"
MISSING_OPTION = "/{command} needs {option}"
ATTACHMENT_MISSING = "the attached file did not arrive with the command"
KINDS = {
    OptionType.STRING: "text",
    OptionType.INTEGER: "a whole number",
    OptionType.ATTACHMENT: "an attached file",
}


@dataclass(frozen=True, slots=True)
class Asked:
    """A command, and the attachment (Discord's JSON) whose bytes it still needs."""

    command: Command
    attachment: Mapping[str, Any] | None = None

    def with_image(self, upload: ImageUpload) -> Command:
        """The command with the downloaded attachment in place."""
        if not isinstance(self.command, Imagine | Describe):
            raise TypeError(f"/{self.command.name} takes no image")
        return dataclasses.replace(self.command, image=upload)


@dataclass(frozen=True, slots=True)
class Given:
    """A command's options by name, already checked against its definition."""

    command: str
    values: Mapping[str, Any]
    attachments: Mapping[str, Mapping[str, Any]]

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return value.strip() or None if isinstance(value, str) else None

    def required(self, name: str) -> str:
        text = self.text(name)
        if text is None:
            raise _bad(MISSING_OPTION.format(command=self.command, option=name))
        return text

    def attachment(self, name: str) -> Mapping[str, Any] | None:
        return self.attachments.get(name)

    def switch(self, name: str) -> bool:
        """An on/off option as a yes or no."""
        return self.required(name) == ON


Builder = Callable[[Given], Asked]


def translate(interaction: Mapping[str, Any]) -> Asked:
    """The command an application-command interaction asks for; raises ``BadInput``
    with one sentence."""
    if interaction.get("type") != APPLICATION_COMMAND:
        raise BadInput(messages.NOT_A_COMMAND)
    data = interaction.get("data") or {}
    if data.get("type") == CommandType.MESSAGE:
        return _from_message(data)
    path, options = split_path(str(data.get("name", "")), data.get("options") or ())
    slash = PATHS.get(path)
    if slash is None:
        raise BadInput(messages.UNKNOWN_COMMAND.format(command="/" + " ".join(path)))
    return _BUILDERS[slash.core](_given(path, options, data.get("resolved") or {}))


def _given(
    path: CommandPath, options: Sequence[Mapping[str, Any]], resolved: Mapping[str, Any]
) -> Given:
    command = " ".join(path)
    defined = {option.name: option for option in PATHS[path].options}
    values: dict[str, Any] = {}
    attachments: dict[str, Mapping[str, Any]] = {}
    for sent in options:
        name = str(sent.get("name", ""))
        option = defined.get(name)
        if option is None:
            raise _bad(NOT_AN_OPTION.format(command=command, option=name))
        value = sent.get("value")
        if sent.get("type") != option.type or not _fits(option, value):
            raise _bad(WRONG_TYPE.format(option=name, kind=KINDS[option.type]))
        _check_choice(option, value)
        if option.type is OptionType.ATTACHMENT:
            attachment = (resolved.get("attachments") or {}).get(str(value))
            if attachment is None:
                raise _bad(ATTACHMENT_MISSING)
            attachments[name] = _image(attachment)
        else:
            values[name] = value
    for option in defined.values():
        if option.required and option.name not in values and option.name not in attachments:
            raise _bad(MISSING_OPTION.format(command=command, option=option.name))
    return Given(command, values, attachments)


def _fits(option: Option, value: Any) -> bool:
    if option.type is OptionType.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)  # strings, and an attachment's snowflake


def _check_choice(option: Option, value: Any) -> None:
    """An option with fixed choices holds one of them (Discord's client offers only
    those, but an interaction is no promise)."""
    offered = [choice for choice, _ in option.choices]
    if offered and value not in offered:
        raise _bad(NOT_A_CHOICE.format(option=option.name, choices=", ".join(offered)))


def _image(attachment: Mapping[str, Any]) -> Mapping[str, Any]:
    """An attachment that could be a photo: its type is checked here, the bytes by the
    imaging port after the download."""
    kind = _media_type(attachment)
    if kind is not None and kind not in IMAGE_TYPES:
        raise BadInput(messages.IMAGE_NOT_SUPPORTED)
    return attachment


def _media_type(attachment: Mapping[str, Any]) -> str | None:
    """Discord's ``content_type``, or failing that the one its file name suggests."""
    declared = str(attachment.get("content_type") or "").split(";")[0].strip().lower()
    guessed, _ = mimetypes.guess_type(str(attachment.get("filename") or ""))
    return declared or guessed


def _bad(detail: str) -> BadInput:
    return BadInput(messages.BAD_OPTIONS.format(detail=detail))


def _one_source(given: Given) -> Mapping[str, Any] | None:
    image = given.attachment("image")
    if image is not None and given.text("url"):
        raise BadInput(messages.ONE_SOURCE_ONLY)
    return image


# --- one builder per command ------------------------------------------------------------
def _imagine(given: Given) -> Asked:
    n = given.values.get("n", 1)
    if not 1 <= n <= 4:
        raise BadInput(messages.N_OUT_OF_RANGE)
    image = _one_source(given)
    command = Imagine(
        prompt=given.text("prompt") or "",
        url=given.text("url"),
        template=given.text("template"),
        format=given.text("format"),
        n=n,
    )
    return Asked(command, image)


def _describe(given: Given) -> Asked:
    image = _one_source(given)
    return Asked(Describe(url=given.text("url")), image)


def _buy(given: Given) -> Asked:
    """``/buy item:…`` for oneself; ``/team buy pack:…`` for the server's shared credits."""
    if given.command == TEAM_BUY:
        return Asked(Buy(item=given.required("pack").lower(), team=True))
    return Asked(Buy(item=(given.text("item") or "").lower()))


def _from_message(data: Mapping[str, Any]) -> Asked:
    """``Make marketing images`` on a message: ``/imagine`` with its first photo."""
    if data.get("name") != MAKE_IMAGES:
        raise BadInput(messages.UNKNOWN_COMMAND.format(command=data.get("name", "")))
    target = str(data.get("target_id", ""))
    message = ((data.get("resolved") or {}).get("messages") or {}).get(target) or {}
    for attachment in message.get("attachments") or ():
        if _media_type(attachment) in IMAGE_TYPES:
            return Asked(Imagine(), attachment)
    raise BadInput(NO_IMAGE)


_BUILDERS: dict[str, Builder] = {
    "imagine": _imagine,
    "describe": _describe,
    "reroll": lambda given: Asked(Reroll(image_id=given.required("image_id"))),
    "reformat": lambda given: Asked(
        Reformat(image_id=given.required("image_id"), format=given.required("format"))
    ),
    "cancel": lambda given: Asked(Cancel(job_id=given.required("job_id"))),
    "templates": lambda given: Asked(ListTemplates()),
    "credits": lambda given: Asked(ShowCredits()),
    "help": lambda given: Asked(Help()),
    "history": lambda given: Asked(History(page=given.values.get("page", 1))),
    "forget": lambda given: Asked(Forget(image_id=given.required("image_id"))),
    "privacy": lambda given: Asked(PrivacyInfo()),
    "privacy export": lambda given: Asked(PrivacyExport()),
    "privacy consent": lambda given: Asked(
        PrivacyConsent(purpose=given.required("purpose"), granted=given.switch("setting"))
    ),
    "privacy correct": lambda given: Asked(
        PrivacyCorrect(field=given.required("field"), value=given.required("value"))
    ),
    "privacy restrict": lambda given: Asked(PrivacyRestrict(on=given.switch("setting"))),
    "privacy object": lambda given: Asked(PrivacyObject()),
    "delete-me": lambda given: Asked(DeleteMe()),
    "buy": _buy,
    "credits team": lambda given: Asked(TeamCredits()),
    "credits use": lambda given: Asked(UseCredits(source=given.required("source"))),
    "credits share": lambda given: Asked(ShareCredits(on=given.switch("setting"))),
    "credits cap": lambda given: Asked(CapCredits(limit=given.values.get("credits"))),
}
