"""Builds the Discord side from settings: the REST delivery (every process), the gateway
client (one process per shard set) and the registration of application commands."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.discord.client import AioeClient, AioeShardedClient
from adapters.discord.commands import application_commands
from adapters.discord.delivery import DiscordDelivery
from adapters.discord.gateway import DiscordGateway
from core.actions import ActionCodec
from core.app import Bot
from core.files import ImageFiles
from core.templates import Catalog


@dataclass(frozen=True)
class DiscordConfig:
    token: str
    api_url: str
    secret: str
    gateway_url: str | None = None


class DiscordSide:
    def __init__(self, config: DiscordConfig, files: ImageFiles) -> None:
        self.config = config
        self.delivery = DiscordDelivery(
            api_url=config.api_url,
            bot_token=config.token,
            files=files,
            codec=ActionCodec(config.secret),
        )

    async def _get(self, session: aiohttp.ClientSession, path: str) -> Any:
        headers = {"Authorization": f"Bot {self.config.token}"}
        async with session.get(f"{self.config.api_url.rstrip('/')}{path}", headers=headers) as got:
            got.raise_for_status()
            return await got.json()

    async def sync(self, catalog: Catalog, guild: str | None = None) -> list[str]:
        """Register every command (globally, or in one guild for development) with one
        bulk overwrite; returns their names."""
        commands = application_commands(catalog)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            application = await self._get(session, "/oauth2/applications/@me")
            path = f"/applications/{application['id']}"
            path += f"/guilds/{guild}/commands" if guild else "/commands"
            headers = {"Authorization": f"Bot {self.config.token}"}
            url = f"{self.config.api_url.rstrip('/')}{path}"
            async with session.put(url, json=commands, headers=headers) as put:
                put.raise_for_status()
                registered = await put.json()
        return [str(command["name"]) for command in registered]

    async def run_gateway(
        self,
        bot: Bot,
        catalog: Catalog,
        *,
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
    ) -> None:
        """Connect to the gateway and answer interactions (and fulfil purchases in the
        app's store) until cancelled."""
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        Route.BASE = self.config.api_url.rstrip("/")
        gateway = self.config.gateway_url
        if not gateway:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                gateway = str((await self._get(session, "/gateway/bot"))["url"])
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)

        answering = DiscordGateway(bot=bot, catalog=catalog)
        client: AioeClient
        if shard_count:
            client = AioeShardedClient(
                bot=bot, answering=answering, shard_ids=shard_ids, shard_count=shard_count
            )
        else:
            client = AioeClient(bot=bot, answering=answering)

        try:
            await client.start(self.config.token)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(client.close())
