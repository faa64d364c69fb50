"""Discord's application-command interactions read as core commands."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord.commands import PATHS, OptionType
from adapters.discord.translate import NO_IMAGE, Asked, translate
from core import messages
from core.commands import (
    Buy,
    Cancel,
    CapCredits,
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
from tests.adapters.payloads import payload

PHOTO_ID = "1183349398411575296"


def slash(name: str, *options: dict[str, Any], **resolved: Any) -> dict[str, Any]:
    """The recorded /imagine interaction, asking for another command."""
    recorded = payload("discord", "slash_imagine")
    data = {"id": "1183349393617461300", "name": name, "type": 1, "options": list(options)}
    if resolved:
        data["resolved"] = resolved
    return {**recorded, "data": data}


def text(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


def number(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": 4, "value": value}


def sub(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    """A subcommand as Discord sends it: an option of type 1 holding its own options."""
    return {"name": name, "type": 1, "options": list(options)}


def privacy(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return slash("privacy", sub(name, *options))


def team(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return slash("team", sub(name, *options))


def attached(content_type: str | None = "image/png", filename: str = "mug.png") -> dict[str, Any]:
    photo = {"id": PHOTO_ID, "filename": filename, "size": 1000, "url": "https://cdn.example/x"}
    if content_type:
        photo["content_type"] = content_type
    return {"attachments": {PHOTO_ID: photo}}


IMAGE = {"name": "image", "type": 11, "value": PHOTO_ID}


# --- recorded payloads -------------------------------------------------------------------
def test_a_recorded_imagine_with_a_photo_and_options() -> None:
    asked = translate(payload("discord", "slash_imagine"))
    assert asked.command == Imagine(prompt="a ceramic mug on a marble table", format="story", n=2)
    assert asked.attachment is not None
    assert (asked.attachment["id"], asked.attachment["filename"]) == (PHOTO_ID, "mug.jpg")


def test_the_downloaded_photo_goes_into_the_command() -> None:
    asked = translate(payload("discord", "slash_imagine"))
    upload = ImageUpload(b"\xff\xd8jpeg", "mug.jpg")
    command = asked.with_image(upload)
    assert isinstance(command, Imagine) and command.image == upload and command.n == 2


def test_a_recorded_reformat() -> None:
    assert translate(payload("discord", "slash_reformat")) == Asked(
        Reformat(image_id="img_k3m9x2qa7p", format="landscape")
    )


def test_the_message_command_imagines_from_the_messages_first_photo() -> None:
    asked = translate(payload("discord", "message_command"))
    assert asked.command == Imagine()
    assert asked.attachment is not None and asked.attachment["filename"] == "mug-blue.webp"


def test_the_message_command_on_a_message_without_a_photo_says_so() -> None:
    recorded = payload("discord", "message_command")
    (message,) = recorded["data"]["resolved"]["messages"].values()
    message["attachments"] = message["attachments"][:1]  # the PDF only
    with pytest.raises(BadInput) as refused:
        translate(recorded)
    assert refused.value.message == NO_IMAGE


def test_the_message_command_takes_a_photo_discord_did_not_label_by_its_name() -> None:
    recorded = payload("discord", "message_command")
    (message,) = recorded["data"]["resolved"]["messages"].values()
    message["attachments"] = [{**message["attachments"][2], "content_type": None}]
    assert translate(recorded).attachment == message["attachments"][0]


# --- each command -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("interaction", "command"),
    [
        (slash("imagine", text("prompt", "a mug")), Imagine(prompt="a mug")),
        (
            slash(
                "imagine",
                text("url", "https://shop.example/p"),
                text("template", "studio-grey"),
                {"name": "n", "type": 4, "value": 4},
            ),
            Imagine(url="https://shop.example/p", template="studio-grey", n=4),
        ),
        (
            slash("describe", text("url", " https://shop.example/p ")),
            Describe(url="https://shop.example/p"),
        ),
        (slash("templates"), ListTemplates()),
        (slash("credits"), ShowCredits()),
        (slash("reroll", text("image_id", "img_1")), Reroll("img_1")),
        (
            slash("reformat", text("image_id", "img_1"), text("format", "story")),
            Reformat("img_1", "story"),
        ),
        (slash("cancel", text("job_id", "job_1")), Cancel("job_1")),
        (slash("help"), Help()),
        (slash("history"), History(page=1)),
        (slash("history", number("page", 3)), History(page=3)),
        (slash("history", number("page", 0)), History(page=0)),  # core refuses it
        (slash("forget", text("image_id", " img_1 ")), Forget("img_1")),
        (privacy("show"), PrivacyInfo()),
        (privacy("export"), PrivacyExport()),
        (
            privacy("consent", text("purpose", "analytics"), text("setting", "on")),
            PrivacyConsent(purpose="analytics", granted=True),
        ),
        (
            privacy("consent", text("setting", "off"), text("purpose", "analytics")),
            PrivacyConsent(purpose="analytics", granted=False),
        ),
        (
            privacy("correct", text("field", "email"), text("value", "mason@example.com")),
            PrivacyCorrect(field="email", value="mason@example.com"),
        ),
        (
            privacy("correct", text("field", "name"), text("value", "Mason Ng")),
            PrivacyCorrect(field="name", value="Mason Ng"),
        ),
        (privacy("restrict", text("setting", "on")), PrivacyRestrict(on=True)),
        (privacy("restrict", text("setting", "off")), PrivacyRestrict(on=False)),
        (privacy("object"), PrivacyObject()),
        (privacy("delete"), DeleteMe()),
        (slash("delete-me"), DeleteMe()),
        (team("credits"), TeamCredits()),
        (team("use", text("source", "team")), UseCredits("team")),
        (team("use", text("source", "personal")), UseCredits("personal")),
        (team("share", text("setting", "on")), ShareCredits(on=True)),
        (team("share", text("setting", "off")), ShareCredits(on=False)),
        (team("cap", number("credits", 5)), CapCredits(limit=5)),
        (team("cap"), CapCredits(limit=None)),  # no credits: no cap
        (team("cap", number("credits", 0)), CapCredits(limit=0)),  # core refuses it
        (team("buy", text("pack", " Starter ")), Buy(item="starter", team=True)),
        (slash("buy", text("item", "Starter")), Buy(item="starter")),
        (slash("buy"), Buy()),
    ],
)
def test_each_slash_command_becomes_its_core_command(
    interaction: dict[str, Any], command: Any
) -> None:
    assert translate(interaction) == Asked(command)


def test_every_path_translates_to_the_core_command_the_table_names() -> None:
    for path, command in PATHS.items():
        options = [
            {
                "name": option.name,
                "type": option.type.value,
                "value": option.choices[0][0] if option.choices else "x",
            }
            for option in command.options
            if option.required and option.type is not OptionType.ATTACHMENT
        ]
        name, *subcommand = path
        interaction = (
            slash(name, sub(subcommand[0], *options)) if subcommand else slash(name, *options)
        )
        assert translate(interaction).command.name == command.core


def test_describe_takes_an_attached_photo() -> None:
    asked = translate(slash("describe", IMAGE, **attached()))
    assert asked.command == Describe() and asked.attachment == attached()["attachments"][PHOTO_ID]


# --- refusals ---------------------------------------------------------------------------
def refusal(interaction: dict[str, Any]) -> str:
    with pytest.raises(BadInput) as refused:
        translate(interaction)
    return refused.value.message


def test_a_photo_and_a_url_together_are_refused() -> None:
    both = slash("imagine", IMAGE, text("url", "https://shop.example/p"), **attached())
    assert refusal(both) == messages.ONE_SOURCE_ONLY


@pytest.mark.parametrize("n", [0, 5, -1])
def test_n_outside_1_to_4_is_refused(n: int) -> None:
    assert refusal(slash("imagine", {"name": "n", "type": 4, "value": n})) == (
        messages.N_OUT_OF_RANGE
    )


def test_an_attachment_that_is_not_a_photo_is_refused_before_downloading() -> None:
    pdf = slash("imagine", IMAGE, **attached("application/pdf", "spec.pdf"))
    assert refusal(pdf) == messages.IMAGE_NOT_SUPPORTED
    gif = slash("imagine", IMAGE, **attached(None, "spin.gif"))
    assert refusal(gif) == messages.IMAGE_NOT_SUPPORTED


def test_an_attachment_of_unknown_type_is_left_to_the_decoder() -> None:
    unknown = slash("imagine", IMAGE, **attached(None, "photo"))
    assert translate(unknown).attachment is not None


@pytest.mark.parametrize(
    ("interaction", "detail"),
    [
        (slash("imagine", text("colour", "red")), "/imagine has no option colour"),
        (slash("imagine", {"name": "n", "type": 4, "value": "2"}), "n takes a whole number"),
        (slash("imagine", {"name": "n", "type": 4, "value": True}), "n takes a whole number"),
        (slash("imagine", {"name": "prompt", "type": 4, "value": 3}), "prompt takes text"),
        (slash("imagine", IMAGE), "the attached file did not arrive with the command"),
        (slash("reroll"), "/reroll needs image_id"),
        (slash("reroll", text("image_id", "   ")), "/reroll needs image_id"),
        (slash("reformat", text("image_id", "img_1")), "/reformat needs format"),
        (slash("history", text("page", "2")), "page takes a whole number"),
        (slash("forget"), "/forget needs image_id"),
        (
            privacy("consent", text("purpose", "marketing"), text("setting", "on")),
            "purpose takes one of: analytics",
        ),
        (
            privacy("consent", text("purpose", "analytics"), text("setting", "yes")),
            "setting takes one of: on, off",
        ),
        (privacy("consent", text("purpose", "analytics")), "/privacy consent needs setting"),
        (
            privacy("correct", text("field", "phone"), text("value", "1")),
            "field takes one of: name, email",
        ),
        (
            privacy("correct", text("field", "name"), text("value", "  ")),
            "/privacy correct needs value",
        ),
        (privacy("restrict"), "/privacy restrict needs setting"),
        (privacy("export", text("format", "zip")), "/privacy export has no option format"),
        (team("use", text("source", "everyone")), "source takes one of: team, personal"),
        (team("use"), "/team use needs source"),
        (team("share", text("setting", "yes")), "setting takes one of: on, off"),
        (team("cap", text("credits", "5")), "credits takes a whole number"),
        (team("buy"), "/team buy needs pack"),
        (team("buy", text("item", "starter")), "/team buy has no option item"),
        (slash("buy", text("pack", "starter")), "/buy has no option pack"),
    ],
)
def test_a_malformed_command_is_refused_in_one_sentence(
    interaction: dict[str, Any], detail: str
) -> None:
    assert refusal(interaction) == messages.BAD_OPTIONS.format(detail=detail)


def test_an_unknown_command_and_subcommand_are_named() -> None:
    assert refusal(slash("paint")) == messages.UNKNOWN_COMMAND.format(command="/paint")
    assert refusal(privacy("burn")) == messages.UNKNOWN_COMMAND.format(command="/privacy burn")
    alone = messages.UNKNOWN_COMMAND.format(command="/privacy")
    assert refusal(slash("privacy")) == alone  # Discord never sends a group on its own
    assert refusal(slash("history", sub("export"))) == messages.UNKNOWN_COMMAND.format(
        command="/history export"
    )


def test_something_other_than_a_command_is_refused() -> None:
    assert refusal(payload("discord", "button_press")) == messages.NOT_A_COMMAND


def test_an_image_cannot_be_put_into_a_command_that_takes_none() -> None:
    with pytest.raises(TypeError):
        Asked(Help()).with_image(ImageUpload(b"x"))
