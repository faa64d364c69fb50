"""The Slack app: bolt listeners that acknowledge at once and hand the work to core.

Every listener acknowledges first (bolt's lazy listeners run the work after the HTTP
response went out), so Slack's 3-second deadline never waits for a page fetch or a
database. Replies to slash commands go through ``response_url``; everything else is
posted with the workspace's token by :class:`SlackDelivery`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from adapters.slack.delivery import (
    PLATFORM,
    SlackDelivery,
    SlackWeb,
    close_message,
    error_of,
    slack_fields,
)
from adapters.slack.files import NO_IMAGE, SlackFiles, image_files
from adapters.slack.identity import requester as requester_of
from adapters.slack.managers import WorkspaceManagers
from adapters.slack.modal import imagine_view, modal_request
from adapters.slack.render import (
    ACTION_IDS,
    ACTION_PATTERN,
    TOP_LEVEL,
    SlackMessage,
    parent_text,
    press_from_action,
    render,
)
from adapters.slack.translate import UMBRELLA, command_of, mention_text
from core.app import Bot
from core.commands import Command, Imagine
from core.errors import BadInput
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import ActionKind, Error, Progress, Reply, Text
from core.templates import Catalog

log = logging.getLogger(__name__)

#: Top-level slash commands besides ``/aioe`` (each must be in the app manifest).
COMMANDS = tuple(sorted(f"/{name}" for name in TOP_LEVEL))
SHORTCUT = "aioe.make_images"
MODAL = "aioe.imagine"
_SLASH = re.compile("^(" + "|".join(re.escape(c) for c in (UMBRELLA, *COMMANDS)) + ")$")
_ACTIONS = re.compile(ACTION_PATTERN)
CANCEL = ACTION_IDS[ActionKind.CANCEL]
CONFIRM = ACTION_IDS[ActionKind.CONFIRM]


def wants_form(command: str, text: str) -> bool:
    """``/imagine`` with no text (or ``/aioe imagine``) opens the form."""
    words = text.split()
    return (command == "/imagine" and not words) or (
        command == UMBRELLA and words in (["imagine"], ["/imagine"])
    )


async def _ack(ack: AsyncAck) -> None:
    await ack()


class SlackAdapter:
    """Translates Slack requests into core commands and renders what core answers."""

    def __init__(
        self,
        *,
        bot: Bot,
        catalog: Catalog,
        web: SlackWeb,
        delivery: SlackDelivery,
        files: SlackFiles,
        managers: WorkspaceManagers,
    ) -> None:
        self._bot = bot
        self._catalog = catalog
        self._web = web
        self._delivery = delivery
        self._files = files
        self._managers = managers

    def register(self, app: AsyncApp) -> None:
        """Wire every listener onto a bolt app."""
        app.command(_SLASH)(ack=_ack, lazy=[self.slash_command])
        app.event("app_mention")(ack=_ack, lazy=[self.mention])
        app.event("message")(ack=_ack, lazy=[self.direct_message])
        app.action(_ACTIONS)(ack=_ack, lazy=[self.press])
        app.view(MODAL)(ack=_ack, lazy=[self.form_submitted])
        app.message_shortcut(SHORTCUT)(ack=_ack, lazy=[self.shortcut])

    # --- slash commands ------------------------------------------------------------
    async def slash_command(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        requester = requester_of(body)
        fields = slack_fields(
            team=body["team_id"],
            enterprise=body.get("enterprise_id") or "",
            channel=body["channel_id"],
            user=body["user_id"],
        )
        name, text = body["command"], body.get("text", "")
        if wants_form(name, text):
            await self._open_form(body, fields)
            return
        try:
            command = await command_of(name, text)
        except BadInput as error:
            await respond(text=error.message, response_type="ephemeral")
            return
        requester = await self._managers.requester(requester, command, fields)
        address = ReplyAddress(PLATFORM, fields=fields, final=False)
        reply = await self._bot.handle(requester, command, address, body.get("trigger_id"))
        if isinstance(reply, Progress):
            asked = f"{name} {text}".strip()
            await self._thread_under_parent(requester, fields, reply, asked, respond)
            return
        await _respond(respond, render(reply, self._bot.actions))

    async def _thread_under_parent(
        self,
        requester: Requester,
        fields: Mapping[str, str],
        progress: Progress,
        asked: str,
        respond: AsyncRespond | None = None,
    ) -> None:
        """Post "@user asked for …" with progress and a cancel button, and have the job's
        results threaded under it (in a direct message if the bot is not in the channel)."""
        client = await self._web.client(fields)
        message = render(progress, self._bot.actions)
        heading = parent_text(requester.user_id, asked)
        section = {"type": "section", "text": {"type": "mrkdwn", "text": heading}}
        parent = dataclasses.replace(
            message, text=heading, blocks=[section, *message.blocks], ephemeral=False
        )
        try:
            ts = await self._delivery.post(client, fields, parent)
        except SlackApiError as error:
            if error_of(error) not in {"not_in_channel", "channel_not_found"}:
                raise
            if respond is not None:
                await respond(text=NOT_IN_CHANNEL, response_type="ephemeral")
            direct = await self._delivery.direct_channel(client, fields["user"])
            fields = {**fields, "channel": direct}
            ts = await self._delivery.post(client, fields, parent)
        final = {**fields, "thread": ts, "parent": ts, "asked": heading}
        await self._bot.readdress(progress.job_id, ReplyAddress(PLATFORM, fields=final))

    # --- the /imagine form -------------------------------------------------------------
    async def _open_form(self, body: Mapping[str, Any], fields: Mapping[str, str]) -> None:
        client = await self._web.client(fields)
        view = imagine_view(self._catalog, private_metadata=json.dumps(dict(fields)))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def form_submitted(self, body: dict[str, Any]) -> None:
        requester = requester_of(body)
        view = body["view"]
        fields: dict[str, str] = json.loads(view.get("private_metadata") or "{}")
        asked = modal_request(view["state"])
        client = await self._web.client(fields)
        try:
            image = (
                await self._files.download(asked.files[0], client.token or "")
                if asked.files
                else None
            )
        except BadInput as error:
            await self._tell(fields, Error(error.message))
            return
        command = Imagine(
            prompt=asked.prompt,
            image=image,
            url=asked.url or None,
            template=asked.template or None,
            format=asked.format or None,
            n=asked.n,
        )
        address = ReplyAddress(PLATFORM, fields=fields, final=False)
        reply = await self._bot.handle(requester, command, address, body.get("trigger_id"))
        if isinstance(reply, Progress):
            await self._thread_under_parent(requester, fields, reply, FORM_ASKED)
        else:
            await self._tell(fields, reply)

    # --- photos: a mention, a direct message, the message shortcut ----------------------
    async def mention(self, body: dict[str, Any]) -> None:
        await self._photo_request(body, body["event"])

    async def direct_message(self, body: dict[str, Any]) -> None:
        event = body["event"]
        if event.get("channel_type") != "im" or event.get("bot_id") or _is_edit(event):
            return
        if image_files(event):
            await self._photo_request(body, event)
            return
        text = mention_text(event.get("text", ""))
        line = text if text.startswith("/") else f"/{text}"
        requester = requester_of(body)
        fields = self._event_fields(body, event)
        try:
            command = await command_of(UMBRELLA, line)
        except BadInput as error:
            await self._tell(fields, Error(error.message))
            return
        requester = await self._managers.requester(requester, command, fields)
        await self._answer(requester, command, fields, body.get("event_id"))

    async def shortcut(self, body: dict[str, Any]) -> None:
        message = body["message"]
        fields = slack_fields(
            team=body["team"]["id"],
            enterprise=(body.get("enterprise") or {}).get("id", ""),
            channel=body["channel"]["id"],
            user=body["user"]["id"],
            thread=message.get("thread_ts") or message["ts"],
        )
        files = image_files(message)
        if not files:
            await self._tell(fields, Error(NO_IMAGE))
            return
        await self._image_command(requester_of(body), files[0], "", fields, body.get("trigger_id"))

    async def _photo_request(self, body: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        fields = self._event_fields(body, event)
        files = image_files(event)
        if not files:
            await self._tell(fields, Error(NO_IMAGE))
            return
        text = mention_text(event.get("text", ""))
        await self._image_command(requester_of(body), files[0], text, fields, body.get("event_id"))

    async def _image_command(
        self,
        requester: Requester,
        file: Mapping[str, Any],
        text: str,
        fields: Mapping[str, str],
        key: str | None,
    ) -> None:
        """``/imagine`` from a shared photo: the text is the prompt and options."""
        client = await self._web.client(fields)
        try:
            command = await command_of("/imagine", text)
            if not isinstance(command, Imagine):
                raise BadInput(NO_IMAGE)
            upload = await self._files.download(file, client.token or "")
        except BadInput as error:
            await self._tell(fields, Error(error.message))
            return
        await self._answer(requester, dataclasses.replace(command, image=upload), fields, key)

    # --- buttons -------------------------------------------------------------------
    async def press(self, body: dict[str, Any], respond: AsyncRespond | None = None) -> None:
        value, choice = press_from_action(body["actions"][0])
        container = body.get("container") or {}
        message = body.get("message") or {}
        private = bool(container.get("is_ephemeral"))  # no one else sees that message
        fields = slack_fields(
            team=body["team"]["id"],
            enterprise=(body.get("enterprise") or {}).get("id", ""),
            channel=(body.get("channel") or {}).get("id") or container.get("channel_id", ""),
            user=body["user"]["id"],
            thread=message.get("thread_ts")
            or container.get("thread_ts")
            or ("" if private else container.get("message_ts", "")),
        )
        address = ReplyAddress(PLATFORM, fields=fields)
        reply = await self._bot.press(
            requester_of(body), value, address, choice=choice, key=body.get("trigger_id")
        )
        pressed = body["actions"][0].get("action_id")
        if pressed == CANCEL and isinstance(reply, Text) and container.get("message_ts"):
            # The message with the cancel button says it is over, and offers it no more.
            client = await self._web.client(fields)
            notice = render(reply, self._bot.actions).notice
            if notice is not None:
                await self._delivery.post(client, fields, notice)
            heading = str(message.get("text", "")).split("\n")[0]
            await close_message(
                client, fields["channel"], container["message_ts"], heading, reply.text
            )
            return
        if private and respond is not None:
            # Answered through the press's response_url, which works where the bot is no
            # member and alone can replace an ephemeral message: a confirmation that core
            # went ahead with gives way to the outcome.
            rendered = render(reply, self._bot.actions)
            done = pressed == CONFIRM and rendered.ephemeral and not isinstance(reply, Error)
            await _respond(respond, rendered, replace_original=done)
            return
        await self._tell(fields, reply)

    # --- shared ------------------------------------------------------------------------
    async def _answer(
        self, requester: Requester, command: Command, fields: Mapping[str, str], key: str | None
    ) -> None:
        reply = await self._bot.handle(
            requester, command, ReplyAddress(PLATFORM, fields=fields), key
        )
        await self._tell(fields, reply)

    async def _tell(self, fields: Mapping[str, str], reply: Reply) -> None:
        await self._delivery.deliver(ReplyAddress(PLATFORM, fields=fields), reply)

    @staticmethod
    def _event_fields(body: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, str]:
        enterprise = body.get("enterprise_id") or ""
        return slack_fields(
            team=str(event.get("team") or body["team_id"]),
            enterprise=str(enterprise),
            channel=event["channel"],
            user=event["user"],
            thread=event.get("thread_ts") or event["ts"],
        )


FORM_ASKED = "images from the /imagine form"
NOT_IN_CHANNEL = (
    "I'm not in this channel, so your results come by direct message; "
    "invite me with /invite @AIOE to get them here."
)


async def _respond(
    respond: AsyncRespond, message: SlackMessage, *, replace_original: bool = False
) -> None:
    """A rendered reply through a ``response_url``: a public reply's notice first (to the
    requester alone), and a long reply's further messages after. ``replace_original``
    puts the reply itself in place of the message that was interacted with."""
    parts = [message.notice] if message.notice is not None else []
    for part in (*parts, message, *message.continued):
        await respond(
            text=part.text,
            blocks=part.blocks,
            response_type="ephemeral" if part.ephemeral else "in_channel",
            replace_original=True if replace_original and part is message else None,
        )


def _is_edit(event: Mapping[str, Any]) -> bool:
    return event.get("subtype") in {"message_changed", "message_deleted", "bot_message"}
