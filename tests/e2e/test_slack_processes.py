"""Slack across processes: ``aioe serve`` takes Slack's requests, ``aioe worker`` delivers."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
from PIL import Image

from adapters.sql.engine import migrate_async
from tests.e2e.test_processes import environment, process
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM, FakeSlack, slack_server
from tests.harness import count_rows, running_app
from tests.integration.slack_harness import (
    SIGNING_SECRET,
    USER,
    SlackSender,
    eventually,
    free_port,
    photo_event,
)

AIOE = str(Path(sys.executable).with_name("aioe"))
DEADLINE = 3.0


async def ready(port: int) -> None:
    """Wait for a server process to answer its health check."""
    async with aiohttp.ClientSession() as session:
        for _ in range(3000):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)
    raise AssertionError(f"the server on port {port} never became ready")


@asynccontextmanager
async def deployment(
    tmp_path: Path, database_url: str, servers: int = 1
) -> AsyncIterator[tuple[FakeSlack, list[SlackSender]]]:
    """A fake Slack, ``servers`` × ``aioe serve`` and one ``aioe worker`` on one database."""
    await migrate_async(database_url)
    async with slack_server() as slack, AsyncExitStack() as stack:
        channel = slack.add_channel(DEFAULT_TEAM, "marketing", members=(USER,)).id
        ports = [free_port() for _ in range(servers)]
        env = environment(
            tmp_path / "var",
            database_url,
            AIOE_PUBLIC_URL=f"http://127.0.0.1:{ports[0]}",
            AIOE_SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN=DEFAULT_BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
        )
        for port in ports:
            await stack.enter_async_context(process(AIOE, "serve", "--port", str(port), env=env))
        await stack.enter_async_context(process(AIOE, "worker", env=env))
        for port in ports:
            await ready(port)
        yield (
            slack,
            [
                SlackSender(slack, f"http://127.0.0.1:{port}/slack/events", channel)
                for port in ports
            ],
        )


def completed(slack: FakeSlack) -> int:
    """Files the bot finished uploading (shared into their channel)."""
    return sum(1 for upload in slack.uploads if upload.completed)


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


async def test_a_photo_mention_and_a_direct_message_become_images_delivered_by_a_worker(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url) as (slack, (server,)):
        bot = slack.bot_user_id(DEFAULT_TEAM)
        text = f"<@{bot}> --template studio-white --format marketplace"
        event, thread = photo_event(slack, server.channel, text)
        status, took = await server.event(event, "Ev1001")
        assert status == 200 and took < DEADLINE
        await eventually(lambda: completed(slack) == 1, within=90)
        (upload,) = slack.uploads
        assert (upload.channel, upload.thread_ts) == (server.channel, thread)
        assert png_size(upload.data) == (2000, 2000)
        (download,) = slack.downloads
        assert download.token == DEFAULT_BOT_TOKEN
        await eventually(
            lambda: any(
                "/i/" in str(m.blocks) for m in slack.messages_in(server.channel, thread_ts=thread)
            ),
            within=30,
        )

        direct = slack.add_channel(DEFAULT_TEAM, "dm", members=(USER,)).id
        event, thread = photo_event(slack, direct, "--format square")
        event = {**event, "type": "message", "channel_type": "im", "subtype": "file_share"}
        status, took = await server.event(event, "Ev1002")
        assert status == 200 and took < DEADLINE
        await eventually(lambda: completed(slack) == 2, within=90)
        assert (slack.uploads[1].channel, slack.uploads[1].thread_ts) == (direct, thread)
        assert png_size(slack.uploads[1].data) == (1080, 1080)


async def test_one_event_retried_to_two_servers_makes_one_job_and_one_result(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url, servers=2) as (slack, servers):
        event, thread = photo_event(slack, servers[0].channel, "<@B> --format square")
        for attempt, server in enumerate((servers[0], servers[1], servers[0])):
            retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
            status, took = await server.event(event, "Ev2001", retry if attempt else None)
            assert status == 200 and took < DEADLINE

        def results() -> list[object]:
            in_thread = slack.messages_in(servers[0].channel, thread_ts=thread)
            return [m for m in in_thread if "Here you are" in m.text]

        await eventually(lambda: len(results()) >= 1, within=90)
        async with running_app(tmp_path / "var", database_url) as app:
            assert await count_rows(app, "jobs") == 1
            assert await count_rows(app, "jobs", "delivered_at IS NULL") == 0
        assert len(results()) == 1 and completed(slack) == 1
