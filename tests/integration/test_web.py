"""The HTTP server: image links (200/403/404/410), health and metrics."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from adapters.sql.engine import create_engine
from bot.bootstrap import App
from bot.web import create_web_app
from core.links import IMAGE
from core.replies import Images
from tests.harness import Chat, product_photo


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(app))) as test_client:
        yield test_client


async def made_image(chat: Chat, tmp_path: Path) -> tuple[str, str]:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    await chat.say(f"/imagine --image {photo} --format square")
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    return done.images[0].id, done.images[0].link.rsplit("/", 1)[1]


async def test_a_link_returns_the_image(chat: Chat, client: TestClient, tmp_path: Path) -> None:
    _, token = await made_image(chat, tmp_path)
    response = await client.get(f"/i/{token}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(await response.read())).size == (1080, 1080)


async def test_a_link_with_one_changed_character_is_forbidden(
    chat: Chat, client: TestClient, tmp_path: Path
) -> None:
    _, token = await made_image(chat, tmp_path)
    middle = len(token) // 2
    forged = token[:middle] + ("x" if token[middle] != "x" else "y") + token[middle + 1 :]
    assert (await client.get(f"/i/{forged}")).status == 403
    assert (await client.get(f"/i/{token[:-1] + ('B' if token[-1] == 'A' else 'A')}")).status == 403


async def test_an_expired_link_is_gone(chat: Chat, client: TestClient, tmp_path: Path) -> None:
    image_id, _ = await made_image(chat, tmp_path)
    expired = chat.app.links.link(IMAGE, image_id, timedelta(seconds=-1)).rsplit("/", 1)[1]
    response = await client.get(f"/i/{expired}")
    assert response.status == 410
    assert "expired" in await response.text()


async def test_the_link_of_a_deleted_image_stops_working_at_once(
    chat: Chat, client: TestClient, tmp_path: Path
) -> None:
    image_id, token = await made_image(chat, tmp_path)
    async with chat.app.uow_factory() as uow:
        assert await uow.images.delete(image_id)
        await uow.commit()
    assert (await client.get(f"/i/{token}")).status == 404
    unknown = chat.app.links.image_link("img_neverexisted").rsplit("/", 1)[1]
    assert (await client.get(f"/i/{unknown}")).status == 404


async def test_the_link_of_an_image_whose_file_is_gone_is_not_found(
    chat: Chat, client: TestClient, tmp_path: Path
) -> None:
    image_id, token = await made_image(chat, tmp_path)
    async with chat.app.uow_factory(readonly=True) as uow:
        record = await uow.images.get(image_id)
    assert record is not None
    await chat.app.blobs.delete(record.blob_key)
    assert (await client.get(f"/i/{token}")).status == 404


async def test_health_is_ok_when_the_database_answers(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "ok"}


async def test_health_is_503_when_the_database_does_not_answer(app: App) -> None:
    unreachable = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    broken = replace(app, engine=unreachable)
    try:
        async with TestClient(TestServer(create_web_app(broken))) as test_client:
            response = await test_client.get("/healthz")
            assert response.status == 503
    finally:
        await unreachable.dispose()


async def test_metrics_count_requests_in_prometheus_format(client: TestClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    body = await response.text()
    assert 'aioe_http_requests_total{route="/healthz",status="200"} 1.0' in body
