"""Shopify product pages: spotting them and reading their ``/products/<handle>.js`` data."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from adapters.fetch.facts import Facts, absolute_url, clean_text, parse_amount

_HANDLE = re.compile(r"/products/([^/]+?)/?$")
_MARKERS = ("cdn.shopify.com", "Shopify.shop", "window.Shopify", "myshopify.com")
# The gap stops at the next brace, so repeated openings are each scanned once.
_CURRENCY = re.compile(
    r"Shopify\.currency\s*+=\s*+\{[^{}]{0,2000}?[\"']active[\"']\s*+:\s*+[\"']([A-Z]{3})"
)


def product_data_url(page_url: str, html_text: str) -> str:
    """The shop's product data URL when the page is a Shopify product page, else empty."""
    parts = urlsplit(page_url)
    match = _HANDLE.search(parts.path)
    if match is None or not any(marker in html_text for marker in _MARKERS):
        return ""
    handle = match.group(1).removesuffix(".js").removesuffix(".json")
    return urlunsplit((parts.scheme, parts.netloc, f"/products/{handle}.js", "", ""))


def shop_currency(html_text: str) -> str:
    """The currency the shop's storefront script declares (``Shopify.currency.active``)."""
    match = _CURRENCY.search(html_text)
    return match.group(1) if match else ""


def product_facts(body: bytes, data_url: str, currency: str) -> Facts | None:
    """Facts from a ``/products/<handle>.js`` document; prices there are in minor units."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("title"):
        return None
    images: list[str] = []
    for item in [data.get("featured_image"), *_list(data.get("images"))]:
        source = item.get("src") if isinstance(item, dict) else item
        url = absolute_url(source, data_url)
        if url and url not in images:
            images.append(url)
    return Facts(
        name=clean_text(data.get("title")),
        brand=clean_text(data.get("vendor")),
        description=clean_text(data.get("description")),
        amount=_minor_units(data.get("price")),
        currency=currency,
        images=tuple(images),
    )


def _minor_units(value: Any) -> Decimal | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value) / 100 if value > 0 else None
    return parse_amount(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
