"""Separate processes sharing one database: `aioe migrate`, and `aioe worker` finishing jobs."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import inspect

from adapters.sql.engine import create_engine
from core.model import DEFAULT_QUEUE, JobStatus
from core.replies import Progress
from tests.harness import Chat, product_photo, running_app

AIOE = str(Path(sys.executable).with_name("aioe"))


def environment(data_dir: Path, database_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIOE_", "OPENAI_"))}
    return {
        **keep,
        "AIOE_DATA_DIR": str(data_dir),
        "AIOE_DATABASE_URL": database_url,
        "AIOE_SECRET_KEY": "test-secret",
        "AIOE_LOG_LEVEL": "WARNING",
    }


async def test_migrate_creates_every_table(tmp_path: Path, database_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        AIOE,
        "migrate",
        env=environment(tmp_path, database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    assert "up to date" in out.decode()
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"accounts", "identities", "ledger", "jobs", "images"} <= tables


async def test_a_worker_process_finishes_jobs_queued_by_another(
    tmp_path: Path, database_url: str
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    data_dir = tmp_path / "var"
    async with running_app(data_dir, database_url) as app:
        chat = Chat(app, queue=DEFAULT_QUEUE)
        queued = [await chat.say(f"/imagine --image {photo} --format square") for _ in range(3)]
        job_ids = [reply.job_id for reply in queued if isinstance(reply, Progress)]
        assert len(job_ids) == 3
        worker = await asyncio.create_subprocess_exec(
            AIOE,
            "worker",
            "--concurrency",
            "2",
            "--drain",
            env=environment(data_dir, database_url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(worker.communicate(), 120)
        assert worker.returncode == 0, err.decode()
        assert out.decode().strip() == "3 job(s) run"
        async with app.uow_factory(readonly=True) as uow:
            for job_id in job_ids:
                job = await uow.jobs.get(job_id)
                assert job is not None and job.status is JobStatus.SUCCEEDED
        assert await chat.count("images") == 3
        assert await chat.balance() == 10 - 3
