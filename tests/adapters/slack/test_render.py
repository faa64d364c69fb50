"""Core replies become Slack messages that Slack accepts, and their buttons come back."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest
import yaml

from adapters.slack.render import (
    ARGUMENTS,
    TOP_LEVEL,
    parent_text,
    press_from_action,
    render,
    usage,
)
from adapters.slack.texts import MORE_NOT_SHOWN
from core.commands import COMMANDS, Cancel, DeleteMe, Reformat, Reroll
from core.errors import ActionRefused
from core.replies import (
    ActionKind,
    Audience,
    Choice,
    Images,
    Progress,
    Reply,
    Statement,
    TemplateInfo,
    Templates,
    Text,
)
from tests.adapters.payloads import payload
from tests.adapters.replies import (
    CATALOG,
    CODEC,
    FORMATS,
    OWNER,
    ROOT,
    PrivateImages,
    image,
    images,
)
from tests.adapters.replies import SAMPLES as SHARED
from tests.adapters.slack.blockkit import assert_slack_accepts, elements, parts, texts
from tests.adapters.slack.samples import (
    CONFIRM_CODE,
    DELETE_ME,
    NOTICE,
    OFFER,
    PRIVACY,
    gallery,
)

SAMPLES: dict[str, Reply] = {
    **SHARED,
    "images": images(4),
    "gallery": gallery(),
    "empty gallery": gallery(page=1, pages=1, total=0),
    "document": PRIVACY,
    "delete-me": DELETE_ME,
    "offer": OFFER,
}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_kind_of_reply_fits_slacks_limits(name: str) -> None:
    assert_slack_accepts(render(SAMPLES[name], CODEC))


@pytest.mark.parametrize("name", SAMPLES)
def test_a_reply_is_ephemeral_exactly_when_only_the_requester_may_see_it(name: str) -> None:
    reply = SAMPLES[name]
    assert render(reply, CODEC).ephemeral is (reply.audience is Audience.REQUESTER)


def test_every_kind_of_reply_core_answers_with_has_a_sample_here() -> None:
    assert {type(reply) for reply in SAMPLES.values()} >= set(get_args(Reply))


# --- notices: told once, before the reply, and only to the requester -------------------
def notices_in(message_texts: str) -> int:
    return message_texts.count(":information_source: Our privacy policy changed")


@pytest.mark.parametrize("name", SAMPLES)
def test_a_notice_is_shown_once_within_slacks_limits_and_only_to_the_requester(
    name: str,
) -> None:
    message = render(dataclasses.replace(SAMPLES[name], notice=NOTICE), CODEC)  # type: ignore[type-var]
    assert_slack_accepts(message)
    shown = [part for part in parts(message) if notices_in(texts(part))]
    assert len(shown) == 1 and notices_in(texts(shown[0])) == 1
    (told,) = shown
    assert told.ephemeral and told.blocks[0]["text"]["text"].startswith(":information_source:")
    assert told.text.startswith("Our privacy policy changed")
    assert told is (message if message.ephemeral else message.notice)


def test_a_private_reply_opens_with_its_notice_in_the_same_message() -> None:
    statement = SAMPLES["statement"]
    message = render(dataclasses.replace(statement, notice=NOTICE), CODEC)  # type: ignore[type-var]
    assert message.notice is None
    assert message.blocks[1:] == render(statement, CODEC).blocks
    assert message.blocks[0]["text"]["text"] == f":information_source: {NOTICE}"


@pytest.mark.parametrize(
    "reply", [Text("Job job_a was cancelled."), images(2), SAMPLES["progress"]], ids=type
)
def test_a_public_reply_leaves_its_notice_to_a_message_for_the_requester_alone(
    reply: Text | Images | Progress,
) -> None:
    message = render(dataclasses.replace(reply, notice=NOTICE), CODEC)
    assert message == dataclasses.replace(render(reply, CODEC), notice=message.notice)
    assert message.notice is not None and message.notice.ephemeral
    assert texts(message.notice) == f":information_source: {NOTICE}"
    assert "privacy policy" not in message.text + texts(message)


def test_a_long_notice_is_split_not_cut() -> None:
    notice = " ".join(f"clause-{n}." for n in range(400))
    message = render(Statement(balance=1, lines=(), notice=notice), CODEC)
    assert_slack_accepts(message)
    shown = texts(message)
    assert all(f"clause-{n}." in shown for n in range(400))


# --- a step that needs the requester's yes -------------------------------------------
def test_a_confirmation_button_is_marked_dangerous_and_asks_again() -> None:
    message = render(DELETE_ME, CODEC)
    assert message.ephemeral  # nobody else even sees the button
    ((_, button),) = list(elements(message))
    assert (button["action_id"], button["style"]) == ("aioe.confirm", "danger")
    assert button["text"]["text"] == "Delete my account"
    dialog = button["confirm"]
    assert dialog["style"] == "danger" and dialog["confirm"]["text"] == "Delete my account"
    assert {dialog["title"]["text"], dialog["text"]["text"], dialog["deny"]["text"]} == {
        "Are you sure?",
        "This cannot be undone.",
        "Go back",
    }
    assert DELETE_ME.text in texts(message)
    assert CONFIRM_CODE not in texts(message)  # the button carries it


def test_a_confirmation_button_decodes_to_delete_me_with_its_code_for_its_owner_only() -> None:
    ((_, button),) = list(elements(render(DELETE_ME, CODEC)))
    pressed = CODEC.decode(*press_from_action(button))
    assert (pressed.kind, pressed.command, pressed.owner) == (
        ActionKind.CONFIRM,
        DeleteMe(code=CONFIRM_CODE),
        OWNER,
    )
    forged = {**button, "value": button["value"].replace(OWNER, "f" * len(OWNER))}
    with pytest.raises(ActionRefused):
        CODEC.decode(*press_from_action(forged))


def test_a_catalogue_too_long_for_one_message_is_cut_with_a_note() -> None:
    huge = Templates(
        templates=tuple(TemplateInfo(f"look-{n}", "square", "x" * 300) for n in range(600)),
        formats=(),
    )
    message = render(huge, CODEC)
    assert_slack_accepts(message)
    note = message.blocks[-1]
    assert note["type"] == "context"
    shown = texts(message).count("look-")
    assert note["elements"][0]["text"] == MORE_NOT_SHOWN.format(count=600 + 1 - shown)


def test_more_images_than_fit_are_cut_whole_and_counted() -> None:
    message = render(images(40), CODEC)
    assert_slack_accepts(message)
    shown = texts(message).count("Open full size")
    assert shown == (50 - 2) // 2
    assert message.blocks[-1]["elements"][0]["text"] == MORE_NOT_SHOWN.format(count=40 - shown)
    assert len(message.images) == 40


def test_each_image_shows_its_link_size_and_id() -> None:
    message = render(images(2), CODEC)
    for out in message.images:
        assert f"<{out.link}|Open full size>" in texts(message)
        assert f"1080×1080 png  ·  `{out.id}`" in texts(message)


def test_a_more_like_this_button_decodes_to_a_reroll_of_its_image_by_its_owner() -> None:
    message = render(images(2), CODEC)
    buttons = [e for _, e in elements(message) if e["action_id"] == "aioe.reroll"]
    pressed = [CODEC.decode(*press_from_action(button)) for button in buttons]
    assert [(p.command, p.owner) for p in pressed] == [
        (Reroll(out.id), OWNER) for out in message.images
    ]


def test_an_other_formats_choice_decodes_to_a_reformat_in_the_chosen_format() -> None:
    message = render(images(1), CODEC)
    ((block, select),) = [(b, e) for b, e in elements(message) if e["type"] == "static_select"]
    assert select["action_id"] == "aioe.reformat"
    assert [o["value"] for o in select["options"]] == [c.value for c in FORMATS[1:]]
    pressed_element = {
        **select,
        "block_id": block["block_id"],
        "selected_option": {
            "text": select["options"][1]["text"],
            "value": select["options"][1]["value"],
        },
    }
    pressed = CODEC.decode(*press_from_action(pressed_element))
    assert (pressed.command, pressed.owner) == (Reformat("img_0000000000", "story"), OWNER)


def test_a_select_offers_at_most_100_options_with_short_labels() -> None:
    many = tuple(Choice(f"format-{n}", f"format {n} " + "wide " * 30) for n in range(150))
    message = render(Images("Here.", (image("img_a", many),)), CODEC)
    assert_slack_accepts(message)
    ((_, select),) = [(b, e) for b, e in elements(message) if e["type"] == "static_select"]
    assert len(select["options"]) == 100
    assert select["options"][0]["text"]["text"].endswith("…")


def test_progress_offers_a_cancel_button_for_its_job() -> None:
    message = render(SAMPLES["progress"], CODEC)
    ((_, button),) = list(elements(message))
    assert (button["action_id"], button["text"]["text"]) == ("aioe.cancel", "Cancel")
    pressed = CODEC.decode(*press_from_action(button))
    assert (pressed.command, pressed.owner) == (Cancel("job_k3m9x2qa7p"), OWNER)


def test_private_replies_carry_links_and_never_files() -> None:
    private = render(SAMPLES["private"], CODEC)
    assert private.ephemeral and private.images == ()
    assert "<https://aioe.example/x/abc|Open link>" in texts(private)
    history = render(PrivateImages("Your images.", images(2).images), CODEC)
    assert history.ephemeral and history.images == ()
    assert texts(history).count("|Open full size>") == 2


def test_images_for_everyone_are_uploaded_with_the_message() -> None:
    message = render(SAMPLES["images"], CODEC)
    assert not message.ephemeral
    assert message.images == SAMPLES["images"].images  # type: ignore[union-attr]


def test_mrkdwn_control_characters_in_a_prompt_are_escaped() -> None:
    message = render(Text("A <!channel> mug & <https://evil.example|free> cup"), CODEC)
    escaped = "A &lt;!channel&gt; mug &amp; &lt;https://evil.example|free&gt; cup"
    assert texts(message) == escaped
    assert message.text == escaped


def test_a_long_text_is_cut_at_3000_characters_without_breaking_an_escape() -> None:
    message = render(Text("&" * 5000), CODEC)
    for text in (texts(message), message.text):
        assert len(text) <= 3000 and text.endswith("…")
        assert text.removesuffix("…").replace("&amp;", "") == ""


def test_an_error_is_one_sentence_with_a_warning_sign() -> None:
    message = render(SAMPLES["error"], CODEC)
    assert message.ephemeral
    assert texts(message) == ":warning: " + SAMPLES["error"].text  # type: ignore[union-attr]


def test_a_confirmation_without_buttons_shows_its_code() -> None:
    message = render(SAMPLES["confirm"], CODEC)
    assert message.blocks[-1]["elements"][0]["text"] == "Confirmation code: K3M9"


def test_the_catalogue_lists_every_template_and_format() -> None:
    shown = texts(render(SAMPLES["templates"], CODEC))
    assert all(f"*{name}*" in shown for name in (*CATALOG.templates, *CATALOG.formats))


def test_the_statement_shows_the_balance_and_each_movement() -> None:
    shown = texts(render(SAMPLES["statement"], CODEC))
    assert "*You have 42 credits.*" in shown
    assert "`2024-05-01 12:30`  reserve  *-4*  held (job_a)" in shown
    assert "`2024-05-01 12:00`  grant  *+50*  welcome credits" in shown


def test_the_guide_shows_every_command_in_slack_syntax() -> None:
    shown = texts(render(SAMPLES["guide"], CODEC))
    for name in COMMANDS:
        assert f"• `{usage(name)}`  what {name} does" in shown
    assert "`/imagine [prompt] [--url URL]" in shown and "`/aioe reroll IMAGE_ID`" in shown
    assert "/imagine on its own" in shown and "after /aioe" in shown


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("history", "/history [PAGE]"),
        ("forget", "/forget IMAGE_ID"),
        ("privacy", "/privacy"),
        ("privacy export", "/privacy export"),
        ("privacy consent", "/privacy consent analytics on|off"),
        ("privacy correct", "/privacy correct name|email VALUE"),
        ("privacy restrict", "/privacy restrict on|off"),
        ("privacy object", "/privacy object"),
        ("delete-me", "/delete-me"),
        ("cancel", "/aioe cancel JOB_ID"),
    ],
)
def test_a_subcommand_is_shown_under_its_own_slash_command(name: str, typed: str) -> None:
    assert usage(name) == typed


def test_the_guide_names_as_top_level_exactly_the_commands_the_slack_app_registers() -> None:
    manifest = yaml.safe_load((ROOT / "config" / "slack_manifest.yml").read_text())
    registered = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert registered == {"/aioe", *(f"/{name}" for name in TOP_LEVEL)}
    assert set(COMMANDS) >= TOP_LEVEL | set(ARGUMENTS)


def test_a_recorded_button_press_decodes_to_its_reroll() -> None:
    (action,) = payload("slack", "block_actions_button")["actions"]
    value, choice = press_from_action(action)
    assert choice is None
    pressed = CODEC.decode(value, choice)
    assert (pressed.kind, pressed.command, pressed.owner) == (
        ActionKind.REROLL,
        Reroll("img_k3m9x2qa7p"),
        OWNER,
    )


def test_a_recorded_select_choice_decodes_to_a_reformat_in_that_format() -> None:
    (action,) = payload("slack", "block_actions_select")["actions"]
    value, choice = press_from_action(action)
    assert choice == "story"
    pressed = CODEC.decode(value, choice)
    assert (pressed.command, pressed.owner) == (Reformat("img_k3m9x2qa7p", "story"), OWNER)


def test_an_element_not_rendered_here_is_refused() -> None:
    with pytest.raises(ActionRefused):
        press_from_action({"type": "overflow", "action_id": "aioe.reroll", "block_id": "b"})
    with pytest.raises(ActionRefused):
        press_from_action({"type": "button", "action_id": "aioe.reroll"})


def test_a_parent_message_names_the_requester_and_the_request() -> None:
    summary = "2 images with studio-white as square"
    assert parent_text("U123", summary) == f"<@U123> asked for {summary}"
    assert parent_text("U123", "a <b> & c") == "<@U123> asked for a &lt;b&gt; &amp; c"
