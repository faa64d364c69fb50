"""Slack's HTTP requests, from aiohttp into bolt and back."""

from __future__ import annotations

import re
from collections.abc import Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


def well_formed(headers: Mapping[str, str]) -> bool:
    """Signature headers in Slack's shape; bolt checks the signature itself (a timestamp
    it cannot read would otherwise end in a 500)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    return timestamp.isdigit() and len(timestamp) <= 12 and bool(_SIGNATURE.match(signature))


def mount(router: web.UrlDispatcher, app: AsyncApp) -> None:
    """``POST /slack/events`` (commands, events, interactivity: bolt verifies the
    signature), and the OAuth install pages when the app installs by OAuth."""

    async def events(request: web.Request) -> web.Response:
        if not well_formed(request.headers):
            return web.Response(status=401, text="invalid request")
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    router.add_post(EVENTS_PATH, events)
    flow = app.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    router.add_get(INSTALL_PATH, install)
    router.add_get(REDIRECT_PATH, redirect)
