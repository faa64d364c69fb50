"""Run the fake Discord on 127.0.0.1: REST under ``/api/v10``, the gateway, and the CDN."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from tests.fakes.discord_server.fake import FakeDiscord
from tests.fakes.discord_server.gateway import Gateway
from tests.fakes.discord_server.interactions import InteractionRoutes
from tests.fakes.discord_server.rest import API_PREFIX, BotRoutes, edge

DEFAULT_BOT_TOKEN = "MTE4MzM0OTM5MzYxNzQ2MTI0OA.GfakeB.fake-discord-bot-token-for-tests-only"
DEFAULT_APPLICATION_ID = 1183349393617461248
#: Discord's own HELLO interval (ms); discord.py waits this long between heartbeats.
HEARTBEAT_INTERVAL = 41250
MAX_BODY = 26 * 1024 * 1024


@asynccontextmanager
async def discord_server(
    *,
    bot_token: str = DEFAULT_BOT_TOKEN,
    application_id: int = DEFAULT_APPLICATION_ID,
    bot_username: str = "AIOE",
    heartbeat_interval: int = HEARTBEAT_INTERVAL,
    privileged_intents: int = 0,
    recommended_shards: int = 1,
) -> AsyncIterator[FakeDiscord]:
    """Run the fake for the block. The bot user's id is the application id (as for every
    bot created since 2020); ``privileged_intents`` are the ones enabled in the
    application's settings (none by default); ``recommended_shards`` is what
    ``GET /gateway/bot`` answers."""
    fake = FakeDiscord(
        bot_token=bot_token,
        application_id=application_id,
        bot_username=bot_username,
        heartbeat_interval=heartbeat_interval,
        privileged_intents=privileged_intents,
        recommended_shards=recommended_shards,
    )
    fake.gateway = Gateway(fake)
    app = web.Application(middlewares=[edge(fake)], client_max_size=MAX_BODY)
    BotRoutes(fake).add_to(app.router, API_PREFIX)
    InteractionRoutes(fake).add_to(app.router, API_PREFIX)
    fake.cdn.add_to(app.router)
    app.router.add_get("/gateway", fake.gateway.handle)
    app.router.add_get("/resume-gateway", fake.gateway.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.url = fake.cdn.base = f"http://{host}:{port}"
        fake.api_url = f"{fake.url}{API_PREFIX}"
        fake.gateway_url = f"ws://{host}:{port}/gateway"
        fake.resume_gateway_url = f"ws://{host}:{port}/resume-gateway"
        yield fake
    finally:
        await fake.gateway.close_all()
        await runner.cleanup()
