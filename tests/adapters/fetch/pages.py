"""Product pages as shops write them, served from 127.0.0.1 for the reader tests.

``HOSTPORT`` in a page is replaced by the server's ``127.0.0.1:<port>`` when served.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from tests.fakes.shop import serve_app

Page = tuple[str, bytes | str]  # content type, body

BROKEN_THEN_GOOD = """<!doctype html><html><head><title>Shop</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
  {"@type": "ListItem", "position": 1, "name": "Mugs", "item": "/collections/mugs"}
]};
</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Decoy" "offers": {
</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Stoneware Bowl",
 "brand": "Kiln & Co", "image": "/img/bowl.jpg",
 "offers": {"@type": "Offer", "price": 18, "priceCurrency": "EUR"}}
</script></head><body><h1>Stoneware Bowl</h1></body></html>"""

SEMICOLON_PRODUCT = """<html><head>
<script type="application/ld+json">
  // product data
  {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "Glass Carafe",
    "image": ["/img/carafe.jpg",],
    "offers": {"@type": "Offer", "price": "32.00", "priceCurrency": "USD",},
  };
</script></head><body></body></html>"""

GRAPH = json.dumps(
    {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "/#website", "name": "Lamp Shop"},
            {"@type": "WebPage", "@id": "/lamp#page", "name": "Buy the Graph Lamp"},
            {
                "@type": ["Product", "schema:IndividualProduct"],
                "@id": "/lamp#product",
                "name": "Graph Lamp",
                "brand": {"@type": "Brand", "name": "Lumen"},
                "description": "A brass desk lamp &amp; its <b>linen</b> shade.",
                "image": {"@type": "ImageObject", "url": "/img/lamp.jpg", "width": 1200},
                "offers": {"@id": "/lamp#offer"},
            },
            {"@type": "Offer", "@id": "/lamp#offer", "price": "89", "priceCurrency": "GBP"},
        ],
    }
)

AGGREGATE = json.dumps(
    {
        "@context": "http://schema.org/",
        "@type": "http://schema.org/Product",
        "name": "Cotton Tote",
        "brand": [{"@type": "Brand", "name": "Bagworks"}],
        "image": [
            {"@type": "ImageObject", "contentUrl": "https://HOSTPORT/img/tote-front.jpg"},
            {"@type": "ImageObject", "contentUrl": "/img/tote-back.jpg"},
        ],
        "offers": {
            "@type": "AggregateOffer",
            "lowPrice": "12.5",
            "highPrice": "30",
            "priceCurrency": "USD",
            "offerCount": 3,
        },
    }
)

PRICE_SPECIFICATION = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Tea Bowl",
        "image": "/img/tea-bowl.jpg",
        "offers": [
            {"@type": "Offer", "availability": "https://schema.org/OutOfStock"},
            {
                "@type": "Offer",
                "priceSpecification": [
                    {"@type": "UnitPriceSpecification", "price": 4800, "priceCurrency": "JPY"}
                ],
            },
        ],
    }
)

PRODUCT_GROUP = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "ProductGroup",
        "name": "Wool Scarf",
        "brand": {"@type": "Brand", "name": "Fjell"},
        "hasVariant": [
            {
                "@type": "Product",
                "name": "Wool Scarf – grey",
                "image": "/img/scarf-grey.jpg",
                "offers": {"@type": "Offer", "price": "59.95", "priceCurrency": "SEK"},
            },
            {"@type": "Product", "name": "Wool Scarf – red", "image": "/img/scarf-red.jpg"},
        ],
    }
)

OPENGRAPH_ONLY = """<html><head><title>Oak Board | Woodshop</title>
<meta property="og:site_name" content="Woodshop">
<meta property="og:title" content="Oak Cutting Board">
<meta property="og:description" content="End-grain oak, oiled by hand.">
<meta property="og:image" content="/img/board.jpg">
<meta property="og:image" content="/img/board-side.jpg">
<meta property="product:brand" content="Woodshop">
<meta property="product:price:amount" content="45,00">
<meta property="product:price:currency" content="eur">
</head><body><p>Oak board</p></body></html>"""

MICRODATA_ONLY = """<html><head><title>Candle</title></head><body>
<div itemscope itemtype="https://schema.org/Product">
  <h1 itemprop="name">Beeswax Candle</h1>
  <img itemprop="image" src="img/candle.jpg" alt="">
  <div itemprop="brand" itemscope itemtype="https://schema.org/Brand">
    <span itemprop="name">Hive</span></div>
  <p itemprop="description">Hand-dipped, 40 hours.</p>
  <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
    <meta itemprop="priceCurrency" content="CHF">
    <span itemprop="price" content="16.00">CHF 16.–</span>
  </div>
