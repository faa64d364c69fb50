"""Prices, text and URLs cleaned the way product pages need."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.fetch.facts import absolute_url, clean_text, format_price, parse_amount


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("24.90", "EUR", "24.90"),
        ("24.9", "EUR", "24.90"),
        (24.9, "EUR", "24.90"),
        (18, "EUR", "18.00"),
        ("24,90", "EUR", "24.90"),
        ("€ 1.299,00", "EUR", "1299.00"),
        ("$1,299.00", "USD", "1299.00"),
        ("1,299", "USD", "1299.00"),
        ("4800", "JPY", "4800"),
        ("4800.4", "JPY", "4800"),
        ("12.345", "KWD", "12.345"),
        ("0.005", "USD", "0.01"),
    ],
)
def test_prices_are_shown_with_the_currencys_decimals(
    value: object, currency: str, shown: str
) -> None:
    assert format_price(parse_amount(value), currency) == shown


@pytest.mark.parametrize("value", ["", "free", "0", "0.00", "-5", None, True, "NaN", "inf", []])
def test_missing_zero_or_nonsense_prices_are_no_price(value: object) -> None:
    assert parse_amount(value) is None
    assert format_price(None, "EUR") == ""


def test_text_loses_tags_entities_and_extra_space() -> None:
    raw = "<p>Glazed <b>stone</b>ware &amp; oak.</p><script>x()</script><ul><li>350 ml</li></ul>"
    assert clean_text(raw) == "Glazed stoneware & oak. 350 ml"
    assert clean_text("Sizes 3 < 5 > 4") == "Sizes 3 < 5 > 4"
    assert clean_text({"not": "text"}) == ""


def test_long_text_is_cut_at_a_word() -> None:
    assert clean_text("one two three four", limit=12) == "one two…"


def test_an_unclosed_script_or_style_hides_the_rest_as_a_browser_would() -> None:
    assert clean_text("Mug <script>var a = '<b>x</b>';") == "Mug"
    assert clean_text("Mug <STYLE>p { color: red }</style > 350 ml") == "Mug 350 ml"


def test_a_tag_split_by_a_stray_angle_bracket_loses_only_its_tail() -> None:
    assert clean_text("Oak <a<b>board</b>") == "Oak <aboard"
    assert clean_text("<p class='x'<i>Oak</i> board") == "<p class='x'Oak board"


def test_only_the_start_of_a_huge_value_is_read_and_no_half_tag_shows() -> None:
    markup = "x" * 19_990 + "<span class='price'>12</span>"
    assert clean_text(markup) == "x" * 19_990
    long = clean_text("word " * 100_000, limit=8000)  # a large limit reads more
    assert 7990 < len(long) <= 8000 and long.endswith("word…")


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("img/a.jpg", "https://shop.example/p/img/a.jpg"),
        ("/img/a.jpg", "https://shop.example/img/a.jpg"),
        ("//cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        ("http://other.example/a.jpg", "http://other.example/a.jpg"),
        (" /img/a.jpg?w=1&amp;h=2 ", "https://shop.example/img/a.jpg?w=1&h=2"),
        ("data:image/png;base64,AAAA", ""),
        ("javascript:alert(1)", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_urls_are_made_absolute_and_only_web_urls_kept(value: object, url: str) -> None:
    assert absolute_url(value, "https://shop.example/p/mug") == url


def test_amounts_keep_their_exact_value() -> None:
    assert parse_amount("19.999") == Decimal("19.999")


def test_an_absurd_price_is_ignored_rather_than_rounded() -> None:
    from adapters.fetch.facts import format_price, parse_amount

    assert parse_amount(1e100) is None
    assert parse_amount(10**15) is None
    assert parse_amount("9" * 40) is None
    assert format_price(parse_amount("24.9"), "EUR") == "24.90"
