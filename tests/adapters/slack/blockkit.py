"""What Slack checks of a message's Block Kit, with slack_sdk's own validators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block

from adapters.slack.blocks import MAX_MESSAGE_TEXT, text_size
from adapters.slack.render import ACTION_IDS, SlackMessage
from tests.adapters.replies import CODEC


def parts(message: SlackMessage) -> list[SlackMessage]:
    """Every message a rendered reply sends, in order: notice, itself, continuations."""
    notice = [message.notice] if message.notice is not None else []
    return [*notice, message, *message.continued]


def elements(message: SlackMessage) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (actions block, element) pair of a message."""
    for block in message.blocks:
        if block["type"] == "actions":
            for element in block["elements"]:
                yield block, element


def texts(message: SlackMessage) -> str:
    """The mrkdwn of a message's sections, a line apart."""
    return "\n".join(
        block["text"]["text"] for block in message.blocks if block["type"] == "section"
    )


def assert_slack_accepts(message: SlackMessage) -> None:
    """The message and every other message its reply sends."""
    for part in parts(message):
        _assert_one_accepted(part)
    for part in (message.notice, *message.continued):
        if part is not None:
            assert part.ephemeral and part.images == ()
            assert part.notice is None and part.continued == ()  # nothing nested deeper


def _assert_one_accepted(message: SlackMessage) -> None:
    assert 0 < len(message.blocks) <= 50
    assert 0 < len(message.text) <= 3000
    assert text_size(message.blocks) <= MAX_MESSAGE_TEXT
    block_ids = [block["block_id"] for block in message.blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids))
    for block in message.blocks:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()  # the block's own limits; to_dict() checks its children's
        assert model.to_dict() == block  # and the SDK knew every field
        assert len(block.get("block_id", "")) <= 255
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            ids = [element["action_id"] for element in block["elements"]]
            assert len(ids) == len(set(ids)) and len(ids) <= 25
    for block, element in elements(message):
        assert element["action_id"] in ACTION_IDS.values()
        assert len(element["action_id"]) <= 255
        if element["type"] == "button":
            assert len(element["value"]) <= 2000
            assert len(element["text"]["text"]) <= 75
            assert element.get("style") in (None, "primary", "danger")
        else:
            assert element["type"] == "static_select"
            assert 0 < len(element["options"]) <= 100
            assert all(len(option["text"]["text"]) <= 75 for option in element["options"])
            assert all(len(option["value"]) <= 150 for option in element["options"])
            CODEC.decode(block["block_id"], element["options"][0]["value"])
