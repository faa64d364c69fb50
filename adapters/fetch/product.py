"""The product-page reader: one ``Product`` from a page's shop data, markup and HTML."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import unquote, urlsplit

from adapters.fetch import shopify
from adapters.fetch.facts import Facts, clean_text, format_price
from adapters.fetch.page import DESCRIPTION_LIMIT, PageReading, read_page
from core import messages
from core.errors import BadInput
from core.imaging import Product
from core.ports import Fetched, Fetcher

NAME_LIMIT = 200
MAX_IMAGES = 8


class ProductFetcher(Fetcher, Protocol):
    """A ``Fetcher`` that can also fetch a shop's JSON product data (``GuardedFetcher``)."""

    async def fetch_json(self, url: str) -> Fetched: ...


class PageProductReader:
    """Reads a product page through the guarded fetcher.

    Sources, best first: a Shopify shop's ``/products/<handle>.js`` data, schema.org
    ``Product`` JSON-LD, microdata, OpenGraph, and finally the page title, meta
    description and largest images. Each field comes from the best source that has it.
    """

    def __init__(self, fetcher: ProductFetcher) -> None:
        self._fetcher = fetcher

    async def read(self, url: str) -> Product:
        page = await self._fetcher.fetch_page(url)
        reading = await asyncio.to_thread(read_page, page)
        sources = list(reading.sources)
        if reading.shop_data_url:
            shop = await self._shop_facts(reading)
            if shop is not None:
                sources.insert(0, shop)
        product = assemble(sources, reading.fallback, reading.url)
        if product is None:
            raise BadInput(messages.FETCH_NO_PRODUCT)
        return product

    async def _shop_facts(self, reading: PageReading) -> Facts | None:
        try:
            data = await self._fetcher.fetch_json(reading.shop_data_url)
        except BadInput:
            return None
        currency = reading.shop_currency or _first(f.currency for f in reading.sources)
        return await asyncio.to_thread(shopify.product_facts, data.body, data.url, currency)


def assemble(sources: list[Facts], fallback: Facts, url: str) -> Product | None:
    """Merge facts, each field from the first source that has it; ``None`` when there
    is neither a name nor an image."""
    everything = [*sources, fallback]
    images = _unique(image for facts in sources for image in facts.images)
    if not images:
        images = _unique(fallback.images)
    name = clean_text(_first(f.name for f in everything), NAME_LIMIT)
    if not name and not images:
        return None
    priced = next((f for f in everything if f.amount is not None), None)
    currency = (priced.currency if priced else "") or _first(f.currency for f in everything)
    return Product(
        name=name or _name_from_url(url),
        brand=_first(f.brand for f in everything),
        description=clean_text(_first(f.description for f in everything), DESCRIPTION_LIMIT),
        price=format_price(priced.amount if priced else None, currency),
        currency=currency,
        url=url,
        image_urls=images[:MAX_IMAGES],
    )


def _name_from_url(url: str) -> str:
    parts = urlsplit(url)
    slug = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]).rsplit(".", 1)[0]
    words = slug.replace("-", " ").replace("_", " ").strip()
    return words.capitalize() if words else parts.hostname or url


def _first(values: Iterable[str]) -> str:
    return next((value for value in values if value), "")


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
