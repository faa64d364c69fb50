"""Terminal sessions: each gets only its own results; a closed terminal holds no credits."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

from adapters.console.chat import ConsoleChat
from bot.bootstrap import App
from core.model import JobStatus
from core.replies import Progress, Statement
from tests.harness import product_photo


async def status(app: App, job_id: str) -> JobStatus:
    async with app.uow_factory(readonly=True) as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job.status


async def test_a_terminal_never_takes_or_shows_another_terminals_jobs(
    app: App, tmp_path: Path
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    alice_out, bob_out = io.StringIO(), io.StringIO()
    alice = ConsoleChat(app.bot, app.uow_factory, user="alice", json_mode=True, out=alice_out)
    bob = ConsoleChat(app.bot, app.uow_factory, user="bob", json_mode=True, out=bob_out)
    app.deliveries.register(alice.route, alice)
    alice_worker = app.worker()  # takes only what this process can deliver: alice's

    bobs = await bob.say(f"/imagine --image {photo}")
    assert isinstance(bobs, Progress)
    assert await alice_worker.drain() == 0
    await alice.say(f"/imagine --image {photo}")
    assert await alice_worker.drain() == 1

    kinds = [json.loads(line)["type"] for line in alice_out.getvalue().splitlines()]
    assert kinds == ["progress", "images"]
    assert await status(app, bobs.job_id) is JobStatus.QUEUED
    assert bob_out.getvalue().count("\n") == 1  # only its own progress line


async def test_an_interrupted_terminal_cancels_its_jobs_and_returns_the_credits(
    app: App, tmp_path: Path
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    out = io.StringIO()
    chat = ConsoleChat(app.bot, app.uow_factory, user="carol", json_mode=True, out=out)
    app.deliveries.register(chat.route, chat)
    asked_again = asyncio.Event()

    async def typing() -> AsyncIterator[str]:
        yield f"/imagine --image {photo} --n 2"
        asked_again.set()  # the first line is handled; the user is still typing
        await asyncio.Event().wait()
        yield "never reached"

    session = asyncio.create_task(chat.run(typing()))
    await asked_again.wait()
    session.cancel()  # Ctrl-C: no worker ever ran the job
    await asyncio.gather(session, return_exceptions=True)
    job_id = json.loads(out.getvalue().splitlines()[0])["job_id"]
    assert await status(app, job_id) is JobStatus.CANCELLED
    reply = await chat.say("/credits")
    assert isinstance(reply, Statement) and reply.balance == 10
