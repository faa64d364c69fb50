"""Response URLs: what slash commands and interactions answer through, up to five times."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakes.slack_server.checks import SlackError, content, optional, truthy
from tests.fakes.slack_server.conversations import find_message
from tests.fakes.slack_server.records import Message

if TYPE_CHECKING:
    from tests.fakes.slack_server.fake import FakeSlack

#: A response URL answers up to 5 posts (within 30 minutes, which the fake does not time).
RESPONSE_URL_USES = 5


class ResponseUrls:
    """``POST /commands/…``: a message posted, replaced or deleted through a response URL."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_post("/commands/{key:.+}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        target = self.fake.response_urls.get(request.match_info["key"])
        if target is None:
            return web.json_response({"ok": False, "error": "invalid_url"}, status=404)
        if target.uses >= RESPONSE_URL_USES:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        body = None
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = json.loads(await request.read())
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        target.uses += 1
        original = (
            find_message(self.fake, target.channel, target.message_ts)
            if target.message_ts
            else None
        )
        if body.get("delete_original") and original is not None:
            original.deleted = True
            return web.json_response({"ok": True})
        try:
            text, blocks, attachments = content(body)
        except SlackError as error:
            return web.json_response({"ok": False, "error": error.error}, status=400)
        if truthy(body.get("replace_original")) and original is not None:
            original.previous.append({"text": original.text, "blocks": original.blocks})
            original.text, original.blocks = text, blocks
            return web.json_response({"ok": True})
        public = body.get("response_type") == "in_channel"
        self.fake.messages.append(
            Message(
                team_id=target.team_id,
                channel=target.channel,
                ts=self.fake.next_ts(),
                text=text,
                blocks=blocks,
                user=self.fake.workspaces[target.team_id].bot_user_id,
                thread_ts=optional(body, "thread_ts"),
                ephemeral_to=None if public else target.user_id,
                via="response_url",
                bot_id=self.fake.workspaces[target.team_id].bot_id,
                attachments=attachments,
            )
        )
        return web.json_response({"ok": True})
