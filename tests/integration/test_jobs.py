"""Durable jobs: retries with backoff, final failures, cancellation, crash recovery."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from core.commands import Reformat, Reroll
from core.endpoints import EndpointLease
from core.errors import ProviderFailed
from core.imaging import RenderedImage, RenderSpec
from core.jobs import RetryPolicy, Worker, release_orphaned
from core.model import JobStatus, ReplyAddress
from core.outbox import Deliveries, Outbox, OutboxPolicy
from core.ports import Delivery
from core.replies import (
    Action,
    ActionKind,
    Choice,
    Error,
    ImageOut,
    Images,
    Progress,
    Reply,
    Statement,
    StatementLine,
    Text,
    reply_from_data,
    reply_to_data,
)
from tests.harness import Chat, blob_files, product_photo, running_app


class ScriptedProvider:
    """An ``ImageProvider`` that fails a set number of times, then draws plain images."""

    name = "scripted"
    supports_prompt_only = True

    def __init__(self, failures: int = 0, *, transient: bool = True) -> None:
        self.failures = failures
        self.transient = transient
        self.calls = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.cancelled = False

    def cost_per_image(self) -> int:
        return 2

    async def render(self, spec: RenderSpec, n: int) -> list[RenderedImage]:
        self.calls += 1
        self.entered.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.calls <= self.failures:
            raise ProviderFailed("the image service is down", transient=self.transient)
        out = io.BytesIO()
        Image.new("RGB", (spec.format.width, spec.format.height), "white").save(out, "PNG")
        return [RenderedImage(out.getvalue(), spec.format.width, spec.format.height)] * n


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
async def jobs_chat(
    tmp_path: Path, database_url: str, provider: ScriptedProvider
) -> AsyncIterator[Chat]:
    async with running_app(tmp_path / "var", database_url, image_provider=provider) as app:
        yield Chat(app)


async def job_status(chat: Chat, job_id: str) -> JobStatus:
    async with chat.app.uow_factory() as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job.status


async def test_a_transient_failure_is_retried_and_then_succeeds(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    provider.failures = 1
    queued = await jobs_chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    (done,) = await jobs_chat.run_jobs()
    assert isinstance(done, Images)
    assert provider.calls == 2
    assert await jobs_chat.balance() == 10 - 2


async def test_a_job_whose_provider_keeps_failing_fails_in_one_sentence_and_costs_nothing(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    provider.failures = 99
    queued = await jobs_chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    assert await jobs_chat.balance() == 8
    (failed,) = await jobs_chat.run_jobs()
    assert isinstance(failed, Error)
    assert failed.text == (
        "Sorry, I couldn't finish that (the image service kept failing); "
        "your 2 credits were returned."
    )
    assert provider.calls == 3  # AIOE_JOB_MAX_ATTEMPTS
    assert await jobs_chat.balance() == 10
    assert await job_status(jobs_chat, queued.job_id) is JobStatus.FAILED
    assert await jobs_chat.count("images") == 0


async def test_a_permanent_failure_is_not_retried(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    provider.failures, provider.transient = 1, False
    await jobs_chat.say("/imagine a red mug")
    (failed,) = await jobs_chat.run_jobs()
    assert isinstance(failed, Error) and provider.calls == 1
    assert await jobs_chat.balance() == 10


async def test_a_queued_job_can_be_cancelled_and_its_credits_come_back(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    queued = await jobs_chat.say("/imagine a red mug --n 2")
    assert isinstance(queued, Progress) and await jobs_chat.balance() == 6
    reply = await jobs_chat.say(f"/cancel {queued.job_id}")
    assert isinstance(reply, Text) and "4 credits were returned" in reply.text
    assert await jobs_chat.balance() == 10
    assert await jobs_chat.run_jobs() == []
    assert provider.calls == 0
    again = await jobs_chat.say(f"/cancel {queued.job_id}")
    assert isinstance(again, Error) and "already finished" in again.text
    assert await jobs_chat.balance() == 10


async def test_a_running_job_that_is_cancelled_keeps_no_images(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    job_id, running = await start_held_job(jobs_chat, provider)
    assert await job_status(jobs_chat, job_id) is JobStatus.RUNNING
    reply = await jobs_chat.say(f"/cancel {job_id}")
    assert isinstance(reply, Text)
    provider.release.set()
    assert await running
    assert jobs_chat.delivered == []
    assert await jobs_chat.count("images") == 0
    assert not [p for p in blob_files(jobs_chat.app.settings.data_dir) if "images" in p.parts]
    assert await jobs_chat.balance() == 10
    assert await job_status(jobs_chat, job_id) is JobStatus.CANCELLED


async def test_nobody_else_can_cancel_your_job(jobs_chat: Chat) -> None:
    queued = await jobs_chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    reply = await jobs_chat.say(f"/cancel {queued.job_id}", user="mallory")
    assert isinstance(reply, Error) and "no job" in reply.text
    assert await job_status(jobs_chat, queued.job_id) is JobStatus.QUEUED


async def test_a_job_left_by_a_crashed_worker_is_taken_over(jobs_chat: Chat) -> None:
    queued = await jobs_chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    lease = jobs_chat.app.settings.job_lease_seconds
    async with jobs_chat.app.uow_factory() as uow:  # a worker that claimed it, then died
        crashed = await uow.jobs.claim(
            "crashed", datetime.now(UTC) - timedelta(seconds=2 * lease), lease, (jobs_chat.route,)
        )
        await uow.commit()
    assert crashed is not None and crashed.id == queued.job_id
    (done,) = await jobs_chat.run_jobs()
    assert isinstance(done, Images)
    assert await jobs_chat.balance() == 8
    async with jobs_chat.app.uow_factory() as uow:
        job = await uow.jobs.get(queued.job_id)
    assert job is not None and job.attempts == 2 and job.status is JobStatus.SUCCEEDED


async def test_an_upload_is_kept_with_its_job(jobs_chat: Chat, tmp_path: Path) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    queued = await jobs_chat.say(f"/imagine --image {photo}")
    assert isinstance(queued, Progress)
    uploads = [p for p in blob_files(jobs_chat.app.settings.data_dir) if "uploads" in p.parts]
    assert [p.stem for p in uploads] == [queued.job_id]


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def worker_with(
    chat: Chat,
    clock: FakeClock,
    *,
    retry: RetryPolicy | None = None,
    delivery: Delivery | None = None,
) -> Worker:
    """A worker on the chat's app with its own clock (and, optionally, delivery)."""
    app = chat.app
    deliveries = Deliveries()
    deliveries.register(chat.route, delivery or chat)
    return Worker(
        name="clocked",
        uow_factory=app.uow_factory,
        handlers=app.job_handlers,
        credits=app.credits,
        blobs=app.blobs,
        deliveries=deliveries,
        outbox=Outbox(
            owner="clocked",
            uow_factory=app.uow_factory,
            deliveries=deliveries,
            clock=clock,
            policy=OutboxPolicy(base_seconds=10),
        ),
        clock=clock,
        retry=retry,
    )