</div></body></html>"""

FALLBACK_ONLY = """<html><head>
<title>Linen Apron | Maker Street</title>
<meta property="og:site_name" content="Maker Street">
<meta name="Description" content="A heavy linen apron with two pockets.">
</head><body>
<img src="/static/logo.svg" width="120" height="40">
<img src="/pixel.gif" width="1" height="1">
<img src="/img/apron-detail.jpg" width="600" height="800">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="900" height="900">
<img src="/img/apron-unsized.jpg">
<img data-src="/img/apron-main.jpg" width="1200px" height="1200">
</body></html>"""

RELATIVE_IMAGES = """<html><head><base href="/assets/v2/">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Clay Vase",
 "image": ["vase.jpg", "//HOSTPORT/cdn/vase-side.jpg", "../../img/vase-top.jpg",
           "data:image/png;base64,iVBORw0KGgo="]}
</script></head><body></body></html>"""

SHOPIFY_PAGE = """<!doctype html><html><head><title>Teal Mug – Acme</title>
<link rel="preconnect" href="https://cdn.shopify.com">
<script>var Shopify = Shopify || {}; Shopify.shop = "acme-homeware.myshopify.com";
Shopify.currency = {"active":"EUR","rate":"1.0"};</script>
<script type="application/ld+json">
{"@context": "http://schema.org/", "@type": "Product", "name": "Teal Mug (page)",
 "offers": {"@type": "Offer", "price": "99.00", "priceCurrency": "EUR"}}
</script></head><body></body></html>"""

SHOPIFY_DATA = json.dumps(
    {
        "id": 7451234,
        "title": "Teal Mug",
        "handle": "teal-mug",
        "description": "<p>Glazed <strong>stoneware</strong>, 350&nbsp;ml.</p>",
        "vendor": "Acme",
        "type": "Mugs",
        "price": 2490,
        "price_min": 2490,
        "price_max": 2990,
        "available": True,
        "featured_image": "//HOSTPORT/cdn/shop/files/teal-mug.png?v=1",
        "images": [
            "//HOSTPORT/cdn/shop/files/teal-mug.png?v=1",
            "//HOSTPORT/cdn/shop/files/teal-mug-side.png?v=1",
        ],
        "variants": [{"id": 1, "title": "Default Title", "price": 2490}],
    }
)

NOTHING = "<html><body><p>Nothing to see here.</p></body></html>"

LATIN_1 = "<html><head><title>Café Crème Cup</title></head><body></body></html>"

IMAGE_ONLY = '<html><head><meta property="og:image" content="/img/x.jpg"></head></html>'


def html_page(text: str) -> Page:
    return "text/html", text


def jsonld_page(block: str) -> Page:
    return html_page(
        f'<html><head><script type="application/ld+json">{block}</script></head></html>'
    )


@asynccontextmanager
async def serve_pages(pages: dict[str, Page]) -> AsyncIterator[tuple[str, int]]:
    """Serve ``{path: (content type, body)}`` on 127.0.0.1; yields ``(base_url, port)``."""
    state = {"hostport": ""}

    async def handle(request: web.Request) -> web.Response:
        page = pages.get(request.path)
        if page is None:
            raise web.HTTPNotFound()
        content_type, body = page
        if isinstance(body, str):
            body = body.replace("HOSTPORT", state["hostport"]).encode()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/{path:.*}", handle)
    async with serve_app(app) as (base, port):
        state["hostport"] = f"127.0.0.1:{port}"
        yield base, port
