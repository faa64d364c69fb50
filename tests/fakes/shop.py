"""A local web shop with one realistic product page, "Acme Ceramic Mug", and its photo."""

from __future__ import annotations

import asyncio
import io
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from aiohttp import web
from PIL import Image, ImageDraw, ImageFilter

PRODUCT_PATH = "/products/acme-ceramic-mug"
IMAGE_PATH = "/static/acme-ceramic-mug.png"
PRODUCT_NAME = "Acme Ceramic Mug"
BRAND = "Acme"
PRICE = "24.90"
CURRENCY = "EUR"
DESCRIPTION = (
    "A 350 ml stoneware mug glazed in deep teal, thrown by hand and fired twice. "
    "Dishwasher and microwave safe."
)
IMAGE_SIZE = 800
TEAL = (0, 128, 128)

_BROKEN_BLOCK = """{
  "@context": "https://schema.org",
  "@type": "Organization",
  "name": "Acme Homeware",
  "url": "/",
  "logo": "/static/logo.png"
};"""


def _product_block() -> str:
    return json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": PRODUCT_NAME,
            "sku": "ACME-MUG-TEAL-350",
            "brand": {"@type": "Brand", "name": BRAND},
            "description": DESCRIPTION,
            "image": [f"..{IMAGE_PATH}"],
            "offers": {
                "@type": "Offer",
                "price": PRICE,
                "priceCurrency": CURRENCY,
                "availability": "https://schema.org/InStock",
                "itemCondition": "https://schema.org/NewCondition",
            },
        },
        indent=2,
    )


def product_html(origin: str) -> str:
    """The product page as the shop serves it from ``origin`` (scheme://host:port)."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{PRODUCT_NAME} – Acme Homeware</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="description" content="{DESCRIPTION}">
  <meta property="og:site_name" content="Acme Homeware">
  <meta property="og:type" content="product">
  <meta property="og:title" content="{PRODUCT_NAME}">
  <meta property="og:url" content="{origin}{PRODUCT_PATH}">
  <meta property="og:image" content="{origin}{IMAGE_PATH}">
  <meta property="product:price:amount" content="{PRICE}">
  <meta property="product:price:currency" content="{CURRENCY}">
  <link rel="stylesheet" href="/static/shop.css">
  <script type="application/ld+json">
{_BROKEN_BLOCK}
  </script>
  <script type="application/ld+json">
{_product_block()}
  </script>
</head>
<body>
  <header><a href="/"><img src="/static/logo.png" width="120" height="40" alt="Acme"></a></header>
  <main>
    <nav class="breadcrumbs"><a href="/">Home</a> / <a href="/collections/mugs">Mugs</a></nav>
    <div class="gallery">
      <img src="..{IMAGE_PATH}" width="{IMAGE_SIZE}" height="{IMAGE_SIZE}" alt="{PRODUCT_NAME}">
    </div>
    <h1>{PRODUCT_NAME}</h1>
    <p class="price">€{PRICE.replace(".", ",")}</p>
    <p>{DESCRIPTION}</p>
    <button type="submit">Add to cart</button>
  </main>
</body>
</html>
"""


@cache
def mug_png() -> bytes:
    """An 800×800 PNG of a teal mug on a soft white-to-grey studio background."""
    size = IMAGE_SIZE
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        shade = 255 - round(40 * y / size)
        draw.line([(0, y), (size, y)], fill=(shade, shade, shade))
    shadow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(shadow).ellipse([220, 600, 600, 660], fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    image.paste((120, 120, 120), (0, 0), shadow)
    draw = ImageDraw.Draw(image)
    draw.ellipse([470, 330, 640, 540], outline=TEAL, width=34)  # handle
    draw.rounded_rectangle([240, 240, 530, 630], radius=40, fill=TEAL)  # body
    draw.ellipse([240, 215, 530, 275], fill=(0, 104, 104))  # rim
    draw.ellipse([258, 225, 512, 265], fill=(0, 72, 72))  # inside
    draw.rounded_rectangle([275, 300, 305, 580], radius=14, fill=(40, 160, 160))  # highlight
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def shop_app(image: bytes) -> web.Application:
    """The shop: the product page, its photo, and a small logo."""

    async def product(request: web.Request) -> web.Response:
        origin = f"{request.scheme}://{request.host}"
        return web.Response(text=product_html(origin), content_type="text/html", charset="utf-8")

    async def photo(request: web.Request) -> web.Response:
        return web.Response(body=image, content_type="image/png")

    app = web.Application()
    app.router.add_get(PRODUCT_PATH, product)
    app.router.add_get(IMAGE_PATH, photo)
    return app


@asynccontextmanager
async def serve_app(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[str, int]]:
    """Run ``app`` on 127.0.0.1 on a free port (HTTPS with ``ssl_context``); yields
    ``(base_url, port)``."""
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = int(runner.addresses[0][1])
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}", port
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_shop() -> AsyncIterator[tuple[str, int]]:
    """Run the shop on 127.0.0.1; yields ``(base_url, port)``. The product page is
    ``base_url + PRODUCT_PATH`` and its photo ``base_url + IMAGE_PATH``."""
    image = await asyncio.to_thread(mug_png)
    async with serve_app(shop_app(image)) as (base_url, port):
        yield base_url, port
