"""Terminal lines become commands, or one sentence saying what is wrong."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.translate import translate
from core import messages
from core.commands import Cancel, Forget, Help, History, Imagine, ListTemplates, ShowCredits
from core.errors import BadInput


async def test_imagine_reads_its_options_and_the_prompt(tmp_path: Path) -> None:
    photo = tmp_path / "mug.jpg"
    photo.write_bytes(b"bytes")
    command = await translate(
        f"/imagine a mug on marble --image {photo} --template marble --format square --n 2"
    )
    assert isinstance(command, Imagine)
    assert command.prompt == "a mug on marble"
    assert command.image is not None and command.image.data == b"bytes"
    assert (command.template, command.format, command.n) == ("marble", "square", 2)


async def test_options_may_use_an_equals_sign_and_quotes() -> None:
    command = await translate('/imagine "a red mug" --format=story --url=https://s.example/p')
    assert isinstance(command, Imagine)
    assert (command.prompt, command.format, command.url) == (
        "a red mug",
        "story",
        "https://s.example/p",
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/templates", ListTemplates()),
        ("/credits", ShowCredits()),
        ("/HELP", Help()),
        ("/cancel job_abc", Cancel("job_abc")),
        ("/history", History(page=1)),
        ("/history 3", History(page=3)),
        ("/History 12", History(page=12)),
        ("/forget img_abc", Forget("img_abc")),
    ],
)
async def test_simple_commands(line: str, expected: object) -> None:
    assert await translate(line) == expected


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("hello", "start with a slash"),
        ("/paint a mug", "don't know the command /paint"),
        ("/imagine --n two", "whole number"),
        ("/imagine --colour red", "no option --colour"),
        ("/imagine --template", "needs a value"),
        ('/imagine "unclosed', "couldn't read that command"),
        ("/cancel", "use /cancel JOB_ID"),
        ("/imagine --image /no/such/file.png", "couldn't read the file"),
        ("/history 0", "the page is a whole number from 1"),
        ("/history -1", "the page is a whole number from 1"),
        ("/history two", "the page is a whole number from 1"),
        ("/history 1.5", "the page is a whole number from 1"),
        ("/history ²", "the page is a whole number from 1"),
        ("/history 1 2", "use /history [PAGE]"),
        ("/history --page 2", "/history has no option --page"),
        ("/forget", "use /forget IMAGE_ID"),
        ("/forget img_1 img_2", "use /forget IMAGE_ID"),
        ("/credits please", "/credits has no subcommand please"),
        ("/templates please", "use /templates"),
        ("/templates marble", "use /templates"),
    ],
)
async def test_bad_lines_get_one_sentence(line: str, fragment: str) -> None:
    with pytest.raises(BadInput) as caught:
        await translate(line)
    assert fragment in caught.value.message
    assert caught.value.message.count("\n") == 0


@pytest.fixture
async def fifo(tmp_path: Path) -> AsyncIterator[Path]:
    path = tmp_path / "photo.jpg"
    os.mkfifo(path)
    yield path
    # Lets go of a reader left waiting for a writer, before the test's event loop closes.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
async def test_an_image_path_that_is_not_a_regular_file_is_refused_at_once(
    kind: str, fifo: Path, tmp_path: Path
) -> None:
    path = {"fifo": fifo, "directory": tmp_path, "device": Path("/dev/zero")}[kind]
    with pytest.raises(BadInput) as caught:
        await asyncio.wait_for(translate(f"/imagine --image {path}"), timeout=10)
    assert caught.value.message == messages.FILE_NOT_REGULAR.format(path=path)
