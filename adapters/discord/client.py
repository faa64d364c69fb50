"""The discord.py client ``aioe discord run`` connects: which gateway events it listens
to, and what each one hands to the adapter."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import discord

from adapters.discord.gateway import DiscordGateway
from adapters.discord.identity import PLATFORM
from adapters.discord.purchases import CATCH_UP
from core.app import Bot

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Only ``guilds``: no privileged intent. Entitlement events need none."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class AioeClient(discord.Client):
    """Answers interactions, tidies up after a guild it leaves, and fulfils what people
    buy in the app's store."""

    def __init__(self, *, bot: Bot, answering: DiscordGateway, **options: Any) -> None:
        super().__init__(intents=intents(), **options)
        self.bot = bot
        self.answering = answering

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        try:
            await self.answering.handle(interaction)
        except Exception:
            log.exception("could not answer interaction %s", interaction.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Its running jobs are cancelled and refunded, its undeliverable replies given
        # up; members keep their accounts.
        try:
            await self.bot.tenant_removed(PLATFORM, str(guild.id))
        except Exception:
            log.exception("could not tidy up after leaving guild %s", guild.id)

    async def on_entitlement_create(self, entitlement: discord.Entitlement) -> None:
        await self.answering.purchases.fulfil_quietly(entitlement, current=False)

    async def on_ready(self) -> None:
        """Catch up on purchases made while no session heard of them, and on consumes
        that failed: in the one process that holds shard 0."""
        skus = self.answering.purchases.skus()
        if not skus or not self.holds_shard_zero:
            return
        listed = self.entitlements(
            limit=None,
            after=datetime.now(UTC) - CATCH_UP,
            skus=[discord.Object(sku) for sku in skus],
            exclude_ended=True,
        )
        try:
            consumed = await self.answering.purchases.catch_up(listed)
        except discord.HTTPException:
            log.exception("could not list the store's entitlements")
            return
        if consumed:
            log.info("caught up on %d purchases in Discord's store", consumed)

    @property
    def holds_shard_zero(self) -> bool:
        return self.shard_id in (None, 0)


class AioeShardedClient(AioeClient, discord.AutoShardedClient):
    """The same, holding several shards in one process."""

    @property
    def holds_shard_zero(self) -> bool:
        return self.shard_ids is None or 0 in self.shard_ids
