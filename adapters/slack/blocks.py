"""Block Kit within Slack's limits: sections, headers, escaping, and messages that fit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from adapters.slack.texts import MORE_NOT_SHOWN

# --- Slack's documented limits ------------------------------------------------------
MAX_BLOCKS = 50
MAX_TEXT = 3000  # a section's text, and what we allow the notification fallback
MAX_HEADER = 150
MAX_ELEMENTS = 25  # in one actions block
MAX_BUTTON_TEXT = 75
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_DIALOG_BUTTON = 30  # the confirm and deny buttons of a confirmation dialog
#: All the text of one message's blocks. Not documented: chat.postMessage refuses blocks
#: holding much more than about 12,000 characters in all (``msg_blocks_too_long``).
MAX_MESSAGE_TEXT = 10_000

Block = dict[str, Any]
#: Blocks that are kept or left off together, and how many items they show.
Group = tuple[list[Block], int]


def section(mrkdwn: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=clip(mrkdwn, MAX_TEXT))).to_dict()


def context(mrkdwn: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(mrkdwn, MAX_TEXT))]).to_dict()


def header(plain: str) -> Block:
    """A title in large type; one too long for a header becomes a bold section."""
    if len(plain) > MAX_HEADER:
        return section(f"*{escape(plain)}*")
    return HeaderBlock(text=PlainTextObject(text=plain)).to_dict()


def sections(mrkdwn: str) -> list[Block]:
    """Escaped text as many sections as it needs, none of it cut (see ``pieces``)."""
    return [section(piece) for piece in pieces(mrkdwn, MAX_TEXT)]


def escape(text: str) -> str:
    """Slack's three control characters, as its formatting rules ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """``<url|label>``; characters that would end the link early are percent-encoded."""
    safe = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{escape(label)}>"


def clip(escaped: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters with an ellipsis, never inside an entity."""
    if len(escaped) <= limit:
        return escaped
    cut_at = _entity_safe(escaped, limit - 1)
    return escaped[:cut_at] + "…"


def cut(plain: str, limit: int) -> str:
    """Plain text (a button, a placeholder, an option) cut to ``limit`` characters."""
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def pieces(escaped: str, limit: int) -> list[str]:
    """Escaped text in pieces of at most ``limit`` characters that together hold all of
    it: broken between paragraphs where possible, else between lines, else between
    words; only a word longer than ``limit`` is broken inside (never inside an entity).
    The whitespace a piece is broken at is not repeated."""
    parts: list[str] = []
    rest = escaped
    while len(rest) > limit:
        window = rest[: limit + 1]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > 0:
                parts.append(rest[:at])
                rest = rest[at + len(separator) :]
                break
        else:
            at = _entity_safe(rest, limit) or limit
            parts.append(rest[:at])
            rest = rest[at:]
    parts.append(rest)
    return parts


def text_size(value: Any) -> int:
    """How many characters of text a block (or a list of them) holds in all."""
    if isinstance(value, Mapping):
        own = len(value["text"]) if isinstance(value.get("text"), str) else 0
        return own + sum(text_size(v) for v in value.values() if not isinstance(v, str))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return sum(text_size(item) for item in value)
    return 0


# --- messages that fit ---------------------------------------------------------------
def fit(head: list[Block], groups: Sequence[Group], tail: list[Block]) -> list[Block]:
    """One message's blocks within Slack's limits (``MAX_BLOCKS``, ``MAX_MESSAGE_TEXT``):
    whole groups in order, and a note for the ones left off."""
    blocks_left = MAX_BLOCKS - len(head) - len(tail)
    text_left = MAX_MESSAGE_TEXT - text_size(head) - text_size(tail)
    every = [b for blocks, _ in groups for b in blocks]
    if len(every) <= blocks_left and text_size(every) <= text_left:
        return [*head, *every, *tail]
    kept: list[Block] = []
    kept_size = 0
    left_off = 0
    note_room = len(MORE_NOT_SHOWN) + 20
    for blocks, count in groups:
        size = text_size(blocks)
        too_many = len(kept) + len(blocks) > blocks_left - 1
        if left_off or too_many or kept_size + size > text_left - note_room:
            left_off += count
        else:
            kept.extend(blocks)
            kept_size += size
    return [*head, *kept, context(MORE_NOT_SHOWN.format(count=left_off)), *tail]


def pages(head: list[Block], groups: Sequence[Group], tail: list[Block]) -> list[list[Block]]:
    """All the blocks, in as many messages as Slack's limits need: ``head`` opens the
    first, ``tail`` closes the last, and a group moves whole to the next message where
    it fits there whole."""
    filled: list[list[Block]] = [[]]

    def room(page: list[Block], blocks: list[Block]) -> bool:
        return (
            len(page) + len(blocks) <= MAX_BLOCKS
            and text_size(page) + text_size(blocks) <= MAX_MESSAGE_TEXT
        )

    def add(blocks: list[Block]) -> None:
        if not room(filled[-1], blocks) and room([], blocks) and filled[-1]:
            filled.append([])
        for block in blocks:
            if not room(filled[-1], [block]) and filled[-1]:
                filled.append([])
            filled[-1].append(block)

    add(head)
    for blocks, _ in groups:
        add(blocks)
    add(tail)
    return filled


def _entity_safe(escaped: str, at: int) -> int:
    """``at``, moved back to before an ``&…;`` entity it would split."""
    amp = escaped.rfind("&", max(0, at - 4), at)
    if amp != -1 and ";" not in escaped[amp:at]:
        return amp
    return at
