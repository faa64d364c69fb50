"""Export links (200/403/410/404), the access log of link hits, and one export a day."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from sqlalchemy import select

from adapters.security.signer import HmacSigner
from adapters.sql.engine import READONLY_OPTION
from adapters.sql.tables import access_log
from bot.bootstrap import App, utcnow
from bot.web import coarse_client, create_web_app
from core import messages
from core.export import EXPORT_TTL
from core.identity import Requester
from core.links import Links
from core.model import ExportRecord
from core.replies import Error, Images, Private
from tests.harness import Chat


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(app))) as test_client:
        yield test_client


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


async def export_link(chat: Chat, user: str = "alice") -> str:
    """The link of a ``/privacy export`` run to its end, as the person receives it."""
    assert isinstance(await chat.say("/privacy export", user), Private)
    (ready,) = await chat.run_jobs()
    assert isinstance(ready, Private) and ready.link
    assert "/x/" in ready.link
    return ready.link


async def latest_export(app: App, user: str = "alice") -> ExportRecord:
    account = await app.bot.open_account(Requester("console", "local", user, user))
    async with app.uow_factory(readonly=True) as uow:
        record = await uow.privacy.latest_export(account.id)
    assert record is not None
    return record


async def link_hits(app: App) -> list[dict[str, Any]]:
    """The access log's rows of link hits, read without taking SQLite's write lock."""
    async with app.engine.connect() as connection:
        option = (
            "postgresql_readonly" if connection.dialect.name == "postgresql" else READONLY_OPTION
        )
        reading = await connection.execution_options(**{option: True})
        rows = await reading.execute(
            select(access_log).where(access_log.c.kind == "link").order_by(access_log.c.id)
        )
        return [dict(row._mapping) for row in rows]


async def test_the_export_link_downloads_a_zip_of_everything(
    chat: Chat, client: TestClient, photo: Path
) -> None:
    await chat.say(f"/imagine --image {photo} --format square")
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    image_id = done.images[0].id

    response = await client.get(f"/x/{token_of(await export_link(chat))}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = await response.read()
    assert int(response.headers["Content-Length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        profile = json.loads(archive.read("profile.json"))
        picture = archive.read(f"images/results/{image_id}.png")
    assert {"README.txt", "profile.json", "generations.json", "access_log.json"} <= names
    assert any(name.startswith("images/uploads/") for name in names)
    assert profile["display_name"] == "alice"
    assert picture.startswith(b"\x89PNG")


async def test_a_forged_or_foreign_token_is_forbidden(chat: Chat, client: TestClient) -> None:
    token = token_of(await export_link(chat))
    middle = len(token) // 2
    forged = token[:middle] + ("x" if token[middle] != "x" else "y") + token[middle + 1 :]
    assert (await client.get(f"/x/{forged}")).status == 403
    record = await latest_export(chat.app)
    image_kind = token_of(chat.app.links.image_link(record.id))
    response = await client.get(f"/x/{image_kind}")
    assert response.status == 403 and messages.LINK_INVALID in await response.text()
    assert (await client.get(f"/i/{token}")).status == 403
    assert (await client.get(f"/x/{token}")).status == 200


async def test_the_export_link_is_gone_after_24_hours(chat: Chat, app: App) -> None:
    token = token_of(await export_link(chat))

    async def status_at(later: timedelta) -> int:
        signer = HmacSigner(app.settings.resolved_secret_key())
        links = Links(signer, app.settings.public_url, lambda: utcnow() + later)
        async with TestClient(TestServer(create_web_app(replace(app, links=links)))) as client:
            return (await client.get(f"/x/{token}")).status

    assert await status_at(EXPORT_TTL - timedelta(minutes=1)) == 200
    assert await status_at(EXPORT_TTL) == 410


async def test_the_link_of_a_deleted_export_is_not_found(chat: Chat, client: TestClient) -> None:
    first = token_of(await export_link(chat, "alice"))
    second = token_of(await export_link(chat, "bob"))
    gone, lost = await latest_export(chat.app, "alice"), await latest_export(chat.app, "bob")
    async with chat.app.uow_factory() as uow:
        await uow.privacy.delete_export(gone.id)
        await uow.commit()
    await chat.app.blobs.delete(lost.blob_key)  # the record stays, its file went
    for token in (first, second):
        response = await client.get(f"/x/{token}")
        assert response.status == 404 and messages.EXPORT_GONE in await response.text()
    assert await link_hits(chat.app) == []


async def test_each_link_hit_is_logged_with_a_network_and_a_kind_of_client(
    chat: Chat, client: TestClient, photo: Path
) -> None:
    await chat.say(f"/imagine --image {photo} --format square")
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    image = done.images[0]
    export = token_of(await export_link(chat))
    assert (await client.get(f"/i/{token_of(image.link)}", headers={"User-Agent": "curl/8.5"})).ok
    assert (await client.get(f"/x/{export}", headers={"User-Agent": "Mozilla/5.0 Firefox"})).ok
    forged = export[:-1] + ("A" if export[-1] != "A" else "B")
    assert (await client.get(f"/x/{forged}")).status == 403  # refused hits are not logged
    hits = await link_hits(chat.app)
    assert [(h["action"], h["network"], h["client"]) for h in hits] == [
        ("image", "127.0.0.0/24", "command line"),
        ("export", "127.0.0.0/24", "browser"),
    ]
    assert hits[0]["target"] == image.id
    assert all("127.0.0.1" not in str(value) for hit in hits for value in hit.values())


@pytest.mark.parametrize(
    ("address", "agent", "network", "kind"),
    [
        ("203.0.113.77", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
         "203.0.113.0/24", "slack preview"),
        ("198.51.100.9", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
         "198.51.100.0/24", "discord preview"),
        ("192.0.2.200", "curl/8.5.0", "192.0.2.0/24", "command line"),
        ("192.0.2.1", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
         "192.0.2.0/24", "browser"),
        ("2001:db8:abcd:12:34::5", "python-requests/2.32", "2001:db8:abcd::/48", "other"),
        ("", "", "", ""),
    ],
)  # fmt: skip
def test_the_access_log_keeps_a_network_and_a_kind_of_client_never_more(
    address: str, agent: str, network: str, kind: str
) -> None:
    headers = {"User-Agent": agent} if agent else {}
    request = make_mocked_request("GET", "/x/token", headers=headers).clone(remote=address)
    assert coarse_client(request) == (network, kind)


async def test_one_export_a_day_and_one_sentence_when_asked_again(chat: Chat) -> None:
    assert isinstance(await chat.say("/privacy export"), Private)
    assert await chat.say("/privacy export") == Error(messages.EXPORT_RUNNING)
    assert await chat.count("jobs") == 1 and await chat.count("privacy_requests") == 1
    assert len(await chat.run_jobs()) == 1
    record = await latest_export(chat.app)
    before = [await chat.count(t) for t in ("jobs", "exports", "privacy_requests")]

    again = await chat.say("/privacy export")

    next_at = (record.created_at + EXPORT_TTL).strftime("%Y-%m-%d %H:%M UTC")
    assert again == Error(messages.EXPORT_TOO_SOON.format(next=next_at))
    assert [await chat.count(t) for t in ("jobs", "exports", "privacy_requests")] == before
    assert await chat.run_jobs() == []
