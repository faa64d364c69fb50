"""Terminal lines to core commands: shell-style words, ``--option value`` pairs."""

from __future__ import annotations

import asyncio
import os
import shlex
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from core import messages
from core.commands import (
    Cancel,
    Command,
    Describe,
    Help,
    ImageUpload,
    Imagine,
    ListTemplates,
    Reformat,
    Reroll,
    ShowCredits,
)
from core.errors import BadInput

#: Files are read up to one byte past the largest upload, so the decoder can refuse them.
MAX_FILE_BYTES = 20 * 1024 * 1024 + 1


@dataclass(frozen=True, slots=True)
class Words:
    """A parsed line: the command name, its ``--options`` and its other words."""

    name: str
    options: dict[str, str]
    rest: list[str]

    def integer(self, option: str, default: int) -> int:
        value = self.options.get(option)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise BadInput(
                messages.BAD_OPTIONS.format(detail=f"--{option} takes a whole number")
            ) from None


#: Reads what ``--image`` names: a file in the terminal; other platforms refuse it.
UploadReader = Callable[[str], Awaitable[ImageUpload]]
Builder = Callable[[Words, UploadReader], Awaitable[Command]]


def split(line: str, allowed: dict[str, frozenset[str]]) -> Words:
    try:
        tokens = shlex.split(line)
    except ValueError as error:
        raise BadInput(messages.BAD_OPTIONS.format(detail=str(error).lower())) from None
    name, *args = tokens
    name = name.lower()
    if name not in allowed:
        raise BadInput(messages.UNKNOWN_COMMAND.format(command=name))
    options: dict[str, str] = {}
    rest: list[str] = []
    iterator = iter(args)
    for token in iterator:
        if not token.startswith("--") or len(token) == 2:
            rest.append(token)
            continue
        key, sep, value = token[2:].partition("=")
        if key not in allowed[name]:
            raise BadInput(messages.BAD_OPTIONS.format(detail=f"{name} has no option --{key}"))
        if not sep:
            value = next(iterator, "")
            if not value:
                raise BadInput(messages.BAD_OPTIONS.format(detail=f"--{key} needs a value"))
        options[key] = value
    return Words(name, options, rest)


async def read_upload(path: str) -> ImageUpload:
    """The file at ``path``, if it is a regular file: a FIFO, a device or a directory is
    refused before anything is read (opening a FIFO does not wait for a writer)."""

    def read() -> bytes | None:
        fd = os.open(Path(path).expanduser(), os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            with open(fd, "rb", closefd=False) as handle:
                return handle.read(MAX_FILE_BYTES)
        finally:
            os.close(fd)

    try:
        data = await asyncio.to_thread(read)
    except OSError:
        raise BadInput(messages.FILE_NOT_READABLE.format(path=path)) from None
    if data is None:
        raise BadInput(messages.FILE_NOT_REGULAR.format(path=path))
    return ImageUpload(data=data, filename=Path(path).name)


async def _imagine(words: Words, uploads: UploadReader) -> Command:
    image_path = words.options.get("image")
    return Imagine(
        prompt=" ".join(words.rest),
        image=await uploads(image_path) if image_path else None,
        url=words.options.get("url"),
        template=words.options.get("template"),
        format=words.options.get("format"),
        n=words.integer("n", 1),
    )


async def _describe(words: Words, uploads: UploadReader) -> Command:
    if words.rest:
        raise BadInput(messages.BAD_OPTIONS.format(detail="/describe takes --image or --url"))
    image_path = words.options.get("image")
    return Describe(
        image=await uploads(image_path) if image_path else None,
        url=words.options.get("url"),
    )


def _arguments(words: Words, count: int, usage: str) -> list[str]:
    if len(words.rest) != count:
        raise BadInput(messages.BAD_OPTIONS.format(detail=f"use {usage}"))
    return words.rest


async def _reroll(words: Words, uploads: UploadReader) -> Command:
    (image_id,) = _arguments(words, 1, "/reroll IMAGE_ID")
    return Reroll(image_id=image_id)


async def _reformat(words: Words, uploads: UploadReader) -> Command:
    image_id, fmt = _arguments(words, 2, "/reformat IMAGE_ID FORMAT")
    return Reformat(image_id=image_id, format=fmt)


async def _cancel(words: Words, uploads: UploadReader) -> Command:
    (job_id,) = _arguments(words, 1, "/cancel JOB_ID")
    return Cancel(job_id=job_id)


async def _constant(command: Command) -> Command:
    return command


COMMANDS: dict[str, tuple[frozenset[str], Builder]] = {
    "/imagine": (frozenset({"image", "url", "template", "format", "n"}), _imagine),
    "/describe": (frozenset({"image", "url"}), _describe),
    "/reroll": (frozenset(), _reroll),
    "/reformat": (frozenset(), _reformat),
    "/cancel": (frozenset(), _cancel),
    "/templates": (frozenset(), lambda _, __: _constant(ListTemplates())),
    "/credits": (frozenset(), lambda _, __: _constant(ShowCredits())),
    "/help": (frozenset(), lambda _, __: _constant(Help())),
}


async def translate(line: str, uploads: UploadReader = read_upload) -> Command:
    """The command a line asks for; raises ``BadInput`` with one sentence. Slack and
    Discord accept the same lines (``/aioe imagine …``), with their own ``uploads``."""
    line = line.strip()
    if not line.startswith("/"):
        raise BadInput(messages.NOT_A_COMMAND)
    words = split(line, {name: options for name, (options, _) in COMMANDS.items()})
    return await COMMANDS[words.name][1](words, uploads)
