"""/imagine from a photo on the studio provider: images, credits, links, refusals."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bot.bootstrap import App
from core.replies import Error, Images, Progress, Statement, Templates
from tests.harness import Chat, blob_files, product_photo


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG of a few kilobytes whose header claims 3.6 gigapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    data = compressor.compress(row * 64) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


async def test_a_photo_becomes_a_marketplace_image_and_costs_one_credit(
    chat: Chat, tmp_path: Path
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    before = await chat.balance()
    queued = await chat.say(
        f"/imagine --image {photo} --template studio-white --format marketplace"
    )
    assert isinstance(queued, Progress), queued
    assert await chat.balance() == before - 1  # reserved at once
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    (picture,) = done.images
    assert (picture.width, picture.height) == (2000, 2000)
    assert await chat.balance() == before - 1
    async with chat.app.uow_factory() as uow:
        record = await uow.images.get(picture.id)
    assert record is not None
    image = Image.open(io.BytesIO(await chat.app.blobs.get(record.blob_key)))
    assert image.size == (2000, 2000)


async def test_n_images_cost_n_credits_and_come_back_together(chat: Chat, tmp_path: Path) -> None:
    photo = tmp_path / "box.jpg"
    photo.write_bytes(product_photo(fmt="JPEG"))
    await chat.say(f"/imagine --image {photo} --format square --n 3")
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images) and len(done.images) == 3
    assert len({i.id for i in done.images}) == 3
    assert await chat.balance() == 10 - 3


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(product_photo()[:300], id="truncated"),
        pytest.param(b"just some text, not an image\n" * 10, id="text-named-png"),
        pytest.param(png_bomb(), id="decompression-bomb"),
    ],
)
async def test_a_bad_file_is_refused_and_changes_nothing(
    chat: Chat, app: App, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "photo.png"
    bad.write_bytes(content)
    before = await chat.balance()
    jobs_before = await chat.count("jobs")
    reply = await chat.say(f"/imagine --image {bad}")
    assert isinstance(reply, Error), reply
    assert "\n" not in reply.text and "Traceback" not in reply.text
    assert await chat.balance() == before
    assert await chat.count("jobs") == jobs_before
    assert await chat.count("images") == 0
    assert blob_files(app.settings.data_dir) == []


async def test_more_images_than_the_balance_covers_are_refused(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    for _ in range(2):
        await chat.say(f"/imagine --image {photo} --n 4")
    reply = await chat.say(f"/imagine --image {photo} --n 4")
    assert isinstance(reply, Error)
    assert reply.text == "That costs 4 credits and you have 2; ask for fewer images or top up."
    assert await chat.count("jobs") == 2
    assert len(blob_files(app.settings.data_dir)) == 2  # the two accepted uploads only


async def test_a_prompt_alone_on_studio_names_the_setting_and_costs_nothing(chat: Chat) -> None:
    reply = await chat.say("/imagine a mug on a beach at sunset")
    assert isinstance(reply, Error)
    assert "AIOE_PROVIDER=openai" in reply.text
    assert await chat.balance() == 10
    assert await chat.count("jobs") == 0


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("/imagine a mug --template nope", "no template called nope"),
        ("/imagine --n 9 a mug", "1 to 4 images"),
        ("/imagine", "Tell me what to make"),
    ],
)
async def test_bad_requests_get_one_sentence(chat: Chat, line: str, fragment: str) -> None:
    reply = await chat.say(line)
    assert isinstance(reply, Error) and fragment in reply.text
    assert await chat.balance() == 10


async def test_a_new_identity_gets_the_free_credits_once(chat: Chat) -> None:
    first = await chat.say("/credits", user="bob")
    second = await chat.say("/credits", user="bob")
    assert isinstance(first, Statement) and isinstance(second, Statement)
    assert first.balance == second.balance == 10
    assert [line.kind for line in second.lines] == ["grant"]
    assert await chat.balance("carol") == 10


async def test_templates_lists_every_template_and_format(chat: Chat) -> None:
    reply = await chat.say("/templates")
    assert isinstance(reply, Templates)
    assert [t.name for t in reply.templates] == list(chat.app.catalog.templates)
    assert {"square", "portrait", "story", "landscape", "marketplace"} <= {
        f.name for f in reply.formats
    }
