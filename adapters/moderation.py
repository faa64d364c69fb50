"""Offline prompt checks before anything is spent: a configurable word list."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core import messages
from core.errors import ContentRejected


class BlockListModerator:
    """Refuses prompts containing any configured word (whole words, any case); no network."""

    def __init__(self, words: Iterable[str]) -> None:
        terms = sorted({word.strip() for word in words if word.strip()}, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(term) for term in terms) + r")(?!\w)",
                re.IGNORECASE,
            )
            if terms
            else None
        )

    async def check(self, text: str) -> None:
        if self._pattern is not None and self._pattern.search(text):
            raise ContentRejected(messages.PROMPT_HAS_BLOCKED_WORD)
