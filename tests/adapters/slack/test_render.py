"""Core replies become Slack messages that Slack accepts, and their buttons come back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from slack_sdk.models.blocks import Block

from adapters.slack.render import (
    ACTION_IDS,
    ARGUMENTS,
    MORE_NOT_SHOWN,
    TOP_LEVEL,
    SlackMessage,
    parent_text,
    press_from_action,
    render,
    usage,
)
from core.commands import COMMANDS, Cancel, Reformat, Reroll
from core.errors import ActionRefused
from core.replies import (
    ActionKind,
    Audience,
    Choice,
    Images,
    Reply,
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

SAMPLES: dict[str, Reply] = {**SHARED, "images": images(4)}


# --- what Slack checks ---------------------------------------------------------------
def elements(message: SlackMessage) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (actions block, element) pair of a message."""
    for block in message.blocks:
        if block["type"] == "actions":
            for element in block["elements"]:
                yield block, element


def texts(message: SlackMessage) -> str:
    return "\n".join(
        block["text"]["text"] for block in message.blocks if block["type"] == "section"
    )


def assert_slack_accepts(message: SlackMessage) -> None:
    assert 0 < len(message.blocks) <= 50
    assert 0 < len(message.text) <= 3000
    block_ids = [block["block_id"] for block in message.blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids))
    for block in message.blocks:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()  # the block's own limits; to_dict() checks its children's
        assert model.to_dict() == block  # and the SDK knew every field
        assert len(block.get("block_id", "")) <= 255
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            ids = [element["action_id"] for element in block["elements"]]
            assert len(ids) == len(set(ids)) and len(ids) <= 25
    for block, element in elements(message):
        assert element["action_id"] in ACTION_IDS.values()
        assert len(element["action_id"]) <= 255
        if element["type"] == "button":
            assert len(element["value"]) <= 2000
            assert len(element["text"]["text"]) <= 75
        else:
            assert element["type"] == "static_select"
            assert 0 < len(element["options"]) <= 100
            assert all(len(option["text"]["text"]) <= 75 for option in element["options"])
            assert all(len(option["value"]) <= 150 for option in element["options"])
            CODEC.decode(block["block_id"], element["options"][0]["value"])


@pytest.mark.parametrize("name", SAMPLES)
def test_every_kind_of_reply_fits_slacks_limits(name: str) -> None:
    assert_slack_accepts(render(SAMPLES[name], CODEC))


@pytest.mark.parametrize("name", SAMPLES)
def test_a_reply_is_ephemeral_exactly_when_only_the_requester_may_see_it(name: str) -> None:
    reply = SAMPLES[name]
    assert render(reply, CODEC).ephemeral is (reply.audience is Audience.REQUESTER)


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
