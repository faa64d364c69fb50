"""Slack slash commands and mentions to core commands: the terminal's syntax, Slack's files."""

from __future__ import annotations

import re

from adapters.console.translate import translate
from core.commands import Command, ImageUpload
from core.errors import BadInput

ATTACH_INSTEAD = (
    "In Slack, attach the photo to a message that mentions me, or use /imagine with no "
    "text to get a form with a file field."
)
#: The umbrella command: ``/aioe <anything the terminal accepts>``.
UMBRELLA = "/aioe"
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


async def _no_paths(path: str) -> ImageUpload:
    raise BadInput(ATTACH_INSTEAD)


def line_of(command: str, text: str) -> str:
    """The terminal line a slash command stands for: ``/aioe imagine x`` and
    ``/imagine x`` are both ``/imagine x``."""
    text = text.strip()
    if command != UMBRELLA:
        return f"{command} {text}".strip()
    if not text:
        return "/help"
    return text if text.startswith("/") else f"/{text}"


async def command_of(command: str, text: str) -> Command:
    """The core command of a slash command; raises ``BadInput`` with one sentence."""
    return await translate(line_of(command, text), _no_paths)


def mention_text(text: str) -> str:
    """A message's text as the person typed it, without mentions: Slack writes links
    as ``<https://…|label>`` and escapes ``&``, ``<`` and ``>`` in message text."""
    text = _LINK.sub(lambda match: match.group(1), _MENTION.sub(" ", text))
    for entity, character in _ENTITIES:
        text = text.replace(entity, character)
    return " ".join(text.split())
