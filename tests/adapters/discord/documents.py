"""Documents for the Discord tests: text longer than one message."""

from __future__ import annotations

from core.replies import Document, Section


def paragraph(number: int, words: int) -> str:
    return " ".join(f"word{number}-{n}" for n in range(words)) + "."


def long_section(number: int) -> Section:
    """A section of one to three paragraphs, longer the higher its number."""
    paragraphs = (paragraph(number * 100 + p, 20 + 12 * number) for p in range(number % 3 + 1))
    return Section(f"{number}. Section heading {number}", "\n\n".join(paragraphs))


#: A privacy summary far longer than one message (about 32,000 characters): sections of
#: every size, the last one longer than a message on its own and broken into lines only.
LONG_DOCUMENT = Document(
    title="What AIOE stores about you, and your rights",
    sections=(
        *(long_section(number) for number in range(12)),
        Section("Everything else", "\n".join(paragraph(9000 + n, 60) for n in range(10))),
    ),
)
