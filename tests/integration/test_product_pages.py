"""Product-page URLs as sources: /imagine --url, /describe, and pages that can't be used."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from PIL import Image

from adapters.imaging.studio import StudioProvider
from bot.bootstrap import App
from core.imaging import RenderSpec, SourceImage
from core.model import JobStatus
from core.payloads import ImaginePayload
from core.replies import Error, Images, Progress, Text
from tests.fakes.shop import PRICE, PRODUCT_NAME, PRODUCT_PATH, serve_app, serve_shop
from tests.harness import Chat, product_photo, running_app


async def picture(app: App, image_id: str) -> np.ndarray:
    async with app.uow_factory(readonly=True) as uow:
        record = await uow.images.get(image_id)
    assert record is not None
    data = await app.blobs.get(record.blob_key)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)


@pytest.fixture
async def shop() -> AsyncIterator[tuple[str, int]]:
    async with serve_shop() as served:
        yield served


@pytest.fixture
async def shop_chat(
    tmp_path: Path, database_url: str, shop: tuple[str, int]
) -> AsyncIterator[Chat]:
    _, port = shop
    async with running_app(tmp_path / "var", database_url, fetch_allow=f"127.0.0.1:{port}") as app:
        yield Chat(app)


async def test_a_product_page_becomes_a_headline_image_with_its_name_and_price(
    shop_chat: Chat, shop: tuple[str, int]
) -> None:
    base, _ = shop
    queued = await shop_chat.say(f"/imagine --url {base}{PRODUCT_PATH} --template sale-banner")
    assert isinstance(queued, Progress), queued
    (done,) = await shop_chat.run_jobs()
    assert isinstance(done, Images)
    assert (done.images[0].width, done.images[0].height) == (1080, 1080)
    async with shop_chat.app.uow_factory() as uow:
        job = await uow.jobs.get(queued.job_id)
    assert job is not None and job.status is JobStatus.SUCCEEDED
    assert isinstance(job.payload, ImaginePayload) and job.payload.product is not None
    assert job.payload.product.name == PRODUCT_NAME
    assert job.payload.product.price == PRICE
    assert await shop_chat.balance() == 9

    # The banner shows the page's name and price: the same render without them differs
    # in the headline band, and only there.
    app = shop_chat.app
    made = await picture(app, done.images[0].id)
    template = app.catalog.template("sale-banner")
    kept = job.payload.source
    assert kept is not None
    source = SourceImage(
        data=await app.blobs.get(kept.key),
        width=kept.width,
        height=kept.height,
        has_alpha=kept.alpha,
    )
    spec = RenderSpec(
        prompt="",
        template=template,
        format=app.catalog.format(None, template),
        source=source,
        product=None,
        seed=job.payload.seed,
    )
    (plain,) = await StudioProvider().render(spec, 1)
    without = np.asarray(Image.open(io.BytesIO(plain.data)).convert("RGB"), dtype=int)
    changed = np.abs(made - without).sum(axis=2) > 60
    rows = np.flatnonzero(changed.any(axis=1))
    assert changed.mean() > 0.02, "no headline was drawn"
    assert rows.min() < 0.3 * made.shape[0], "the headline is not at the top"


async def test_describe_names_the_product_and_its_colours(
    shop_chat: Chat, shop: tuple[str, int], tmp_path: Path
) -> None:
    base, _ = shop
    assert isinstance(await shop_chat.say(f"/describe --url {base}{PRODUCT_PATH}"), Progress)
    (from_page,) = await shop_chat.run_jobs()
    assert isinstance(from_page, Text), from_page
    assert PRODUCT_NAME.lower() in from_page.text.lower()
    assert "teal" in from_page.text.lower()
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    assert isinstance(await shop_chat.say(f"/describe --image {photo}"), Progress)
    (from_photo,) = await shop_chat.run_jobs()
    assert isinstance(from_photo, Text), from_photo
    assert any(name in from_photo.text.lower() for name in ("teal", "turquoise"))
    assert await shop_chat.balance() == 10 - 2  # a small fixed cost each


async def test_a_page_without_a_usable_image_says_so_and_costs_nothing(
    tmp_path: Path, database_url: str
) -> None:
    async def page(request: web.Request) -> web.Response:
        html = (
            "<html><head><title>Plain Mug</title>"
            '<meta property="og:title" content="Plain Mug"></head>'
            '<body><img src="/missing.png" width="600" height="600"></body></html>'
        )
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/products/plain", page)
    async with (
        serve_app(app) as (base, port),
        running_app(tmp_path / "var", database_url, fetch_allow=f"127.0.0.1:{port}") as built,
    ):
        chat = Chat(built)
        reply = await chat.say(f"/imagine --url {base}/products/plain")
        assert isinstance(reply, Error)
        assert "upload a photo" in reply.text
        assert await chat.balance() == 10
        assert await chat.count("jobs") == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/products/x",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "http://[::1]/",
    ],
)
async def test_a_private_address_is_refused_before_anything_is_spent(chat: Chat, url: str) -> None:
    reply = await chat.say(f"/imagine --url {url}")
    assert isinstance(reply, Error)
    assert "\n" not in reply.text
    assert await chat.balance() == 10
    assert await chat.count("jobs") == 0
