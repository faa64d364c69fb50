"""Terminal lines to core commands: shell-style words, ``--option value`` pairs."""

from __future__ import annotations

import asyncio
import os
import shlex
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.console.syntax import usage
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

#: Files are read up to one byte past the largest upload, so the decoder can refuse them.
MAX_FILE_BYTES = 20 * 1024 * 1024 + 1

# Details for ``messages.BAD_OPTIONS``: clauses, shown inside its sentence.
PAGE_NOT_A_NUMBER = "the page is a whole number from 1, like /history 2"
CAP_NOT_A_NUMBER = "the cap is a whole number of credits from 1, or off"
NOT_ON_OR_OFF = "{name} takes on or off, not {value}"
NO_SUCH_SUBCOMMAND = "{name} has no subcommand {word}; the subcommands are {choices}"

#: Lines whose last words are free text, where an apostrophe is a letter (O'Brien).
_FREE_TEXT = frozenset({"/privacy correct"})


@dataclass(frozen=True, slots=True)
class Words:
    """A parsed line: the command as typed (``/privacy export``), its ``--options`` and
    its other words."""

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


@dataclass(frozen=True, slots=True)
class Syntax:
    """One terminal command: the core command it makes, its ``--options``, its builder."""

    command: type[Command]
    build: Builder
    options: frozenset[str] = frozenset()


def _bad(detail: str) -> BadInput:
    return BadInput(messages.BAD_OPTIONS.format(detail=detail))


