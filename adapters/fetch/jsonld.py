"""Lenient reading of JSON-LD blocks as sites really write them."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

_WRAPPERS = (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>"))
_MAX_DEPTH = 12
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?(?:\*/|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*)(?=[}\]])")
_FINAL_COMMA = re.compile(r",\s*$")


def load_block(text: str) -> Any | None:
    """Parse one ``<script type="application/ld+json">`` body, or ``None`` if hopeless.

    Strict JSON first; then a clean-up of what breaks real pages (comments, trailing
    commas and semicolons, HTML comment or CDATA wrappers, HTML entities); finally the
    first complete value, ignoring whatever follows it.
    """
    cleaned = _clean(text)
    for candidate in (text, cleaned, _clean(html.unescape(text))):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(cleaned)
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
    body = _drop_trailing_commas(_drop_comments(body)).strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return body


def _drop_comments(text: str) -> str:
    return "".join(
        piece if in_string else _COMMENT.sub("", piece) for piece, in_string in _segments(text)
    )


def _drop_trailing_commas(text: str) -> str:
    pieces = list(_segments(text))
    out: list[str] = []
    for position, (piece, in_string) in enumerate(pieces):
        if not in_string:
            piece = _TRAILING_COMMA.sub(r"\1", piece)
            if position == len(pieces) - 1:
                piece = _FINAL_COMMA.sub("", piece)
        out.append(piece)
    return "".join(out)


def _segments(text: str) -> Iterator[tuple[str, bool]]:
    """Split ``text`` into pieces outside and inside double-quoted strings."""
    start = 0
    for match in _STRING.finditer(text):
        if match.start() > start:
            yield text[start : match.start()], False
        yield match.group(), True
        start = match.end()
    if start < len(text):
        yield text[start:], False
