"""Retention sweeps: what is due goes, nothing else; a second run removes nothing."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import App
from bot.web import create_web_app
from core.identity import Requester
from core.links import EXPORT
from core.queueing import upload_key
from core.replies import Confirm, Images, Private, Progress, Text
from core.sweep import Sweeper, Swept
from tests.harness import Chat, blob_files, count_rows, product_photo, running_app


class Travel:
    """The app's clock: real time, moved on by ``offset``."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def travel(monkeypatch: pytest.MonkeyPatch) -> Travel:
    clock = Travel()
    monkeypatch.setattr("bot.bootstrap.utcnow", clock)  # the clock bootstrap wires in
    return clock


@pytest.fixture
async def app(travel: Travel, tmp_path: Path, database_url: str) -> AsyncIterator[App]:
    """The whole bot, on a clock the test moves."""
    async with running_app(tmp_path / "var", database_url) as built:
        yield built


async def account_id(app: App, user: str) -> str:
    return (await app.bot.open_account(Requester("console", "local", user, user))).id


async def exported(chat: Chat, user: str) -> str:
    """The export id of a ``/privacy export`` run to its end."""
    assert isinstance(await chat.say("/privacy export", user), Private)
    (ready,) = await chat.run_jobs()
    assert isinstance(ready, Private) and ready.link
    async with chat.app.uow_factory(readonly=True) as uow:
        record = await uow.privacy.latest_export(await account_id(chat.app, user))
    assert record is not None
    return record.id


async def test_a_sweep_run_twice_removes_what_is_due_once_and_nothing_more(
    chat: Chat, travel: Travel, photo: Path
) -> None:
    app = chat.app
    root = app.settings.blob_root
    alice = await account_id(app, "alice")
    bob = await account_id(app, "bob")

    # Day 0. A kept image: its upload is what rerolls and reformats work from.
    kept = await chat.say(f"/imagine --image {photo} --format square")
    assert isinstance(kept, Progress)
    (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    kept_image = done.images[0].id
    # An image made and then forgotten: nothing works from its upload any more.
    await chat.say(f"/imagine --image {photo} --format square")
    (forgotten,) = await chat.run_jobs()
    assert isinstance(forgotten, Images)
    assert isinstance(await chat.say(f"/forget {forgotten.images[0].id}"), Private)
    # A cancelled job whose upload a crash between the cancel and the discard left behind.
    cancelled = await chat.say(f"/imagine --image {photo} --format square")
    assert isinstance(cancelled, Progress) and cancelled.job_id
    assert isinstance(await chat.say(f"/cancel {cancelled.job_id}"), Text)
    await app.blobs.put(upload_key(alice, cancelled.job_id), product_photo(), "image/png")
    # An export (expires tomorrow), an erasure never confirmed, a restricted account.
    old_export = await exported(chat, "alice")
    assert isinstance(await chat.say("/delete-me"), Confirm)
    assert isinstance(await chat.say("/privacy restrict on", "carol"), Private)
    carol = await account_id(app, "carol")
    # Files of an account erased while its file deletion crashed; a write that died.
    ghost = uuid.uuid4().hex
    await app.blobs.put(f"images/{ghost}/img_a.png", b"png", "image/png")
    await app.blobs.put(f"uploads/{ghost}/job_a.png", b"png", "image/png")
    half = root / "images" / alice / ".img_half.png.4242.tmp"
    half.write_bytes(b"half")

    # 91 days later, less two hours: bob exports (kept), alice acts again (kept).
    travel.offset = timedelta(days=91) - timedelta(hours=2)
    young_export = await exported(chat, "bob")
    assert isinstance(await chat.say("/privacy consent analytics off"), Private)
    sweep_at = travel() + timedelta(hours=2)
    writing = root / "images" / alice / ".img_writing.png.4243.tmp"
    writing.write_bytes(b"still being written")
    os.utime(writing, (sweep_at.timestamp() - 600,) * 2)

    assert await count_rows(app, "access_log", f"account_id = '{alice}'") == 4
    staying = {
        root / upload_key(alice, kept.job_id or ""),
        root / "images" / alice / f"{kept_image}.png",
        writing,
        root / "exports" / bob / f"{young_export}.zip",
    }
    assert staying < set(blob_files(app.settings.data_dir))
    sweeper = Sweeper(uow_factory=app.uow_factory, blobs=app.blobs, clock=lambda: sweep_at)

    first = await sweeper.sweep()
    assert first == Swept(
        uploads=2,  # the forgotten image's and the cancelled job's
        access_log=3,  # alice's export, delete asked, forget; not carol's, not the young one
        exports=1,
        confirmations=1,
        leftovers=1,
        erased_accounts_files=2,
    )
    assert set(blob_files(app.settings.data_dir)) == staying
    assert not (root / "images" / ghost).exists() and not (root / "uploads" / ghost).exists()

    second = await sweeper.sweep()
    assert second == Swept() and second.total == 0
    assert set(blob_files(app.settings.data_dir)) == staying
    assert await count_rows(app, "access_log", f"account_id = '{alice}'") == 1
    assert await count_rows(app, "access_log", f"account_id = '{carol}'") == 1
    assert await count_rows(app, "access_log", f"account_id = '{bob}'") == 1
    assert await count_rows(app, "exports") == 1
    assert await count_rows(app, "exports", f"id = '{young_export}'") == 1
    assert await count_rows(app, "confirmations") == 0

    async with TestClient(TestServer(create_web_app(app))) as client:
        for export_id, status in ((old_export, 404), (young_export, 200)):
            token = app.links.link(EXPORT, export_id, timedelta(hours=1)).rsplit("/", 1)[1]
            assert (await client.get(f"/x/{token}")).status == status
