"""The bot behind its HTTP server, a fake Slack, and Slack's request signing."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.bootstrap import App
from bot.web import start_web
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM, FakeSlack, slack_server
from tests.harness import product_photo, running_app

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U2147483697"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed_headers(
    body: str, content_type: str, secret: str = SIGNING_SECRET, at: float | None = None
) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    timestamp = str(int(at if at is not None else time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


@dataclass
class SlackSender:
    """Sends requests to a bot's ``events_url`` as Slack does, signed."""

    slack: FakeSlack
    events_url: str
    channel: str

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, float]:
        """Send a request as Slack does; returns its status and how long the ack took."""
        sent = {**signed_headers(body, content_type), **(headers or {})}
        started = time.perf_counter()
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.events_url, data=body.encode(), headers=sent) as response,
        ):
            await response.read()
            return response.status, time.perf_counter() - started

    async def command(self, command: str, text: str, user: str = USER) -> tuple[int, float]:
        form = {
            "token": "legacy",
            "team_id": DEFAULT_TEAM,
            "team_domain": "example",
            "channel_id": self.channel,
            "channel_name": "marketing",
            "user_id": user,
            "user_name": "steve",
            "command": command,
            "text": text,
            "api_app_id": self.slack.app_id,
            "response_url": self.slack.response_url(DEFAULT_TEAM, self.channel, user),
            "trigger_id": self.slack.trigger_id(DEFAULT_TEAM, user),
        }
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], event_id: str, headers: dict[str, str] | None = None
    ) -> tuple[int, float]:
        body = {
            "token": "legacy",
            "team_id": DEFAULT_TEAM,
            "api_app_id": self.slack.app_id,
            "event": {"team": DEFAULT_TEAM, **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": DEFAULT_TEAM,
                    "user_id": self.slack.bot_user_id(DEFAULT_TEAM),
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        return await self.post(json.dumps(body), "application/json", headers)

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, float]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


@dataclass
class SlackRig(SlackSender):
    """One running bot in this process (``app``) and the fake Slack it talks to."""

    app: App | None = None

    @property
    def bot(self) -> App:
        assert self.app is not None
        return self.app

    async def finish_jobs(self) -> int:
        """Run every due job in this process (its deliveries include Slack's)."""
        return await self.bot.worker("slack-test-worker").drain()

    async def count(self, table: str) -> int:
        from sqlalchemy import text

        async with self.app.engine.connect() as connection:
            return int(
                (await connection.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one()
            )


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 30) -> None:
    """Wait (bounded) for work a lazy listener does after Slack got its ack."""
    async with asyncio.timeout(within):
        while True:
            outcome = check()
            if await outcome if isinstance(outcome, Awaitable) else outcome:
                return
            await asyncio.sleep(0.02)


def photo_event(slack: FakeSlack, channel: str, text: str) -> tuple[dict[str, Any], str]:
    """A message with a product photo that mentions the bot, as Slack sends it; and its
    ``ts`` (the thread the results belong in)."""
    asked = slack.add_user_message(DEFAULT_TEAM, channel, USER, text)
    photo = slack.add_user_file(DEFAULT_TEAM, product_photo(), "box.png", "image/png", user=USER)
    event = {
        "type": "app_mention",
        "user": USER,
        "text": text,
        "ts": asked.ts,
        "channel": channel,
        "event_ts": asked.ts,
        "files": [photo],
    }
    return event, asked.ts


@asynccontextmanager
async def serving(
    tmp_path: Path, database_url: str, slack: FakeSlack, **settings: Any
) -> AsyncIterator[tuple[App, str]]:
    """The bot pointed at the fake Slack, behind its HTTP server: the app and its URL."""
    port = free_port()
    async with running_app(
        tmp_path / "var",
        database_url,
        public_url=f"http://127.0.0.1:{port}",
        slack_api_url=slack.api_url,
        slack_signing_secret=SIGNING_SECRET,
        **settings,
    ) as app:
        runner = await start_web(app, "127.0.0.1", port)
        try:
            yield app, f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


@asynccontextmanager
async def slack_rig(tmp_path: Path, database_url: str, **settings: Any) -> AsyncIterator[SlackRig]:
    async with slack_server() as slack:
        channel = slack.add_channel(DEFAULT_TEAM, "marketing", members=(USER,)).id
        settings.setdefault("slack_bot_token", DEFAULT_BOT_TOKEN)
        async with serving(tmp_path, database_url, slack, **settings) as (app, url):
            yield SlackRig(slack, f"{url}/slack/events", channel, app)
