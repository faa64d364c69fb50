"""Separate processes sharing one database: migrations, workers finishing and delivering
jobs queued elsewhere, replies that survive a killed process, terminals that die."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import inspect

from adapters.console.translate import translate
from adapters.sql.engine import create_engine, migrate_async
from bot.bootstrap import App
from core.identity import Requester
from core.model import JobStatus, ReplyAddress
from core.replies import Images, Progress
from tests.e2e.recorder import PLATFORM, URL_VARIABLE, recorder_server
from tests.harness import running_app

AIOE = str(Path(sys.executable).with_name("aioe"))
ROOT = Path(__file__).resolve().parents[2]
ALICE = Requester(PLATFORM, "team", "U1", "Alice")


def environment(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIOE_", "OPENAI_"))}
    return {
        **keep,
        "AIOE_DATA_DIR": str(data_dir),
        "AIOE_DATABASE_URL": database_url,
        "AIOE_SECRET_KEY": "test-secret",
        "AIOE_LOG_LEVEL": "WARNING",
        # Jobs queued by one process are found by another's worker at once, and a reply
        # that failed is tried again a second later: tests wait on neither for long.
        "AIOE_WORKER_POLL_SECONDS": "0.1",
        "AIOE_DELIVERY_RETRY_SECONDS": "1",
        **extra,
    }


@asynccontextmanager
async def process(
    *args: str, env: dict[str, str], stdin: int | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A child process, killed at the end of the block if it is still running."""
    child = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        cwd=ROOT,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield child
    finally:
        if child.returncode is None:
            child.kill()
        await child.communicate()


def recorder_worker(*args: str) -> tuple[str, ...]:
    """``aioe worker ARGS`` in a process that can deliver to the recorder platform."""
    return (sys.executable, "-m", "tests.e2e.recorder", "worker", *args)


async def status_and_delivery(app: App, job_id: str) -> tuple[JobStatus, bool]:
    async with app.uow_factory(readonly=True) as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job.status, job.delivered_at is not None


async def recorded_as_delivered(app: App, job_id: str) -> None:
    """Wait (a minute at most) until the database says the job's reply went out."""
    for _ in range(3000):
        if (await status_and_delivery(app, job_id))[1]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the reply of {job_id} was never recorded as delivered")


async def imagine_for_recorder(app: App, photo: Path, channel: str = "C1") -> str:
    """Queue a studio job whose reply goes to the recorder platform."""
    address = ReplyAddress(PLATFORM, fields={"channel": channel})
    command = await translate(f"/imagine --image {photo} --format square")
    reply = await app.bot.handle(ALICE, command, address)
    assert isinstance(reply, Progress), reply
    return reply.job_id


async def test_migrate_creates_every_table(tmp_path: Path, empty_database_url: str) -> None:
    database_url = empty_database_url
    async with process(AIOE, "migrate", env=environment(tmp_path, database_url)) as child:
        out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, err.decode()
    assert "up to date" in out.decode()
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"accounts", "identities", "wallets", "ledger", "jobs", "images"} <= tables


