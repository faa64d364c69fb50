"""The Discord gateway side: every interaction answered within Discord's 3 seconds.

Each interaction is deferred first, then translated and handed to core; the answer
fills the deferred response. Packs the person bought in Discord's store and that are
still unconsumed (an interaction carries them) are credited before the command runs.
Jobs keep the interaction's token (a secret of their address, valid 15 minutes) so that
any worker can post the results as follow-ups.
Nothing lives in this process's memory that a restart or another shard would need:
a button's custom id carries its whole action.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord

from adapters.discord.commands import suggestions
from adapters.discord.delivery import PLATFORM, discord_fields
from adapters.discord.identity import member_requester
from adapters.discord.purchases import StorePurchases
from adapters.discord.render import press_from_component, render, to_discord_py
from adapters.discord.translate import translate
from core import messages
from core.app import Bot
from core.commands import Command, ImageUpload
from core.errors import AioeError, BadInput
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Error, Progress, Reply
from core.templates import Catalog

log = logging.getLogger(__name__)

#: How long an interaction token can post follow-ups.
TOKEN_LIFE = timedelta(minutes=15)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DOWNLOAD_FAILED = "I couldn't download that attachment from Discord; please send it again."


def requester_of(interaction: discord.Interaction) -> Requester:
    """One Discord user is one identity in every server; the guild is context, and the
    member's permissions there (``member.permissions``) say whether they manage it."""
    user = interaction.user
    return member_requester(
        interaction.guild_id, user.id, user.display_name, interaction.permissions.value
    )


def address_of(interaction: discord.Interaction, now: datetime) -> ReplyAddress:
    fields = discord_fields(
        application=str(interaction.application_id),
        channel=str(interaction.channel_id or ""),
        user=str(interaction.user.id),
        guild=str(interaction.guild_id or ""),
        interaction=str(interaction.id),
        upload_limit=interaction.filesize_limit,
    )
    return ReplyAddress(
        PLATFORM,
        fields=fields,
        secrets={"token": interaction.token},
        secrets_expire_at=now + TOKEN_LIFE,
        final=False,  # until the deferred response is filled (see DiscordGateway._answer)
    )


class DiscordGateway:
    """Answers interactions: defer, translate, ask core, fill the deferred response."""

    def __init__(
        self,
        *,
        bot: Bot,
        catalog: Catalog,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        purchases: StorePurchases | None = None,
    ) -> None:
        self._bot = bot
        self._catalog = catalog
        self._max_upload = max_upload_bytes
        self.purchases = purchases or StorePurchases(bot)

    async def handle(self, interaction: discord.Interaction) -> None:
        kind = interaction.type
        if kind is discord.InteractionType.autocomplete:
            await self._suggest(interaction)
        elif kind is discord.InteractionType.application_command:
            await self._command(interaction)
        elif kind is discord.InteractionType.component:
            await self._press(interaction)

    async def _command(self, interaction: discord.Interaction) -> None:
        await _defer(interaction)
        await self._credit_purchases(interaction)
        try:
            asked = translate({"type": interaction.type.value, "data": interaction.data or {}})
            command: Command = asked.command
            if asked.attachment is not None:
                command = asked.with_image(await self._download(asked.attachment, interaction))
        except AioeError as error:
            await self._answer(interaction, Error(error.message))
            return
        address = address_of(interaction, datetime.now(UTC))
        reply = await self._bot.handle(
            requester_of(interaction), command, address, str(interaction.id)
        )
        await self._answer(interaction, reply, address)

    async def _press(self, interaction: discord.Interaction) -> None:
        await _defer(interaction)
        await self._credit_purchases(interaction)
        try:
            value, choice = press_from_component(interaction.data or {})
        except AioeError as error:
            await self._answer(interaction, Error(error.message))
            return
        address = address_of(interaction, datetime.now(UTC))
        reply = await self._bot.press(
            requester_of(interaction), value, address, choice=choice, key=str(interaction.id)
        )
        await self._answer(interaction, reply, address)

    async def _credit_purchases(self, interaction: discord.Interaction) -> None:
        """What the person bought in the store and is still unconsumed, credited first,
        so that the command sees it (/credits, say)."""
        for entitlement in interaction.entitlements:
            await self.purchases.fulfil_quietly(entitlement, current=True)

    async def _suggest(self, interaction: discord.Interaction) -> None:
        choices = suggestions(interaction.data or {}, self._catalog)
        await interaction.response.autocomplete(
            [discord.app_commands.Choice(name=c["name"], value=c["value"]) for c in choices]
        )

    async def _answer(
        self, interaction: discord.Interaction, reply: Reply, address: ReplyAddress | None = None
    ) -> None:
        """Fill the deferred response, which only the requester sees: errors, private
        answers and a job's progress (a notice opens it; a long document continues in
        ephemeral follow-ups). A job's results come later as public follow-ups, once this
        response is filled (its address was held until then)."""
        first, *more = render(reply, self._bot.actions, private=True)
        kwargs = await to_discord_py(first)
        kwargs.pop("ephemeral", None)  # the deferral decided: only the requester
        await interaction.edit_original_response(**kwargs)
        for message in more:
            await interaction.followup.send(**await to_discord_py(message))
        if isinstance(reply, Progress) and address is not None:
            await self._bot.readdress(reply.job_id, dataclasses.replace(address, final=True))

    async def _download(
        self, attachment: Mapping[str, Any], interaction: discord.Interaction
    ) -> ImageUpload:
        """Download an attachment at once (its URL expires), after checking its size
        against our limit; the bot token never goes with it."""
        limit = min(self._max_upload, interaction.filesize_limit or self._max_upload)
        if int(attachment.get("size") or 0) > limit:
            raise BadInput(messages.IMAGE_TOO_LARGE.format(limit_mb=limit // 2**20))
        url = str(attachment.get("url") or "")
        timeout = aiohttp.ClientTimeout(total=60)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, allow_redirects=False) as answer,
            ):
                if answer.status != 200:
                    raise BadInput(DOWNLOAD_FAILED)
                data = await answer.content.read(limit + 1)
        except aiohttp.ClientError:
            raise BadInput(DOWNLOAD_FAILED) from None
        if len(data) > limit:
            raise BadInput(messages.IMAGE_TOO_LARGE.format(limit_mb=limit // 2**20))
        return ImageUpload(data=data, filename=str(attachment.get("filename") or "upload"))


async def _defer(interaction: discord.Interaction) -> None:
    """Answer within Discord's 3 seconds: "thinking…", seen only by the requester."""
    await interaction.response.defer(ephemeral=True, thinking=True)
