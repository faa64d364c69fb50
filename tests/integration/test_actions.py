"""Buttons are data: a value round-trips to its command, and only its owner may press it."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.translate import translate
from core.actions import ActionCodec
from core.commands import Cancel, Reformat, Reroll
from core.errors import ActionRefused
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Action, ActionKind, Error, Images, Progress, Text
from tests.harness import Chat

ALICE = Requester("slack", "T1", "U1", "Alice")
MALLORY = Requester("slack", "T1", "U9", "Mallory")
ADDRESS = ReplyAddress("slack", fields={"channel": "C1"})
CODEC = ActionCodec("test-secret")
OWNER = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("action", "choice", "command"),
    [
        (Action(ActionKind.REROLL, "More", Reroll("img_abc"), OWNER), None, Reroll("img_abc")),
        (
            Action(ActionKind.REFORMAT, "Formats", Reformat("img_abc", ""), OWNER),
            "story",
            Reformat("img_abc", "story"),
        ),
        (Action(ActionKind.CANCEL, "Cancel", Cancel("job_abc"), OWNER), None, Cancel("job_abc")),
    ],
)
def test_a_value_decodes_to_the_command_of_its_action(
    action: Action, choice: str | None, command: object
) -> None:
    value = CODEC.encode(action)
    assert len(value) <= 100  # a Discord custom id
    pressed = CODEC.decode(value, choice)
    assert (pressed.kind, pressed.command, pressed.owner) == (action.kind, command, OWNER)


def test_every_altered_value_is_refused() -> None:
    value = CODEC.encode(Action(ActionKind.REROLL, "More", Reroll("img_abc"), OWNER))
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:"
    for index, character in enumerate(value):
        other = next(c for c in alphabet if c != character)
        with pytest.raises(ActionRefused):
            CODEC.decode(value[:index] + other + value[index + 1 :])
    with pytest.raises(ActionRefused, match="not valid"):
        ActionCodec("another-secret").decode(value)


async def first_images(chat: Chat, photo: Path) -> Images:
    chat.app.deliveries.register("slack", chat)
    queued = await chat.app.bot.handle(
        ALICE, await translate(f"/imagine --image {photo} --format square"), ADDRESS
    )
    assert isinstance(queued, Progress)
    worker = chat.app.worker("slack-worker", routes=("slack",))
    assert await worker.drain() == 1
    (done,) = chat.delivered
    assert isinstance(done, Images)
    chat.delivered.clear()
    return done


async def test_more_like_this_pressed_by_the_requester_queues_a_reroll(
    chat: Chat, photo: Path
) -> None:
    done = await first_images(chat, photo)
    reroll, reformat = done.images[0].actions
    pressed = await chat.app.bot.press(ALICE, chat.app.bot.actions.encode(reroll), ADDRESS)
    assert isinstance(pressed, Progress) and "1 image(s)" in pressed.text
    story = await chat.app.bot.press(
        ALICE, chat.app.bot.actions.encode(reformat), ADDRESS, choice="story"
    )
    assert isinstance(story, Progress) and "as story" in story.text
    cancel = await chat.app.bot.press(ALICE, chat.app.bot.actions.encode(story.actions[0]), ADDRESS)
    assert isinstance(cancel, Text) and story.job_id in cancel.text


async def test_a_button_pressed_by_someone_else_is_refused_in_one_sentence(
    chat: Chat, photo: Path
) -> None:
    done = await first_images(chat, photo)
    value = chat.app.bot.actions.encode(done.images[0].actions[0])
    refused = await chat.app.bot.press(MALLORY, value, ADDRESS)
    assert refused == Error(
        "Only the person who asked can use these buttons; run the command yourself."
    )
    altered = await chat.app.bot.press(
        ALICE, value[:-1] + ("A" if value[-1] != "A" else "B"), ADDRESS
    )
    assert isinstance(altered, Error) and "not valid" in altered.text
    assert await chat.count("jobs") == 1  # neither press queued anything


async def test_other_formats_without_a_choice_asks_for_one(chat: Chat, photo: Path) -> None:
    done = await first_images(chat, photo)
    value = chat.app.bot.actions.encode(done.images[0].actions[1])
    reply = await chat.app.bot.press(ALICE, value, ADDRESS)
    assert reply == Error("Pick one of the options first.")
