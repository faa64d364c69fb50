"""Replies onto Discord over REST, from any process: interaction follow-ups while the
interaction's token lives, the bot's own messages after."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp

from adapters.discord.render import EPHEMERAL, NO_MENTIONS, DiscordMessage, render
from core.actions import ActionCodec
from core.errors import ProviderFailed, RateLimited
from core.files import ImageFiles
from core.model import ReplyAddress
from core.replies import Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
#: Discord's codes for an interaction token that no longer works.
_TOKEN_GONE = frozenset({10015, 50027, 10062})


class DiscordUnavailable(ProviderFailed):
    """Discord did not take a reply."""


class DiscordRefused(DiscordUnavailable):
    """Discord refused for good (a 4xx other than 429): the same request again will be
    refused again."""


def discord_fields(
    *,
    application: str,
    channel: str,
    user: str,
    guild: str = "",
    interaction: str = "",
    upload_limit: int = 0,
) -> dict[str, str]:
    """An address's fields, as the Discord adapter writes and reads them (the interaction
    token itself is a secret of the address; ``upload_limit`` is the most bytes Discord
    takes in one attachment there)."""
    fields = {
        "application": application,
        "channel": channel,
        "user": user,
        "guild": guild,
        "interaction": interaction,
        "upload_limit": str(upload_limit) if upload_limit else "",
    }
    return {key: value for key, value in fields.items() if value}


class DiscordDelivery:
    """Implements ``Delivery`` for Discord with the bot token and interaction tokens.

    With a live interaction token the reply is a follow-up (ephemeral where the reply is
    private); without one it is a message of the bot's in the channel (a private reply
    goes to the requester's direct messages instead, which only the requester sees). A
    reply of several messages (a notice first, a long document) sends them in order; a
    public reply's notice that Discord refuses to DM is left out rather than holding the
    reply up, and is never shown in the channel.
    """

    def __init__(
        self, *, api_url: str, bot_token: str, files: ImageFiles, codec: ActionCodec
    ) -> None:
        self._api = api_url.rstrip("/")
        self._bot_token = bot_token
        self._files = files
        self._codec = codec

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        token = address.secrets.get("token", "")
        expires = address.secrets_expire_at
        live = bool(token) and (expires is None or expires > datetime.now(UTC))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            for message in render(reply, self._codec):
                uploads = await self._uploads(address, message)
                if live:
                    url = f"{self._api}/webhooks/{address.get('application')}/{token}"
                    body = _payload(message, uploads, ephemeral=message.ephemeral)
                    if await self._send(session, url, body, uploads, authorized=False):
                        continue
                    live = False
                try:
                    await self._post(session, address, message, uploads)
                except DiscordRefused:
                    if not message.is_notice:
                        raise
                    log.warning("Discord refused to DM a notice to user %s", address.get("user"))

    async def _uploads(
        self, address: ReplyAddress, message: DiscordMessage
    ) -> list[tuple[str, str, bytes]]:
        """The message's image files, but those larger than the address allows (their
        embeds keep the link)."""
        limit = int(address.get("upload_limit") or 0) or None
        files = [await self._files.read(image.id) for image in message.images]
        return [
            (file.filename, file.content_type, file.data)
            for file in files
            if limit is None or len(file.data) <= limit
        ]

    async def _post(
        self,
        session: aiohttp.ClientSession,
        address: ReplyAddress,
        message: DiscordMessage,
        uploads: list[tuple[str, str, bytes]],
    ) -> None:
        """A message of the bot's: in the channel, or in the requester's DMs if only they
        may see it."""
        channel = address.get("channel")
        if message.ephemeral:
            channel = await self._direct_channel(session, address.get("user"))
        url = f"{self._api}/channels/{channel}/messages"
        await self._send(session, url, _payload(message, uploads, ephemeral=False), uploads)

    async def _send(
        self,
        session: aiohttp.ClientSession,
        url: str,
        body: dict[str, Any],
        uploads: list[tuple[str, str, bytes]],
        *,
        authorized: bool = True,
    ) -> bool:
        """POST one message; ``False`` when an interaction token turned out to be dead."""
        headers = {"Authorization": f"Bot {self._bot_token}"} if authorized else {}
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps(body), content_type="application/json")
        for index, (filename, content_type, data) in enumerate(uploads):
            form.add_field(f"files[{index}]", data, filename=filename, content_type=content_type)
        async with session.post(url, data=form, headers=headers) as answer:
            if answer.status < 300:
                return True
            detail = await _json(answer)
        code = int(detail.get("code", 0) or 0)
        if not authorized and code in _TOKEN_GONE:
            log.info("an interaction token expired before its reply; posting to the channel")
            return False
        if answer.status == 429:
            raise RateLimited("Discord is rate limiting us", float(detail.get("retry_after", 1)))
        raise _failure(answer.status, f"Discord answered {answer.status} (code {code})")

    async def _direct_channel(self, session: aiohttp.ClientSession, user: str) -> str:
        headers = {"Authorization": f"Bot {self._bot_token}"}
        url = f"{self._api}/users/@me/channels"
        async with session.post(url, json={"recipient_id": user}, headers=headers) as answer:
            detail = await _json(answer)
            if answer.status == 429:
                retry_after = float(detail.get("retry_after", 1))
                raise RateLimited("Discord is rate limiting us", retry_after)
            if answer.status >= 300:
                raise _failure(answer.status, f"Discord answered {answer.status} opening a DM")
        return str(detail["id"])


def _failure(status: int, text: str) -> DiscordUnavailable:
    return DiscordRefused(text) if 400 <= status < 500 else DiscordUnavailable(text)


def _payload(
    message: DiscordMessage, uploads: list[tuple[str, str, bytes]], *, ephemeral: bool
) -> dict[str, Any]:
    attached = [filename for filename, _, _ in uploads]
    body: dict[str, Any] = {
        "content": message.content,
        "embeds": [_shown(embed, attached) for embed in message.embeds],
        "components": message.components,
        "allowed_mentions": NO_MENTIONS,
        "attachments": [{"id": index, "filename": name} for index, name in enumerate(attached)],
    }
    if ephemeral:
        body["flags"] = EPHEMERAL
    return body


def _shown(embed: dict[str, Any], attached: list[str]) -> dict[str, Any]:
    """An embed may show only a file that goes with the message (a file over Discord's
    limit stays behind: its embed keeps the link)."""
    image = str((embed.get("image") or {}).get("url", ""))
    if image.startswith("attachment://") and image.removeprefix("attachment://") not in attached:
        return {key: value for key, value in embed.items() if key != "image"}
    return embed


async def _json(answer: aiohttp.ClientResponse) -> Mapping[str, Any]:
    try:
        data = await answer.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return data if isinstance(data, dict) else {}
