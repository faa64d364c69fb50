"""More like this, and other formats without a new provider call."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from core.commands import Reformat, Reroll
from core.identity import Requester
from core.replies import ActionKind, Error, Images, Progress
from tests.harness import Chat, product_photo


async def first_image(chat: Chat, tmp_path: Path, fmt: str = "marketplace") -> Images:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    await chat.say(f"/imagine --image {photo} --format {fmt}")
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    return done


async def stored_size(chat: Chat, image_id: str) -> tuple[int, int]:
    async with chat.app.uow_factory() as uow:
        record = await uow.images.get(image_id)
    assert record is not None
    return Image.open(io.BytesIO(await chat.app.blobs.get(record.blob_key))).size


async def test_every_result_offers_more_like_this_and_other_formats(
    chat: Chat, tmp_path: Path
) -> None:
    done = await first_image(chat, tmp_path)
    image_id = done.images[0].id
    actions = done.images[0].actions
    assert [(a.kind, a.command) for a in actions] == [
        (ActionKind.REROLL, Reroll(image_id)),
        (ActionKind.REFORMAT, Reformat(image_id, "")),
    ]
    owner = (await chat.app.bot.open_account(Requester("console", "local", "alice"))).id
    assert {a.owner for a in actions} == {owner}
    offered = [choice.value for choice in actions[1].choices]
    assert offered == [name for name in chat.app.catalog.formats if name != "marketplace"]


async def test_reformat_makes_a_story_from_a_marketplace_image(chat: Chat, tmp_path: Path) -> None:
    done = await first_image(chat, tmp_path)
    queued = await chat.say(f"/reformat {done.images[0].id} story")
    assert isinstance(queued, Progress), queued
    (story,) = await chat.run_jobs()
    assert isinstance(story, Images)
    assert (story.images[0].width, story.images[0].height) == (1080, 1920)
    assert await stored_size(chat, story.images[0].id) == (1080, 1920)
    assert await chat.balance() == 10 - 1 - 1


async def test_reroll_makes_a_new_variation_of_the_same_request(chat: Chat, tmp_path: Path) -> None:
    done = await first_image(chat, tmp_path, "square")
    queued = await chat.say(f"/reroll {done.images[0].id}")
    assert isinstance(queued, Progress), queued
    (again,) = await chat.run_jobs()
    assert isinstance(again, Images)
    assert (again.images[0].width, again.images[0].height) == (1080, 1080)
    assert again.images[0].id != done.images[0].id


async def test_nobody_can_reroll_or_reformat_someone_elses_image(
    chat: Chat, tmp_path: Path
) -> None:
    done = await first_image(chat, tmp_path)
    for line in (f"/reroll {done.images[0].id}", f"/reformat {done.images[0].id} story"):
        reply = await chat.say(line, user="mallory")
        assert isinstance(reply, Error) and "no image" in reply.text
    assert await chat.balance("mallory") == 10


async def test_reformat_to_the_same_format_or_an_unknown_one_is_refused(
    chat: Chat, tmp_path: Path
) -> None:
    done = await first_image(chat, tmp_path)
    same = await chat.say(f"/reformat {done.images[0].id} marketplace")
    unknown = await chat.say(f"/reformat {done.images[0].id} billboard")
    assert isinstance(same, Error) and "already marketplace" in same.text
    assert isinstance(unknown, Error) and "no format called billboard" in unknown.text
    assert await chat.balance() == 9
