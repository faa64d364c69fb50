"""Run the fake Slack on 127.0.0.1: the Web API, files, response URLs, Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from aiohttp import web

from tests.fakes.slack_server.fake import (
    DEFAULT_APP_ID,
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_TEAM,
    FakeSlack,
)
from tests.fakes.slack_server.files import MAX_UPLOAD_BYTES, Files
from tests.fakes.slack_server.response_urls import ResponseUrls
from tests.fakes.slack_server.web_api import WebApi

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8"><title>Slack</title></head>
<body class="signin"><h1>Sign in to Slack</h1>
<form id="signin_form" action="/" method="post"><input type="email" name="email">
<input type="password" name="password"><button type="submit">Sign in</button></form>
</body></html>
"""


async def handle_login(request: web.Request) -> web.Response:
    """The workspace's sign-in page, where Slack sends a download it cannot authorize."""
    return web.Response(text=LOGIN_PAGE, content_type="text/html")


@asynccontextmanager
async def slack_server(
    *,
    tokens: Mapping[str, str] | None = None,
    app_token: str = DEFAULT_APP_TOKEN,
    app_id: str = DEFAULT_APP_ID,
) -> AsyncIterator[FakeSlack]:
    """Run the fake on 127.0.0.1 for the block. ``tokens`` maps team ids to bot tokens (each
    team becomes an installed workspace); by default ``{"T0001": "xoxb-0001-fake"}``."""
    fake = FakeSlack(app_token=app_token, app_id=app_id)
    installed = tokens if tokens is not None else {DEFAULT_TEAM: DEFAULT_BOT_TOKEN}
    for team_id, token in installed.items():
        fake.add_workspace(team_id, bot_token=token)
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    WebApi(fake).add_to(app.router)
    Files(fake).add_to(app.router)
    ResponseUrls(fake).add_to(app.router)
    app.router.add_get("/link/", fake.socket_mode.handle)
    app.router.add_get("/", handle_login)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.url = f"http://{host}:{port}/"
        fake.api_url = f"{fake.url}api/"
        yield fake
    finally:
        await fake.close_sockets()
        await runner.cleanup()