def _tokens(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        words = line.split()
        if " ".join(words[:2]).lower() in _FREE_TEXT:
            return words
        raise _bad(str(error).lower()) from None


def _phrase(tokens: list[str]) -> tuple[str, list[str]]:
    """The command typed (a subcommand is two words) and the words after it."""
    name = tokens[0].lower()
    if len(tokens) > 1 and f"{name} {tokens[1].lower()}" in COMMANDS:
        return f"{name} {tokens[1].lower()}", tokens[2:]
    if name not in COMMANDS:
        raise BadInput(messages.UNKNOWN_COMMAND.format(command=name))
    return name, tokens[1:]


def split(line: str) -> Words:
    name, args = _phrase(_tokens(line))
    allowed = COMMANDS[name].options
    options: dict[str, str] = {}
    rest: list[str] = []
    iterator = iter(args)
    for token in iterator:
        if not token.startswith("--") or len(token) == 2:
            rest.append(token)
            continue
        key, sep, value = token[2:].partition("=")
        if key not in allowed:
            raise _bad(f"{name} has no option --{key}")
        if not sep:
            value = next(iterator, "")
            if not value:
                raise _bad(f"--{key} needs a value")
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


def _wrong_words(words: Words) -> BadInput:
    """The usage of the command typed, or, for one with subcommands, their names."""
    subcommands = [
        phrase.removeprefix(f"{words.name} ")
        for phrase in COMMANDS
        if phrase.startswith(f"{words.name} ")
    ]
    if subcommands and words.rest:
        choices = ", ".join(subcommands[:-1]) + f" and {subcommands[-1]}"
        return _bad(NO_SUCH_SUBCOMMAND.format(name=words.name, word=words.rest[0], choices=choices))
    return _bad(f"use {usage(COMMANDS[words.name].command.name)}")


def _arguments(words: Words, count: int) -> list[str]:
    if len(words.rest) != count:
        raise _wrong_words(words)
    return words.rest


def _switch(words: Words, value: str) -> bool:
    switch = {"on": True, "off": False}.get(value.lower())
    if switch is None:
        raise _bad(NOT_ON_OR_OFF.format(name=words.name, value=value))
    return switch


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
        raise _bad("/describe takes --image or --url")
    image_path = words.options.get("image")
    return Describe(
        image=await uploads(image_path) if image_path else None,
        url=words.options.get("url"),
    )


async def _reroll(words: Words, uploads: UploadReader) -> Command:
    (image_id,) = _arguments(words, 1)
    return Reroll(image_id=image_id)


async def _reformat(words: Words, uploads: UploadReader) -> Command:
    image_id, fmt = _arguments(words, 2)
    return Reformat(image_id=image_id, format=fmt)


async def _cancel(words: Words, uploads: UploadReader) -> Command:
    (job_id,) = _arguments(words, 1)
    return Cancel(job_id=job_id)


async def _history(words: Words, uploads: UploadReader) -> Command:
    if not words.rest:
        return History()
    (page,) = _arguments(words, 1)
    if not (page.isascii() and page.isdigit()) or int(page) < 1:
        raise _bad(PAGE_NOT_A_NUMBER)
    return History(page=int(page))


async def _forget(words: Words, uploads: UploadReader) -> Command:
    (image_id,) = _arguments(words, 1)
    return Forget(image_id=image_id)


async def _consent(words: Words, uploads: UploadReader) -> Command:
    purpose, granted = _arguments(words, 2)
    return PrivacyConsent(purpose=purpose.lower(), granted=_switch(words, granted))


async def _correct(words: Words, uploads: UploadReader) -> Command:
    field, *value = words.rest or [""]
    if not field or not " ".join(value).strip():
        raise _wrong_words(words)
    return PrivacyCorrect(field=field.lower(), value=" ".join(value))


async def _restrict(words: Words, uploads: UploadReader) -> Command:
    (on,) = _arguments(words, 1)
    return PrivacyRestrict(on=_switch(words, on))


async def _delete_me(words: Words, uploads: UploadReader) -> Command:
    if not words.rest:
        return DeleteMe()
    confirm, code = _arguments(words, 2)
    if confirm.lower() != "confirm":
        raise _wrong_words(words)
    return DeleteMe(code=code)


async def _buy(words: Words, uploads: UploadReader) -> Command:
    if not words.rest:
        return Buy()
    if words.rest[0].lower() == "team":
        (_, item) = _arguments(words, 2)
        return Buy(item=item.lower(), team=True)
    (item,) = _arguments(words, 1)
    return Buy(item=item.lower())


async def _use(words: Words, uploads: UploadReader) -> Command:
    (source,) = _arguments(words, 1)
    return UseCredits(source=source.lower())


async def _share(words: Words, uploads: UploadReader) -> Command:
    (on,) = _arguments(words, 1)
    return ShareCredits(on=_switch(words, on))


async def _cap(words: Words, uploads: UploadReader) -> Command:
    (limit,) = _arguments(words, 1)
    if limit.lower() == "off":
        return CapCredits(limit=None)
    if not (limit.isascii() and limit.isdigit()) or int(limit) < 1:
        raise _bad(CAP_NOT_A_NUMBER)
    return CapCredits(limit=int(limit))


def _alone(command: Command) -> Builder:
    """The builder of a command typed without words."""

    async def build(words: Words, uploads: UploadReader) -> Command:
        _arguments(words, 0)
        return command

    return build


_MEDIA = frozenset({"image", "url"})

#: Every line the terminal reads, by the command as typed. A core name with a space is a
#: subcommand (``privacy export`` is typed ``/privacy export``); ``/privacy delete`` is
#: another way to type ``/delete-me``.
COMMANDS: dict[str, Syntax] = {
    "/imagine": Syntax(Imagine, _imagine, _MEDIA | {"template", "format", "n"}),
    "/describe": Syntax(Describe, _describe, _MEDIA),
    "/reroll": Syntax(Reroll, _reroll),
    "/reformat": Syntax(Reformat, _reformat),
    "/cancel": Syntax(Cancel, _cancel),
    "/templates": Syntax(ListTemplates, _alone(ListTemplates())),
    "/credits": Syntax(ShowCredits, _alone(ShowCredits())),
    "/help": Syntax(Help, _alone(Help())),
    "/history": Syntax(History, _history),
    "/forget": Syntax(Forget, _forget),
    "/privacy": Syntax(PrivacyInfo, _alone(PrivacyInfo())),
    "/privacy export": Syntax(PrivacyExport, _alone(PrivacyExport())),
    "/privacy consent": Syntax(PrivacyConsent, _consent),
    "/privacy correct": Syntax(PrivacyCorrect, _correct),
    "/privacy restrict": Syntax(PrivacyRestrict, _restrict),
    "/privacy object": Syntax(PrivacyObject, _alone(PrivacyObject())),
    "/privacy delete": Syntax(DeleteMe, _delete_me),
    "/delete-me": Syntax(DeleteMe, _delete_me),
    "/buy": Syntax(Buy, _buy),
    "/credits team": Syntax(TeamCredits, _alone(TeamCredits())),
    "/credits use": Syntax(UseCredits, _use),
    "/credits share": Syntax(ShareCredits, _share),
    "/credits cap": Syntax(CapCredits, _cap),
}


async def translate(line: str, uploads: UploadReader = read_upload) -> Command:
    """The command a line asks for; raises ``BadInput`` with one sentence. Slack and
    Discord accept the same lines (``/aioe imagine …``), with their own ``uploads``."""
    line = line.strip()
    if not line.startswith("/"):
        raise BadInput(messages.NOT_A_COMMAND)
    words = split(line)
    return await COMMANDS[words.name].build(words, uploads)
