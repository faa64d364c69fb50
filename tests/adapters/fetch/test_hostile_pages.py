"""Pages built to make the parsers backtrack: each is read in bounded time.

A slow regex holds the GIL, so running the parser in a thread does not keep the event
loop alive. These are CPU-bound tests with a generous bound (each takes a fraction of
it here; before, most of these pages took hours), not waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from adapters.fetch.facts import clean_text
from adapters.fetch.jsonld import load_block
from adapters.fetch.page import PageReading, read_page
from adapters.fetch.shopify import shop_currency
from core.ports import Fetched

MB = 1024 * 1024
PAGE = 2 * MB - 4096  # just under the fetcher's page limit
BOUND = 1.5  # seconds of this process's CPU: a super-linear parse takes far longer


def timed(work: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """CPU seconds the work took, whatever else the machine is doing meanwhile."""
    start = time.process_time()
    result = work(*args)
    return result, time.process_time() - start


def page(html: str) -> Fetched:
    body = html.encode()
    assert len(body) <= 2 * MB
    return Fetched(
        url="https://shop.example/products/mug",
        content_type="text/html; charset=utf-8",
        body=body,
    )


def ld(block: str) -> str:
    return f'<script type="application/ld+json">{block}</script>'


def repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit))


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """The first page imports the microdata reader; keep that out of the timings."""
    read_page(page("<html><head><title>warm</title></head></html>"))


HALF = MB - 1024  # one JSON-LD block small enough to get the lenient clean-up
HOSTILE_PAGES = {
    "a string of escaped quotes that never ends": ld('{"name": "' + repeat('\\"', PAGE)),
    "two such strings, each cleaned leniently": ld('"' + repeat('\\"', HALF))
    + ld('"' + repeat('\\"', HALF)),
    "strings ending in a backslash": ld(repeat('"x\\', HALF)) + ld(repeat('"x\\', HALF)),
    "a block of empty strings": ld(repeat('"', HALF)) + ld("&quot;" + repeat('"', HALF)),
    "a block of trailing commas": ld(repeat(",]", HALF)) + ld(repeat(", }", HALF)),
    "a block of comments": ld(repeat("/**/", HALF)) + ld(repeat("//\n", HALF)),
    "many small broken blocks": repeat(ld('&quot;"a",/**/,]'), PAGE),
    "Shopify currency openings": "<script>" + repeat("Shopify.currency={", PAGE) + "</script>",
    "Shopify currency openings with a long gap": "<script>"
    + repeat("Shopify.currency={" + "x" * 1990, PAGE)
    + "</script>",
    "a description of unclosed tags": '<meta name="description" content="'
    + repeat("<a", PAGE)
    + '">',
    "a title of unclosed scripts": "<title>" + repeat("&lt;script", PAGE) + "</title>",
    "a product name of unclosed block tags": ld(
        '{"@type": "Product", "name": "' + repeat("<p", PAGE - 100) + '"}'
    ),
    "a body of unclosed tags": "<body>" + repeat("<a", PAGE),
}


@pytest.mark.parametrize("html", HOSTILE_PAGES.values(), ids=HOSTILE_PAGES.keys())
def test_a_hostile_two_megabyte_page_is_read_quickly(html: str) -> None:
    reading, took = timed(read_page, page(f"<html><head>{html}</head></html>"))
    assert isinstance(reading, PageReading)
    assert took < BOUND


@pytest.mark.parametrize(
    "block",
    [
        '"' + repeat('\\"', HALF),
        '{"a": "' + repeat('"x\\', HALF),
        repeat('"', HALF),
        repeat(",]", HALF),
        repeat("/**/", HALF),
        repeat("&quot;,", HALF),
    ],
    ids=["escaped quotes", "backslash ends", "empty strings", "commas", "comments", "entities"],
)
def test_a_hostile_block_just_under_the_lenient_limit_is_given_up_on_quickly(block: str) -> None:
    data, took = timed(load_block, block)
    assert data is None or isinstance(data, str | list)
    assert took < BOUND


def test_a_large_block_that_only_needs_a_comma_dropped_is_still_repaired() -> None:
    block = '{"@type": "Product", "name": "Mug", "tags": [' + repeat('"a", ', HALF - 64) + "]}"
    data, took = timed(load_block, block)
    assert data["name"] == "Mug" and len(data["tags"]) > 100_000
    assert took < BOUND


def test_the_currency_after_two_megabytes_of_openings_is_found_quickly() -> None:
    html = repeat("Shopify.currency={", PAGE) + 'Shopify.currency = {"active":"EUR","rate":"1.0"};'
    currency, took = timed(shop_currency, html)
    assert currency == "EUR"
    assert took < BOUND


@pytest.mark.parametrize(
    "unit", ["<a", "<p", "<p x", "<script", "<style", "<script></script  ", "</script  "]
)
def test_two_megabytes_of_unclosed_markup_are_cleaned_quickly(unit: str) -> None:
    # A limit this large reads the whole value, so the patterns themselves are timed.
    text, took = timed(clean_text, repeat(unit, PAGE), PAGE)
    assert isinstance(text, str)
    assert took < BOUND


def test_a_huge_value_is_cut_before_it_is_cleaned() -> None:
    text, took = timed(clean_text, repeat("<b>word</b> ", PAGE))
    assert took < 0.1
    assert 1000 < len(text) < 20_000
