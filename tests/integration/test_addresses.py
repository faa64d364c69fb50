"""Adapters own their addresses: re-addressed once a parent message exists, secrets
kept only as long as they are needed, files readable for upload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.translate import translate
from bot.bootstrap import App
from core.errors import NotFound
from core.identity import Requester
from core.model import Job, ReplyAddress
from core.outbox import OutboxPolicy
from core.replies import Images, Progress, Reply

ALICE = Requester("slack", "T1", "U1", "Alice")


class Recording:
    """A delivery that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[ReplyAddress, Reply]] = []

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        self.sent.append((address, reply))


async def queue(app: App, photo: Path, address: ReplyAddress) -> str:
    command = await translate(f"/imagine --image {photo} --format square")
    reply = await app.bot.handle(ALICE, command, address)
    assert isinstance(reply, Progress)
    return reply.job_id


async def stored(app: App, job_id: str) -> Job:
    async with app.uow_factory(readonly=True) as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job


@pytest.fixture
def slack(app: App) -> Recording:
    recording = Recording()
    app.deliveries.register("slack", recording)
    return recording


async def test_a_job_readdressed_under_its_parent_message_delivers_there(
    app: App, slack: Recording, photo: Path
) -> None:
    pending = ReplyAddress("slack", fields={"channel": "C1"}, final=False)
    job_id = await queue(app, photo, pending)
    worker = app.worker("w", routes=("slack",))
    assert await worker.drain() == 1
    assert slack.sent == []  # held: the adapter has not posted its parent message yet
    threaded = ReplyAddress("slack", fields={"channel": "C1", "thread": "1700000000.000100"})
    assert await app.bot.readdress(job_id, threaded)
    ((address, reply),) = slack.sent
    assert address.get("thread") == "1700000000.000100" and isinstance(reply, Images)
    assert not await app.bot.readdress(job_id, pending)  # delivered: nothing to change


async def test_a_held_reply_goes_to_the_first_address_if_none_follows(
    app: App, slack: Recording, photo: Path
) -> None:
    job_id = await queue(app, photo, ReplyAddress("slack", fields={"channel": "C1"}, final=False))
    assert await app.worker("w", routes=("slack",)).drain() == 1
    assert await app.outbox.flush() == 0
    app.outbox.policy = OutboxPolicy(hold_seconds=0)
    assert await app.outbox.flush() == 1
    assert slack.sent[0][0].get("channel") == "C1"
    assert (await stored(app, job_id)).delivered_at is not None


async def test_an_interaction_token_is_wiped_once_the_reply_is_delivered(
    app: App, slack: Recording, photo: Path
) -> None:
    later = datetime.now(UTC) + timedelta(minutes=15)
    address = ReplyAddress(
        "slack", fields={"channel": "C1"}, secrets={"token": "xyz"}, secrets_expire_at=later
    )
    job_id = await queue(app, photo, address)
    assert (await stored(app, job_id)).address.secrets == {"token": "xyz"}
    assert await app.worker("w", routes=("slack",)).drain() == 1
    assert slack.sent[0][0].secrets == {"token": "xyz"}  # the delivery could use it
    assert (await stored(app, job_id)).address.secrets == {}


async def test_an_interaction_token_is_wiped_when_it_expires_undelivered(
    app: App, photo: Path
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=1)
    address = ReplyAddress(
        "slack", fields={"channel": "C1"}, secrets={"token": "xyz"}, secrets_expire_at=soon
    )
    job_id = await queue(app, photo, address)
    async with app.uow_factory() as uow:
        assert await uow.jobs.wipe_secrets(datetime.now(UTC)) == 0
        assert await uow.jobs.wipe_secrets(soon + timedelta(seconds=1)) == 1
        await uow.commit()
    assert (await stored(app, job_id)).address.secrets == {}


async def test_a_delivery_reads_an_images_bytes_by_its_id(
    app: App, slack: Recording, photo: Path
) -> None:
    await queue(app, photo, ReplyAddress("slack", fields={"channel": "C1"}))
    assert await app.worker("w", routes=("slack",)).drain() == 1
    ((_, reply),) = slack.sent
    assert isinstance(reply, Images)
    (image,) = reply.images
    file = await app.image_files.read(image.id)
    assert file.data.startswith(b"\x89PNG") and file.content_type == image.content_type
    assert file.filename == image.filename
    async with app.uow_factory() as uow:
        await uow.images.delete(image.id)
        await uow.commit()
    with pytest.raises(NotFound):
        await app.image_files.read(image.id)
