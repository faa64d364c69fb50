"""Lenient reading of JSON-LD blocks as sites really write them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_WRAPPERS = (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>"))
_MAX_DEPTH = 12
_DECODER = json.JSONDecoder(strict=False)
_LENIENT_LIMIT = 1024 * 1024
# Every pattern here is linear: a backtracking one would hold the GIL, and so stall the
# event loop from whatever thread it runs in. A string is matched possessively and, when
# unterminated, runs to the end. A clean-up pass matches the run to keep (group 1) and
# then one thing to drop, or the end; the run always stops where a thing to drop starts,
# so every match succeeds and the regex engine never rescans.
_STRING = r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)'
_COMMENTS = re.compile(
    "((?:" + _STRING + r'|[^"/]++|/(?![/*]))*+)'
    r"(?://[^\n]*+|/\*(?:[^*]++|\*(?!/))*+(?:\*/)?|\Z)",
    re.DOTALL,
)
_TRAILING_COMMAS = re.compile(
    "((?:" + _STRING + r'|[^",]++|,(?!\s*+(?:[}\]]|\Z)))*+)(?:,\s*+(?=[}\]]|\Z)|\Z)',
    re.DOTALL,
)
# What an HTML-escaped block needs to become JSON again; entities inside values are left
# for ``clean_text`` (``html.unescape`` makes a Python call per "&", too slow for a block).
_ENTITIES = (
    ("&quot;", '"'),
    ("&#34;", '"'),
    ("&#x22;", '"'),
    ("&apos;", "'"),
    ("&#39;", "'"),
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&amp;", "&"),
)


def load_block(text: str) -> Any | None:
    """Parse one ``<script type="application/ld+json">`` body, or ``None`` if hopeless.

    Strict JSON first; then, for blocks up to 1 MB, a clean-up of what breaks real pages
    (comments, trailing commas and semicolons, HTML comment or CDATA wrappers, quotes
    written as HTML entities); finally the first complete value, ignoring whatever follows it.
    """
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):
        if len(text) > _LENIENT_LIMIT:
            return None
    cleaned = _clean(text)
    unescaped = _unescape(text)
    escaped_quotes = unescaped.count('"') > text.count('"')
    candidates = (cleaned, _clean(unescaped)) if escaped_quotes else (cleaned,)
    for candidate in candidates:
        try:
            return _DECODER.decode(candidate)
        except (ValueError, RecursionError):
            continue
    try:
        value, _ = _DECODER.raw_decode(cleaned)
    except (ValueError, RecursionError):
        return None
    return value


def nodes_of_type(data: Any, wanted: frozenset[str]) -> Iterator[dict[str, Any]]:
    """Objects whose ``@type`` (string or list, any prefix) is in ``wanted``, outermost
    first; ``@graph`` and any nesting are walked, but not the inside of a match."""
    yield from _walk(data, wanted, 0)


def _walk(data: Any, wanted: frozenset[str], depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, wanted, depth + 1)
    elif isinstance(data, dict):
        if type_names(data) & wanted:
            yield data
            return
        for value in data.values():
            yield from _walk(value, wanted, depth + 1)


def type_names(node: dict[str, Any]) -> frozenset[str]:
    """Short type names: "Product" for "Product", "schema:Product", "https://schema.org/Product"."""
    raw = node.get("@type", ())
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return frozenset(
        name.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        for name in names
        if isinstance(name, str)
    )


def index_ids(
    data: Any, found: dict[str, dict[str, Any]] | None = None, depth: int = 0
) -> dict[str, dict[str, Any]]:
    """Every object with an ``@id`` and content, by id, so references can be followed."""
    found = {} if found is None else found
    if depth > _MAX_DEPTH:
        return found
    if isinstance(data, list):
        for item in data:
            index_ids(item, found, depth + 1)
    elif isinstance(data, dict):
        node_id = data.get("@id")
        if isinstance(node_id, str) and len(data) > 1:
            found.setdefault(node_id, data)
        for value in data.values():
            index_ids(value, found, depth + 1)
    return found


def _clean(text: str) -> str:
    body = text.strip()
    for start, end in _WRAPPERS:
        if body.startswith(start):
            body = body[len(start) :]
        if body.endswith(end):
            body = body[: -len(end)]
        body = body.strip()
    body = _outside_strings(body).strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return body


def _unescape(text: str) -> str:
    for entity, character in _ENTITIES:
        text = text.replace(entity, character)
    return text


def _outside_strings(body: str) -> str:
    """``body`` without comments, then without trailing commas, outside its strings."""
    for dropping in (_COMMENTS, _TRAILING_COMMAS):
        body = "".join(filter(None, dropping.split(body)))
    return body
