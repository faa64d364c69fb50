"""Removed from a server: ``aioe discord run``'s gateway cancels and refunds that server's
running jobs and gives up replies that can no longer reach it; people keep accounts."""

from __future__ import annotations

import asyncio
import contextlib

from adapters.discord.identity import NAMESPACE, PLATFORM
from adapters.discord.setup import DiscordConfig, DiscordSide
from bot.bootstrap import App
from core.commands import ImageUpload, Imagine
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Progress
from tests.adapters.discord.test_gateway import CHANNEL, GUILD, MASON, fake  # noqa: F401
from tests.fakes.discord_server import FakeDiscord
from tests.harness import count_rows, product_photo

OTHER_GUILD = 81384788765712384


async def queue_in(app: App, guild: int) -> str:
    mason = Requester(PLATFORM, str(guild), MASON["id"], "Mason", namespace=NAMESPACE)
    address = ReplyAddress(PLATFORM, fields={"channel": str(CHANNEL), "user": MASON["id"]})
    reply = await app.bot.handle(
        mason, Imagine(image=ImageUpload(product_photo())), address, key=f"i-{guild}"
    )
    assert isinstance(reply, Progress), reply
    return reply.job_id


async def test_leaving_a_server_cancels_its_jobs_and_refunds_them(
    app: App,
    fake: FakeDiscord,  # noqa: F811  (the fixture, imported above)
) -> None:
    stranded = await queue_in(app, GUILD)
    elsewhere = await queue_in(app, OTHER_GUILD)
    mason = Requester(PLATFORM, str(GUILD), MASON["id"], "Mason", namespace=NAMESPACE)
    assert (await app.bot.open_account(mason)).balance == 10 - 2
    side = DiscordSide(
        DiscordConfig(
            token=fake.bot_token,
            api_url=fake.api_url,
            secret="test-secret",
            gateway_url=fake.gateway_url,
        ),
        app.image_files,
    )
    running = asyncio.create_task(side.run_gateway(app.bot, app.catalog))
    try:
        await fake.wait_ready()
        await fake.dispatch("GUILD_DELETE", {"id": str(GUILD)})

        async def cancelled() -> bool:
            return await count_rows(app, "jobs", f"id = '{stranded}' AND status = 'cancelled'") == 1

        for _ in range(100):
            if await cancelled():
                break
            await asyncio.sleep(0.05)
        assert await cancelled()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert await count_rows(app, "jobs", f"id = '{elsewhere}' AND status = 'queued'") == 1
    assert await count_rows(app, "jobs", f"id = '{stranded}' AND undeliverable_at IS NOT NULL")
    assert (await app.bot.open_account(mason)).balance == 10 - 1
