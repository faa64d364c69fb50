"""The privacy summary as Slack shows it: private, headed, and never cut short."""

from __future__ import annotations

import re

from adapters.slack.blocks import escape
from adapters.slack.render import SlackMessage, render
from core.replies import Document, Section
from tests.adapters.replies import CODEC
from tests.adapters.slack.blockkit import assert_slack_accepts, parts, texts
from tests.adapters.slack.samples import PRIVACY


def words(text: str) -> list[str]:
    return text.split()


def shown_words(message: SlackMessage) -> list[str]:
    """Every word the sections of a reply's messages show, in order, headings unbolded."""
    return words(re.sub(r"\*([^*\n]+)\*", r"\1", "\n".join(texts(p) for p in parts(message))))


def written_words(document: Document) -> list[str]:
    return words(" ".join(f"{s.heading} {escape(s.body)}" for s in document.sections))


def test_the_summary_is_one_private_message_headed_by_its_title() -> None:
    message = render(PRIVACY, CODEC)
    assert_slack_accepts(message)
    assert message.ephemeral and message.continued == ()
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Your data and your rights"},
    }
    assert message.text.startswith("Your data and your rights")


def test_every_word_of_every_section_is_shown_in_order() -> None:
    assert shown_words(render(PRIVACY, CODEC)) == written_words(PRIVACY)


def test_a_body_longer_than_a_section_continues_in_the_next_between_paragraphs() -> None:
    message = render(PRIVACY, CODEC)
    bodies = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    long_ones = [text for text in bodies if "your ledger" in text]
    assert len(long_ones) >= 2 and all(len(text) <= 3000 for text in long_ones)
    assert long_ones[0].startswith("*How long*\n")
    assert not long_ones[1].startswith("*")  # the heading is not repeated
    assert all(text.rstrip().endswith("a month.") for text in long_ones)  # at a paragraph


def test_a_word_longer_than_a_section_is_split_without_breaking_an_escape() -> None:
    body = "&" * 1000  # 5,000 characters escaped
    message = render(Document("Odd", (Section("One word", body),)), CODEC)
    assert_slack_accepts(message)
    sections = texts(message).removeprefix("*One word*\n").split("\n")
    assert len(sections) == 2 and "".join(sections) == escape(body)


def test_a_summary_longer_than_one_message_continues_in_further_private_messages() -> None:
    long = Document(
        "Everything", tuple(Section(f"Part {n}", f"Sentence {n}. " * 250) for n in range(20))
    )
    message = render(long, CODEC)
    assert_slack_accepts(message)
    assert len(message.continued) >= 2
    assert all(part.ephemeral for part in message.continued)
    assert message.continued[0].text == "Everything (continued)"
    assert shown_words(message) == written_words(long)
    assert sum(block["type"] == "header" for p in parts(message) for block in p.blocks) == 1


def test_mrkdwn_control_characters_in_the_summary_are_escaped() -> None:
    shown = texts(render(PRIVACY, CODEC))
    assert "&lt;you&gt;" in shown and "<you>" not in shown
    assert "names &amp; no others" in shown


def test_a_title_too_long_for_a_header_becomes_a_bold_section() -> None:
    message = render(Document("T" * 200, (Section("A", "b"),)), CODEC)
    assert_slack_accepts(message)
    assert message.blocks[0]["type"] == "section"
    assert message.blocks[0]["text"]["text"] == f"*{'T' * 200}*"
