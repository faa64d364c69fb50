"""Block Kit within Slack's limits: text in pieces, and blocks in messages that fit."""

from __future__ import annotations

from adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_TEXT,
    clip,
    fit,
    pages,
    pieces,
    section,
    text_size,
)


def test_short_text_is_one_piece() -> None:
    assert pieces("a b\n\nc", 10) == ["a b\n\nc"]


def test_text_is_broken_between_paragraphs_then_lines_then_words() -> None:
    assert pieces("aaaa bbbb\n\ncccc", 12) == ["aaaa bbbb", "cccc"]
    assert pieces("aaaa\nbbbb cccc", 12) == ["aaaa", "bbbb cccc"]
    assert pieces("aaaa bbbb cccc", 12) == ["aaaa bbbb", "cccc"]


def test_every_piece_fits_and_together_they_hold_every_character() -> None:
    text = " ".join(f"word{n}" + "\n" * (n % 3) for n in range(2000))
    split = pieces(text, 3000)
    assert all(len(piece) <= 3000 for piece in split)
    assert "".join("".join(split).split()) == "".join(text.split())


def test_a_word_too_long_is_broken_before_an_entity_not_inside_it() -> None:
    assert pieces("xx&amp;yy", 6) == ["xx", "&amp;y", "y"]
    assert pieces("abcdefgh", 3) == ["abc", "def", "gh"]


def test_clipping_never_splits_an_entity() -> None:
    assert clip("ab&amp;cd", 5) == "ab…"


def test_text_size_counts_every_text_of_a_block_and_its_children() -> None:
    assert text_size([section("12345"), {"type": "context", "elements": [{"text": "123"}]}]) == 8


def test_fit_keeps_groups_whole_and_counts_the_ones_left_off() -> None:
    groups = [([section("x" * 2000)], 3) for _ in range(8)]
    blocks = fit([], groups, [])
    assert text_size(blocks) <= MAX_MESSAGE_TEXT
    kept = len(blocks) - 1
    assert blocks[-1]["elements"][0]["text"] == f"…and {3 * (8 - kept)} more not shown here."


def test_pages_hold_every_block_in_order_within_slacks_limits() -> None:
    blocks = [section(f"{n} " + "y" * 1500) for n in range(60)]
    head, tail = [section("head")], [section("tail")]
    filled = pages(head, [([b], 1) for b in blocks], tail)
    assert [b for page in filled for b in page] == [*head, *blocks, *tail]
    assert all(len(p) <= MAX_BLOCKS and text_size(p) <= MAX_MESSAGE_TEXT for p in filled)


def test_a_group_moves_whole_to_the_next_page_where_it_fits_there() -> None:
    first = [section("a" * 2900), section("d" * 2900)]
    pair = [section("b" * 2500), section("c" * 2500)]
    assert pages([], [(first, 1), (pair, 1)], []) == [first, pair]
