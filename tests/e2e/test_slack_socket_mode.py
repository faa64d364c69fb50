"""Slack over Socket Mode: ``aioe serve`` holds the connection (no public URL, no signing
secret), acknowledges each envelope at once, and ``aioe worker`` delivers the images."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp

from adapters.sql.engine import migrate_async
from tests.e2e.test_processes import environment, process
from tests.e2e.test_slack_processes import AIOE, completed, photo_event, png_size, ready
from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_TEAM,
    FakeSlack,
    slack_server,
)
from tests.integration.slack_harness import USER, eventually, free_port, signed_headers

DEADLINE = 3.0  # Slack's: every envelope acknowledged within three seconds


def credits_command(slack: FakeSlack, channel: str) -> dict[str, Any]:
    """A ``slash_commands`` envelope's payload: the fields Slack posts over HTTP, as JSON."""
    return {
        "token": "legacy",
        "team_id": DEFAULT_TEAM,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "marketing",
        "user_id": USER,
        "user_name": "steve",
        "command": "/credits",
        "text": "",
        "api_app_id": slack.app_id,
        "is_enterprise_install": "false",
        "response_url": slack.response_url(DEFAULT_TEAM, channel, USER),
        "trigger_id": slack.trigger_id(DEFAULT_TEAM, USER),
    }


def event_callback(slack: FakeSlack, event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An ``events_api`` envelope's payload: the body Slack would post to a request URL."""
    return {
        "token": "legacy",
        "team_id": DEFAULT_TEAM,
        "api_app_id": slack.app_id,
        "event": {"team": DEFAULT_TEAM, **event},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": DEFAULT_TEAM,
                "user_id": slack.bot_user_id(DEFAULT_TEAM),
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


async def acked_in_time(slack: FakeSlack, envelope: dict[str, Any]) -> dict[str, Any]:
    envelope_id = await slack.socket_send(envelope)
    return await slack.socket_ack(envelope_id, within=DEADLINE)


async def test_socket_mode_answers_a_command_and_a_photo_mention_without_a_request_url(
    tmp_path: Path, database_url: str
) -> None:
    await migrate_async(database_url)
    async with slack_server() as slack:
        channel = slack.add_channel(DEFAULT_TEAM, "marketing", members=(USER,)).id
        port = free_port()
        inherited = environment(tmp_path / "var", database_url)
        env = {key: value for key, value in inherited.items() if not key.startswith("SLACK_")}
        env.update(  # no SLACK_SIGNING_SECRET: Socket Mode needs none
            AIOE_PUBLIC_URL=f"http://127.0.0.1:{port}",
            AIOE_SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN=DEFAULT_BOT_TOKEN,
            SLACK_APP_TOKEN=DEFAULT_APP_TOKEN,
        )
        async with (
            process(AIOE, "serve", "--port", str(port), env=env),
            process(AIOE, "worker", env=env),
        ):
            await ready(port)
            assert await slack.wait_socket(within=30) == 1
            (opened,) = slack.calls_to("apps.connections.open")
            assert opened.ok and opened.token == DEFAULT_APP_TOKEN

            body = json.dumps(event_callback(slack, {"type": "app_mention"}, "EvHttp01"))
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"http://127.0.0.1:{port}/slack/events",
                    data=body.encode(),
                    headers=signed_headers(body, "application/json"),
                ) as answer,
            ):
                assert answer.status == 404  # no signing secret: no request URL

            command = {"type": "slash_commands", "payload": credits_command(slack, channel)}
            ack = await acked_in_time(slack, command)
            assert set(ack) == {"envelope_id"}
            await eventually(lambda: any(m.via == "response_url" for m in slack.messages))
            (answer_message,) = [m for m in slack.messages if m.via == "response_url"]
            assert answer_message.ephemeral_to == USER and "10" in answer_message.text

            bot = slack.bot_user_id(DEFAULT_TEAM)
            event, thread = photo_event(slack, channel, f"<@{bot}> --format square")
            mention = {"type": "events_api", "payload": event_callback(slack, event, "EvSock01")}
            ack = await acked_in_time(slack, mention)
            assert set(ack) == {"envelope_id"}
            await eventually(lambda: completed(slack) == 1, within=90)
            (upload,) = slack.uploads
            assert (upload.channel, upload.thread_ts) == (channel, thread)
            assert png_size(upload.data) == (1080, 1080)
            (download,) = slack.downloads
            assert download.token == DEFAULT_BOT_TOKEN and download.served
