"""Everything an HTML product page says about its product, source by source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from adapters.fetch import shopify
from adapters.fetch.facts import (
    Facts,
    absolute_url,
    clean_currency,
    clean_text,
    parse_amount,
)
from adapters.fetch.jsonld import index_ids, load_block, nodes_of_type
from adapters.fetch.schema import PRODUCT_TYPES, product_facts
from core.ports import Fetched

DESCRIPTION_LIMIT = 1000
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " · ")
_MIN_IMAGE_AREA = 100 * 100
_MAX_JSONLD_BLOCKS = 100  # real pages have a handful; thousands only cost time


@dataclass(frozen=True, slots=True)
class PageReading:
    """The facts from each structured source (best first), the plain-HTML fallback, and
    where the shop's own product data lives when the page is a Shopify product."""

    url: str
    sources: tuple[Facts, ...]
    fallback: Facts
    shop_data_url: str
    shop_currency: str


def read_page(page: Fetched) -> PageReading:
    """Parse a fetched page; CPU-bound, so callers run it in a thread."""
    _, text = html_to_unicode(page.content_type, page.body)
    text = _XML_DECLARATION.sub("", text, count=1)
    empty = PageReading(page.url, (), Facts(), "", "")
    if not text.strip():
        return empty
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return empty
    base = _base_url(tree, page.url)
    metas = _metas(tree)
    sources = (*_jsonld(tree, base), *_microdata_and_opengraph(tree, base))
    fallback = Facts(
        name=_title(tree, metas.get("og:site_name", "")),
        description=clean_text(metas.get("description", ""), DESCRIPTION_LIMIT),
        images=_largest_images(tree, base),
    )
    return PageReading(
        url=page.url,
        sources=sources,
        fallback=fallback,
        shop_data_url=shopify.product_data_url(page.url, text),
        shop_currency=shopify.shop_currency(text),
    )


def _base_url(tree: Any, page_url: str) -> str:
    for href in tree.xpath("//base/@href"):
        return absolute_url(str(href), page_url) or page_url
    return page_url


def _metas(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if key and content is not None:
            found.setdefault(key, content)
    return found


def _jsonld(tree: Any, base: str) -> list[Facts]:
    found: list[Facts] = []
    blocks = 0
    for script in tree.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json" or not script.text:
            continue
        blocks += 1
        if blocks > _MAX_JSONLD_BLOCKS:
            break
        data = load_block(script.text)
        if data is None:
            continue
        ids = index_ids(data)
        found.extend(product_facts(node, base, ids) for node in nodes_of_type(data, PRODUCT_TYPES))
    return found


def _microdata_and_opengraph(tree: Any, base: str) -> list[Facts]:
    import extruct  # slow to import (0.3 s); only pages need it

    data = extruct.extract(
        tree,
        base_url=base,
        syntaxes=["microdata", "opengraph"],
        uniform=True,
        with_og_array=True,
        errors="ignore",
    )
    found = [
        product_facts(node, base)
        for node in nodes_of_type(data.get("microdata", []), PRODUCT_TYPES)
    ]
    found.extend(_opengraph(item, base) for item in data.get("opengraph", []))
    return found


def _opengraph(item: dict[str, Any], base: str) -> Facts:
    def first(*keys: str) -> Any:
        for key in keys:
            value = item.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if value:
                return value
        return ""

    raw_images = [*_as_list(item.get("og:image:secure_url")), *_as_list(item.get("og:image"))]
    raw_images += _as_list(item.get("og:image:url"))
    images = tuple(dict.fromkeys(u for u in (absolute_url(i, base) for i in raw_images) if u))
    return Facts(
        name=clean_text(first("og:title")),
        brand=clean_text(first("product:brand", "og:brand")),
        description=clean_text(first("og:description"), DESCRIPTION_LIMIT),
        amount=parse_amount(first("product:price:amount", "og:price:amount")),
        currency=clean_currency(first("product:price:currency", "og:price:currency")),
        images=images,
    )


def _title(tree: Any, site_name: str) -> str:
    titles = tree.xpath("//title")
    title = clean_text(titles[0].text_content()) if titles else ""
    site = clean_text(site_name)
    if site and title != site:
        for separator in _TITLE_SEPARATORS:
            title = title.removesuffix(f"{separator}{site}")
    return title


def _largest_images(tree: Any, base: str) -> tuple[str, ...]:
    """``<img>`` sources, largest declared area first; tiny declared ones are left out."""
    ranked: list[tuple[int, int, str]] = []
    for position, img in enumerate(tree.iter("img")):
        source = img.get("src") or img.get("data-src") or img.get("data-original")
        url = absolute_url(source, base)
        if not url:
            continue
        area = _dimension(img.get("width")) * _dimension(img.get("height"))
        if 0 < area < _MIN_IMAGE_AREA:
            continue
        ranked.append((-area, position, url))
    return tuple(dict.fromkeys(url for _, _, url in sorted(ranked)))


def _dimension(value: str | None) -> int:
    match = re.match(r"\s*(\d+)", value or "")
    return int(match.group(1)) if match else 0


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
