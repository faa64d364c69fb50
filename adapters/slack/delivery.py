"""Replies onto Slack through the Web API, from any process, with the workspace's token."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installs import SlackTokens
from adapters.slack.render import SlackMessage, render
from core.actions import ActionCodec
from core.errors import ProviderFailed
from core.files import ImageFiles
from core.model import ReplyAddress
from core.replies import Error, Images, Reply, Text

log = logging.getLogger(__name__)

PLATFORM = "slack"
#: Where the bot cannot post; the requester is told in a direct message instead.
_UNREACHABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
MOVED_TO_DM = "I couldn't post in that channel (invite me there with /invite), so here it is."


class SlackUnavailable(ProviderFailed):
    """Slack did not take a reply (the workspace has no token, or the API failed)."""


def slack_fields(
    *,
    team: str,
    channel: str,
    user: str,
    enterprise: str = "",
    thread: str = "",
    parent: str = "",
    asked: str = "",
) -> dict[str, str]:
    """An address's fields, as the Slack adapter writes and reads them (``asked`` is the
    parent message's heading)."""
    fields = {
        "team": team,
        "enterprise": enterprise,
        "channel": channel,
        "user": user,
        "thread": thread,
        "parent": parent,
        "asked": asked,
    }
    return {key: value for key, value in fields.items() if value}


class SlackWeb:
    """Web API clients for each workspace, pointed at one API address."""

    def __init__(self, tokens: SlackTokens, api_url: str) -> None:
        self._tokens = tokens
        self.api_url = api_url

    async def client(self, fields: Mapping[str, str]) -> AsyncWebClient:
        token = await self._tokens.token_for(
            team_id=fields.get("team") or None, enterprise_id=fields.get("enterprise") or None
        )
        if not token:
            raise SlackUnavailable("the Slack workspace has no installation")
        return AsyncWebClient(
            token=token,
            base_url=self.api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )


class SlackDelivery:
    """Implements ``Delivery`` for Slack: messages and ephemeral messages, images uploaded
    into the thread with ``files_upload_v2``, the parent message updated when a job ends.
    A channel the bot cannot post in gets the reply by direct message instead."""

    def __init__(self, web: SlackWeb, files: ImageFiles, codec: ActionCodec) -> None:
        self._web = web
        self._files = files
        self._codec = codec

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        client = await self._web.client(address.fields)
        message = render(reply, self._codec)
        try:
            await self.post(client, address.fields, message)
        except SlackApiError as error:
            if error_of(error) not in _UNREACHABLE or not address.get("user"):
                raise
            direct = await self.direct_channel(client, address.get("user"))
            fields = {**address.fields, "channel": direct, "thread": "", "parent": ""}
            await client.chat_postMessage(channel=direct, text=MOVED_TO_DM)
            await self.post(client, fields, message)
            return
        if address.get("parent") and isinstance(reply, Images | Error | Text):
            await self._close_parent(client, address.fields, reply)

    async def post(
        self, client: AsyncWebClient, fields: Mapping[str, str], message: SlackMessage
    ) -> str:
        """Post one rendered reply: a public message's notice first, to the requester
        alone, and a long reply's further messages after it. Returns the message's
        ``ts`` (empty for ephemeral)."""
        if message.notice is not None:
            await self._post_notice(client, fields, message.notice)
        ts = await self._post_one(client, fields, message)
        for part in message.continued:
            await self._post_one(client, fields, part)
        return ts

    async def _post_notice(
        self, client: AsyncWebClient, fields: Mapping[str, str], notice: SlackMessage
    ) -> None:
        """An ephemeral message to the requester; where they cannot see one (they left
        the channel, say), a direct message, which only they see as well."""
        try:
            await self._post_one(client, fields, notice)
        except SlackApiError as error:
            if error_of(error) != "user_not_in_channel":
                raise
            direct = await self.direct_channel(client, fields["user"])
            await client.chat_postMessage(channel=direct, text=notice.text, blocks=notice.blocks)

    async def _post_one(
        self, client: AsyncWebClient, fields: Mapping[str, str], message: SlackMessage
    ) -> str:
        channel = fields["channel"]
        thread = fields.get("thread") or None
        if message.ephemeral:
            await client.chat_postEphemeral(
                channel=channel,
                user=fields["user"],
                text=message.text,
                blocks=message.blocks,
                thread_ts=thread,
            )
            return ""
        if message.images:
            uploads = []
            for image in message.images:
                file = await self._files.read(image.id)
                uploads.append({"content": file.data, "filename": file.filename, "title": image.id})
            await client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=thread)
        posted = await client.chat_postMessage(
            channel=channel, thread_ts=thread, text=message.text, blocks=message.blocks
        )
        return str(posted["ts"])

    @staticmethod
    async def direct_channel(client: AsyncWebClient, user: str) -> str:
        opened = await client.conversations_open(users=user)
        return str(opened["channel"]["id"])

    async def _close_parent(
        self, client: AsyncWebClient, fields: Mapping[str, str], reply: Images | Error | Text
    ) -> None:
        """The parent message keeps its heading, loses its cancel button, and says how
        the job ended."""
        await close_message(
            client, fields["channel"], fields["parent"], fields.get("asked", ""), reply.text
        )


async def close_message(
    client: AsyncWebClient, channel: str, ts: str, heading: str, outcome: str
) -> None:
    """Replace a message that offered buttons with its heading and an outcome."""
    text = "\n".join(part for part in (heading, outcome) if part)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": part}}
        for part in (heading, outcome)
        if part
    ]
    try:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError:
        log.warning("could not update a message that offered buttons", exc_info=True)


def error_of(error: SlackApiError) -> str:
    """Slack's error code of a failed call (``not_in_channel``, …)."""
    data: Any = error.response.data if error.response is not None else {}
    return str(data.get("error", "")) if isinstance(data, dict) else ""
