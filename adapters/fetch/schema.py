"""schema.org ``Product`` objects (from JSON-LD or microdata) read into ``Facts``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.fetch.facts import Facts, absolute_url, clean_currency, clean_text, parse_amount

PRODUCT_TYPES = frozenset(
    {"Product", "ProductGroup", "ProductModel", "IndividualProduct", "SomeProducts"}
)
_PRICE_KEYS = ("price", "lowPrice", "highPrice")
_IMAGE_KEYS = ("url", "contentUrl", "@id", "thumbnailUrl")
_MAX_NESTING = 4

Ids = dict[str, dict[str, Any]]


def product_facts(node: dict[str, Any], base: str, ids: Ids | None = None) -> Facts:
    """The facts in one schema.org product, variants consulted for what the group lacks."""
    ids = ids or {}
    amount, currency = _offer_price(_deref(node.get("offers"), ids), ids, 0)
    images = _images(node.get("image"), base, ids, 0)
    variants = [_deref(v, ids) for v in _as_list(node.get("hasVariant"))]
    for variant in (v for v in variants if isinstance(v, dict)):
        if amount is None:
            amount, currency = _offer_price(_deref(variant.get("offers"), ids), ids, 0)
        if not images:
            images = _images(variant.get("image"), base, ids, 0)
    return Facts(
        name=clean_text(_text(node.get("name"))),
        brand=clean_text(_text(_deref(node.get("brand"), ids) or node.get("manufacturer"))),
        description=clean_text(_text(node.get("description"))),
        amount=amount,
        currency=currency,
        images=images,
    )


def _offer_price(offers: Any, ids: Ids, depth: int) -> tuple[Decimal | None, str]:
    if depth > _MAX_NESTING:
        return None, ""
    if isinstance(offers, list):
        currency = ""
        for offer in offers:
            amount, found = _offer_price(_deref(offer, ids), ids, depth + 1)
            if amount is not None:
                return amount, found
            currency = currency or found
        return None, currency
    if not isinstance(offers, dict):
        return None, ""
    currency = clean_currency(offers.get("priceCurrency"))
    for key in _PRICE_KEYS:
        amount = parse_amount(_text(offers.get(key)))
        if amount is not None:
            return amount, currency
    for nested in ("priceSpecification", "offers"):
        amount, found = _offer_price(_deref(offers.get(nested), ids), ids, depth + 1)
        if amount is not None:
            return amount, found or currency
    return None, currency


def _images(value: Any, base: str, ids: Ids, depth: int) -> tuple[str, ...]:
    if depth > _MAX_NESTING:
        return ()
    value = _deref(value, ids)
    if isinstance(value, str):
        url = absolute_url(value, base)
        return (url,) if url else ()
    if isinstance(value, list):
        return tuple(url for item in value for url in _images(item, base, ids, depth + 1))
    if isinstance(value, dict):
        for key in _IMAGE_KEYS:
            found = _images(value.get(key), base, ids, depth + 1)
            if found:
                return found[:1]
    return ()


def _text(value: Any) -> Any:
    """The plain value in a string, a number, ``{"@value": …}``, ``{"name": …}`` or a list."""
    if isinstance(value, list):
        return next((t for t in (_text(item) for item in value) if t not in ("", None)), "")
    if isinstance(value, dict):
        if "@value" in value:
            return _text(value["@value"])
        if "name" in value:
            return _text(value["name"])
        return ""
    return value if value is not None else ""


def _deref(value: Any, ids: Ids) -> Any:
    if isinstance(value, dict) and set(value) == {"@id"}:
        return ids.get(value["@id"], value)
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
