"""JSON-LD blocks as real pages write them, read leniently."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.fetch.jsonld import load_block, nodes_of_type
from adapters.fetch.schema import PRODUCT_TYPES

PRODUCT = {"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"}


@pytest.mark.parametrize(
    "text",
    [
        '{"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"}',
        '{"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"};',
        '{"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"} ; ;',
        '{"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b",}',
        '{"@type": "Product",\n "name": "Mug", // the name\n "url": "https://shop.example/a//b"}',
        '/* data */ {"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"}',
        '<!-- {"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"} -->',
        '//<![CDATA[\n{"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"}\n//]]>',
        "{&quot;@type&quot;: &quot;Product&quot;, &quot;name&quot;: &quot;Mug&quot;, "
        "&quot;url&quot;: &quot;https://shop.example/a//b&quot;}",
        '{"@type": "Product", "name": "Mug", "url": "https://shop.example/a//b"}\n'
        '{"@type": "Thing"}',
    ],
)
def test_common_breakage_is_repaired(text: str) -> None:
    assert load_block(text) == PRODUCT


def test_commas_and_comment_marks_inside_strings_are_kept() -> None:
    text = '{"name": "a, }", "note": "/* not a comment */", "list": [1, 2,],}'
    assert load_block(text) == {"name": "a, }", "note": "/* not a comment */", "list": [1, 2]}


def test_raw_newlines_inside_strings_are_accepted() -> None:
    assert load_block('{"description": "line one\nline two"}') == {
        "description": "line one\nline two"
    }


@pytest.mark.parametrize("text", ["", "   ", '{"name": "Mug" "price": 1}', "{{{", "Product"])
def test_a_hopeless_block_reads_as_nothing(text: str) -> None:
    assert load_block(text) is None


def test_products_are_found_in_graphs_lists_and_nesting_outermost_first() -> None:
    data: list[Any] = [
        {"@type": "Organization", "name": "Shop"},
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "mainEntity": {"@type": "schema:Product", "name": "A"}},
                {
                    "@type": ["Thing", "ProductGroup"],
                    "name": "B",
                    "hasVariant": [{"@type": "Product", "name": "B1"}],
                },
                {"@type": "http://schema.org/Product", "name": "C"},
            ],
        },
    ]
    names = [node["name"] for node in nodes_of_type(data, PRODUCT_TYPES)]
    assert names == ["A", "B", "C"]


def test_a_deeply_nested_block_reads_as_nothing_instead_of_crashing() -> None:
    assert load_block("[" * 100_000 + "]" * 100_000 + ";") is None


def test_a_large_broken_block_is_repaired_in_linear_time() -> None:
    text = '{"@type": "Product", "name": "Mug", "sizes": [' + "1, " * 300_000 + "]};"
    data = load_block(text)
    assert isinstance(data, dict)
    assert (data["name"], len(data["sizes"])) == ("Mug", 300_000)


def test_a_comment_holding_a_quote_does_not_hide_what_follows() -> None:
    text = '{"name": "Mug", // it\'s "the" mug\n "price": 12,}'
    assert load_block(text) == {"name": "Mug", "price": 12}


def test_a_comma_before_a_comment_and_a_bracket_is_dropped() -> None:
    assert load_block('{"sizes": [1, 2, /* more soon */ ]}') == {"sizes": [1, 2]}


def test_a_block_with_escaped_quotes_keeps_its_other_entities_for_later() -> None:
    text = "{&quot;name&quot;: &quot;Mug &amp;amp; Saucer&quot;, &quot;n&quot;: 1}"
    assert load_block(text) == {"name": "Mug &amp; Saucer", "n": 1}


def test_valid_json_of_any_size_is_read_but_a_broken_one_over_a_megabyte_is_not() -> None:
    values = list(range(200_000))
    body = '{"@type": "Product", "name": "Mug", "sizes": ' + str(values) + "}"
    assert len(body) > 1024 * 1024
    assert load_block(body) == {"@type": "Product", "name": "Mug", "sizes": values}
    assert load_block(body[:-1] + ",}") is None