async def test_a_worker_process_finishes_and_delivers_jobs_queued_by_another(
    tmp_path: Path, photo: Path, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    async with recorder_server() as recorder, running_app(data_dir, database_url) as app:
        job_ids = [await imagine_for_recorder(app, photo, f"C{i}") for i in range(3)]
        env = environment(data_dir, database_url, **{URL_VARIABLE: recorder.url})
        async with process(*recorder_worker("--concurrency", "2", "--drain"), env=env) as child:
            out, err = await asyncio.wait_for(child.communicate(), 120)
        assert child.returncode == 0, err.decode()
        assert out.decode().strip() == "3 job(s) run"
        for job_id in job_ids:
            assert await status_and_delivery(app, job_id) == (JobStatus.SUCCEEDED, True)
        assert sorted(d["fields"]["channel"] for d in recorder.completed) == ["C0", "C1", "C2"]
        for delivered in recorder.completed:  # the delivery read each file through the port
            (image,) = delivered["reply"]["images"]
            assert list(delivered["files"]) == [image["id"]]
        assert (await app.bot.open_account(ALICE)).balance == 10 - 3


async def test_a_reply_no_process_could_deliver_waits_for_one_that_can(
    tmp_path: Path, photo: Path, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    async with recorder_server() as recorder, running_app(data_dir, database_url) as app:
        job_id = await imagine_for_recorder(app, photo)
        # This process finishes the job, but has no delivery for the recorder platform.
        assert PLATFORM not in app.deliveries.routes()
        finisher = app.worker("finisher", routes=(PLATFORM,))
        assert await finisher.drain() == 1
        assert await app.outbox.flush() == 0
        assert await status_and_delivery(app, job_id) == (JobStatus.SUCCEEDED, False)

        env = environment(data_dir, database_url, **{URL_VARIABLE: recorder.url})
        for _ in range(2):  # a second run finds nothing left to send
            async with process(*recorder_worker("--drain"), env=env) as child:
                _, err = await asyncio.wait_for(child.communicate(), 120)
            assert child.returncode == 0, err.decode()
        assert len(recorder.completed) == 1
        assert recorder.completed[0]["reply"]["kind"] == Images.kind
        assert await status_and_delivery(app, job_id) == (JobStatus.SUCCEEDED, True)


async def test_a_worker_killed_while_sending_a_reply_does_not_lose_it(
    tmp_path: Path, photo: Path, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    async with recorder_server() as recorder, running_app(data_dir, database_url) as app:
        job_id = await imagine_for_recorder(app, photo)
        assert await app.worker("finisher", routes=(PLATFORM,)).drain() == 1
        env = environment(
            data_dir,
            database_url,
            AIOE_DELIVERY_LEASE_SECONDS="3",
            **{URL_VARIABLE: recorder.url},
        )
        recorder.gate.clear()  # the platform holds the first send...
        async with process(*recorder_worker(), env=env) as first:
            await asyncio.wait_for(recorder.arrived.wait(), 60)
            first.kill()  # ...and its sender dies mid-send: kill -9
            await first.wait()
        assert recorder.completed == []
        assert await status_and_delivery(app, job_id) == (JobStatus.SUCCEEDED, False)
        recorder.gate.set()
        async with process(*recorder_worker(), env=env) as second:
            await recorder.wait_for(1)  # taken over once the claim's lease lapsed
            await recorded_as_delivered(app, job_id)
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 60)
        assert len(recorder.completed) == 1
        assert await status_and_delivery(app, job_id) == (JobStatus.SUCCEEDED, True)


async def test_a_running_worker_refunds_the_jobs_of_a_terminal_killed_outright(
    tmp_path: Path, photo: Path, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    env = environment(
        data_dir, database_url, AIOE_ENDPOINT_LEASE_SECONDS="3", AIOE_UPKEEP_SECONDS="1"
    )
    lines = "".join(f"/imagine --image {photo} --format marketplace\n" for _ in range(8))
    await migrate_async(database_url)  # as an operator does before starting processes
    async with process(AIOE, "worker", env=env) as worker:
        async with process(AIOE, "chat", "--json", env=env, stdin=-1) as terminal:
            assert terminal.stdin is not None and terminal.stdout is not None
            terminal.stdin.write(lines.encode())
            await terminal.stdin.drain()
            queued = []
            while len(queued) < 8:
                line = await asyncio.wait_for(terminal.stdout.readline(), 60)
                reply = json.loads(line)
                if reply["type"] == "progress":
                    queued.append(reply["job_id"])
            os.kill(terminal.pid, signal.SIGKILL)
            await terminal.wait()
        async with running_app(data_dir, database_url) as app:
            async with asyncio.timeout(60):  # five minutes with the default settings
                while statuses := [
                    (await status_and_delivery(app, job_id))[0] for job_id in queued
                ]:
                    if not {JobStatus.QUEUED, JobStatus.RUNNING} & set(statuses):
                        break
                    await asyncio.sleep(0.05)
            cancelled = statuses.count(JobStatus.CANCELLED)
            succeeded = statuses.count(JobStatus.SUCCEEDED)
            assert cancelled >= 1 and cancelled + succeeded == 8
            terminal_user = Requester("console", "local", "you", "you")
            assert (await app.bot.open_account(terminal_user)).balance == 10 - succeeded
        assert worker.returncode is None  # the worker kept running throughout
