"""Builds the Discord side from settings: the REST delivery (every process), the gateway
client (one process per shard set) and the registration of application commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.discord.commands import application_commands
from adapters.discord.delivery import DiscordDelivery
from adapters.discord.gateway import DiscordGateway
from adapters.discord.identity import PLATFORM
from core.actions import ActionCodec
from core.app import Bot
from core.files import ImageFiles
from core.templates import Catalog

log = logging.getLogger(__name__)


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
        """Connect to the gateway and answer interactions until cancelled."""
        import discord
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        Route.BASE = self.config.api_url.rstrip("/")
        gateway = self.config.gateway_url
        if not gateway:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                gateway = str((await self._get(session, "/gateway/bot"))["url"])
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)

        intents = discord.Intents.none()
        intents.guilds = True
        client: discord.Client
        if shard_count:
            client = discord.AutoShardedClient(
                intents=intents, shard_ids=shard_ids, shard_count=shard_count
            )
        else:
            client = discord.Client(intents=intents)
        answering = DiscordGateway(bot=bot, catalog=catalog)

        @client.event
        async def on_interaction(interaction: discord.Interaction) -> None:
            try:
                await answering.handle(interaction)
            except Exception:
                log.exception("could not answer interaction %s", interaction.id)

        @client.event
        async def on_guild_remove(guild: discord.Guild) -> None:
            # Its running jobs are cancelled and refunded, its undeliverable replies
            # given up; members keep their accounts.
            try:
                await bot.tenant_removed(PLATFORM, str(guild.id))
            except Exception:
                log.exception("could not tidy up after leaving guild %s", guild.id)

        try:
            await client.start(self.config.token)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(client.close())