async def start_held_job(chat: Chat, provider: ScriptedProvider) -> tuple[str, asyncio.Task[bool]]:
    """Queue a job and start running it; the provider holds until ``provider.release``."""
    provider.release.clear()
    queued = await chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    running = asyncio.create_task(chat.worker.run_once())
    await provider.entered.wait()
    return queued.job_id, running


def test_backoff_doubles_up_to_its_cap_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60, max_wait_seconds=300)
    assert [policy.delay(attempt) for attempt in (1, 2, 3, 4, 10)] == [2, 4, 8, 16, 60]
    assert policy.delay(1, retry_after=45) == 45
    assert policy.delay(1, retry_after=86_400) == 300


async def test_a_retried_job_waits_for_its_backoff(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    clock = FakeClock()
    worker = worker_with(jobs_chat, clock, retry=RetryPolicy(base_seconds=30))
    provider.failures = 1
    await jobs_chat.say("/imagine a red mug")
    assert await worker.drain() == 1  # tried once, failed, queued again
    assert await worker.drain() == 0  # not due yet
    clock.now += timedelta(seconds=29)
    assert await worker.drain() == 0
    clock.now += timedelta(seconds=2)
    assert await worker.drain() == 1
    assert provider.calls == 2
    (done,) = jobs_chat.delivered
    assert isinstance(done, Images)


async def test_a_worker_that_lost_its_job_keeps_nothing_and_spoils_nothing(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    job_id, slow = await start_held_job(jobs_chat, provider)
    async with jobs_chat.app.uow_factory() as uow:  # its lease lapses...
        await uow.jobs.transition(
            job_id,
            JobStatus.RUNNING,
            expect=(JobStatus.RUNNING,),
            now=datetime.now(UTC),
            lease_expires_at=datetime.now(UTC),
        )
        await uow.commit()
    other = jobs_chat.app.worker("other", routes=(jobs_chat.route,))
    provider.release.set()
    assert await other.run_once()  # ...and another worker takes over and finishes it
    assert await slow
    (done,) = jobs_chat.delivered
    assert isinstance(done, Images)
    async with jobs_chat.app.uow_factory(readonly=True) as uow:
        record = await uow.images.get(done.images[0].id)
    assert record is not None
    assert await jobs_chat.app.blobs.exists(record.blob_key)
    assert await jobs_chat.count("images") == 1
    image_files = [p for p in blob_files(jobs_chat.app.settings.data_dir) if "images" in p.parts]
    assert len(image_files) == 1  # the loser's files are gone, the winner's kept


async def test_a_cancelled_job_stops_its_provider_at_the_next_heartbeat(
    tmp_path: Path, database_url: str, provider: ScriptedProvider
) -> None:
    async with running_app(
        tmp_path / "var", database_url, image_provider=provider, job_lease_seconds=0.3
    ) as app:
        chat = Chat(app)
        job_id, running = await start_held_job(chat, provider)
        assert isinstance(await chat.say(f"/cancel {job_id}"), Text)
        assert await asyncio.wait_for(running, 5)  # returns without the provider finishing
        assert provider.cancelled
        assert chat.delivered == []
        assert await chat.balance() == 10


async def test_each_user_gets_only_their_own_results(jobs_chat: Chat) -> None:
    await jobs_chat.say("/imagine a red mug", user="alice")
    await jobs_chat.say("/imagine a blue mug", user="bob")
    replies = await jobs_chat.run_jobs()
    assert len(replies) == 2
    assert sorted(jobs_chat.recipients) == ["alice", "bob"]
    assert await jobs_chat.balance("alice") == await jobs_chat.balance("bob") == 8


async def test_a_handler_cancelled_from_inside_fails_its_job_and_the_worker_goes_on(
    jobs_chat: Chat, provider: ScriptedProvider
) -> None:
    async def cancelled_inside(spec: RenderSpec, n: int) -> list[RenderedImage]:
        raise asyncio.CancelledError  # e.g. a library cancelling its own inner future

    provider.render = cancelled_inside  # type: ignore[method-assign]
    queued = await jobs_chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    assert await jobs_chat.worker.run_once()
    assert await job_status(jobs_chat, queued.job_id) is JobStatus.FAILED
    (failed,) = jobs_chat.delivered
    assert isinstance(failed, Error)
    assert await jobs_chat.balance() == 10


async def test_jobs_of_a_chat_session_that_is_gone_are_cancelled_and_refunded(
    jobs_chat: Chat,
) -> None:
    app = jobs_chat.app
    gone = Chat(app, endpoint="term_gone")
    alive = Chat(app, endpoint="term_alive")
    clock = FakeClock()
    seconds = app.settings.endpoint_lease_seconds
    gone_lease, alive_lease = (
        EndpointLease(app.uow_factory, clock, chat.route, seconds) for chat in (gone, alive)
    )
    await gone_lease.beat()
    await alive_lease.beat()
    old = await gone.say("/imagine a red mug", user="dora")
    fresh = await alive.say("/imagine a blue mug", user="eve")
    assert isinstance(old, Progress) and isinstance(fresh, Progress)
    release = lambda: release_orphaned(  # noqa: E731
        uow_factory=app.uow_factory,
        credits=app.credits,
        handlers=app.job_handlers,
        clock=clock,
    )
    assert await release() == 0  # both sessions renewed their lease just now
    clock.now += timedelta(seconds=seconds * 2 / 3)
    await alive_lease.beat()  # only the live session keeps renewing
    clock.now += timedelta(seconds=seconds * 2 / 3)
    assert await release() == 1
    assert await job_status(jobs_chat, old.job_id) is JobStatus.CANCELLED
    assert await job_status(jobs_chat, fresh.job_id) is JobStatus.QUEUED
    assert await jobs_chat.balance("dora") == 10
    assert await release() == 0  # once only


class FlakyDelivery:
    """Delivers through the chat, but fails the first ``failures`` sends."""

    def __init__(self, chat: Chat, failures: int) -> None:
        self.chat = chat
        self.failures = failures

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the platform is down")
        await self.chat.deliver(address, reply)


async def test_a_reply_that_could_not_be_sent_waits_in_the_outbox_and_goes_out_once(
    jobs_chat: Chat,
) -> None:
    flaky = FlakyDelivery(jobs_chat, failures=2)
    clock = FakeClock()
    worker = worker_with(jobs_chat, clock, delivery=flaky)
    queued = await jobs_chat.say("/imagine a red mug")
    assert isinstance(queued, Progress)
    assert await worker.drain() == 1
    assert jobs_chat.delivered == []  # the first send failed
    assert await worker.outbox.flush() == 0  # waiting out its backoff (10 s)
    clock.now += timedelta(seconds=11)
    assert await worker.outbox.flush() == 0  # the second send failed too
    clock.now += timedelta(seconds=11)
    assert await worker.outbox.flush() == 0  # backoff doubled: not due yet
    clock.now += timedelta(seconds=10)
    assert await worker.outbox.flush() == 1
    clock.now += timedelta(hours=1)
    assert await worker.outbox.flush() == 0  # and never again
    (done,) = jobs_chat.delivered
    assert isinstance(done, Images)
    async with jobs_chat.app.uow_factory(readonly=True) as uow:
        job = await uow.jobs.get(queued.job_id)
    assert job is not None and job.delivered_at is not None
    assert await jobs_chat.balance() == 8  # charged once, whatever the deliveries


async def test_a_delivered_reply_is_never_sent_again(jobs_chat: Chat) -> None:
    await jobs_chat.say("/imagine a red mug")
    assert len(await jobs_chat.run_jobs()) == 1
    assert await jobs_chat.worker.outbox.flush() == 0
    assert jobs_chat.delivered == []


def test_replies_survive_the_trip_through_the_database() -> None:
    image = ImageOut(
        "img_1",
        "http://h/i/t",
        10,
        20,
        "png",
        actions=(
            Action(ActionKind.REROLL, "More like this", Reroll("img_1"), "acct_1"),
            Action(
                ActionKind.REFORMAT,
                "Other formats",
                Reformat("img_1", ""),
                "acct_1",
                choices=(Choice("story", "story 1080×1920"),),
            ),
        ),
    )
    statement = Statement(
        3, (StatementLine(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "grant", 3, "welcome"),)
    )
    for reply in (Images("done", (image,)), Error("no"), Text("hi"), statement):
        assert reply_from_data(json.loads(json.dumps(reply_to_data(reply)))) == reply
