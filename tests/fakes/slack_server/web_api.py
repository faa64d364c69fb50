"""The Web API under ``/api/{method}``: tokens, scopes, rate limits, and the chat, views,
conversations, users and auth methods (files and OAuth have modules of their own)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakes.slack_server.checks import (
    SlackError,
    bearer,
    check_view,
    content,
    invalid,
    json_arg,
    optional,
    read_args,
    require_scope,
    truthy,
)
from tests.fakes.slack_server.conversations import (
    conversation_json,
    conversation_with,
    find_channel,
    find_message,
    message_json,
    new_conversation,
    postable,
)
from tests.fakes.slack_server.files import Files
from tests.fakes.slack_server.oauth import OAuth
from tests.fakes.slack_server.records import JSON, ApiCall, Message, OpenedView, Token

if TYPE_CHECKING:
    from tests.fakes.slack_server.fake import FakeSlack

#: The scope each method demands (``None``: any valid token of the right type).
METHOD_SCOPES: Mapping[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "views.open": None,
    "conversations.open": None,  # im:write or mpim:write, decided by the users given
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "users.info": "users:read",
    "apps.connections.open": "connections:write",
    "oauth.v2.access": None,  # no token: the app's client id and secret
}
RETIRED_METHODS = frozenset({"files.upload", "channels.info", "channels.join", "im.open"})

Handler = Callable[[Token, JSON], Awaitable[JSON]]


class WebApi:
    """``/api/{method}``: each call recorded, authenticated and answered as Slack would."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.oauth = OAuth(fake)
        files = Files(fake)
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._open_view,
            "conversations.open": self._open_conversation,
            "files.getUploadURLExternal": files.upload_url,
            "files.completeUploadExternal": files.complete_upload,
            "files.info": files.file_info,
            "users.info": self._user_info,
            "apps.connections.open": fake.socket_mode.open_connection,
        }

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/api/{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(method, None, {}, request.method, request.content_type)
        self.fake.calls.append(call)
        token: Token | None = None
        warnings: list[str] = []
        body: JSON
        try:
            args, body_token, warnings = await read_args(request)
            call.token = bearer(request) or body_token
            call.args = args
            if method in RETIRED_METHODS:
                raise SlackError("method_deprecated")
            if method == "oauth.v2.access":
                return self._json(self.oauth.exchange_code(request, args), method, None)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            token = self._authenticate(call.token, method)
            limited = self.fake.take_rate_limit(method)
            if limited is not None:
                call.status, call.error = 429, "ratelimited"
                limited_body = {"ok": False, "error": "ratelimited"}
                return self._json(limited_body, method, token, status=429, retry_after=limited)
            body = await handler(token, args)
        except SlackError as error:
            call.error = error.error
            body = {"ok": False, "error": error.error, **error.extra}
        if warnings:
            body["warning"] = ",".join(warnings)
            body.setdefault("response_metadata", {})["warnings"] = warnings
        return self._json(body, method, token)

    def _json(
        self,
        body: JSON,
        method: str,
        token: Token | None,
        *,
        status: int = 200,
        retry_after: int | None = None,
    ) -> web.Response:
        headers = {"x-accepted-oauth-scopes": METHOD_SCOPES.get(method) or ""}
        if token is not None:
            headers["x-oauth-scopes"] = ",".join(sorted(token.scopes))
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return web.json_response(body, status=status, headers=headers)

    def _authenticate(self, value: str | None, method: str) -> Token:
        if not value:
            raise SlackError("not_authed")
        token = self.fake.tokens.get(value)
        if token is None:
            raise SlackError("invalid_auth")
        if token.revoked:
            raise SlackError("token_revoked")
        wanted = {"app"} if method == "apps.connections.open" else {"bot"}
        if method == "auth.test":
            wanted.add("user")
        if token.kind not in wanted:
            raise SlackError("not_allowed_token_type")
        needed = METHOD_SCOPES.get(method)
        if needed is not None:
            require_scope(token, needed)
        return token

    async def _auth_test(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        user_id = token.user_id or workspace.bot_user_id
        body: JSON = {
            "ok": True,
            "url": f"https://{workspace.domain}.slack.com/",
            "team": workspace.name,
            "user": self.fake.users[user_id].name,
            "team_id": workspace.id,
            "user_id": user_id,
            "is_enterprise_install": False,
        }
        if token.kind == "bot":
            body["bot_id"] = workspace.bot_id
        if workspace.enterprise_id:
            body["enterprise_id"] = workspace.enterprise_id
        return body

    async def _post_message(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        channel = postable(self.fake, token, args.get("channel"))
        text, blocks, attachments = content(args)
        message = Message(
            team_id=workspace.id,
            channel=channel.id,
            ts=self.fake.next_ts(),
            text=text,
            blocks=blocks,
            user=workspace.bot_user_id,
            thread_ts=optional(args, "thread_ts"),
            bot_id=workspace.bot_id,
            attachments=attachments,
        )
        self.fake.messages.append(message)
        body = message_json(self.fake, message)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": body}

    async def _update(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        channel = find_channel(self.fake, workspace.id, args.get("channel"))
        if channel is None:
            raise SlackError("channel_not_found")
        message = find_message(self.fake, channel.id, optional(args, "ts"))
        if message is None or message.ephemeral_to is not None:
            raise SlackError("message_not_found")
        if message.user != workspace.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks, attachments = content(args)
        message.previous.append({"text": message.text, "blocks": message.blocks})
        message.text = text
        if blocks is not None or "blocks" in args:
            message.blocks = blocks
        if attachments is not None:
            message.attachments = attachments
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": message_json(self.fake, message),
        }

    async def _post_ephemeral(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        channel = postable(self.fake, token, args.get("channel"))
        user = optional(args, "user")
        if user is None or user not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = content(args)
        message = Message(
            team_id=workspace.id,
            channel=channel.id,
            ts=self.fake.next_ts(),
            text=text,
            blocks=blocks,
            user=workspace.bot_user_id,
            thread_ts=optional(args, "thread_ts"),
            ephemeral_to=user,
            via="chat.postEphemeral",
            bot_id=workspace.bot_id,
            attachments=attachments,
        )
        self.fake.messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    async def _open_view(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        trigger_id = optional(args, "trigger_id") or optional(args, "interactivity_pointer")
        if trigger_id is None:
            raise invalid("missing required field: trigger_id")
        view = json_arg(args.get("view"))
        if view is None:
            raise invalid("missing required field: view")
        if not isinstance(view, dict):
            raise invalid("failed to match all allowed schemas [json-pointer:/view]")
        check_view(view)
        trigger = self.fake.triggers.get(trigger_id)
        if trigger is None or trigger.team_id != workspace.id:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.fake.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        view_id = self.fake.new_id("V")
        opened = {
            "id": view_id,
            "team_id": workspace.id,
            "type": view["type"],
            "title": view["title"],
            "close": view.get("close"),
            "submit": view.get("submit"),
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.fake.app_id,
            "app_installed_team_id": workspace.id,
            "bot_id": workspace.bot_id,
        }
        self.fake.views.append(
            OpenedView(view_id, workspace.id, trigger.user_id, trigger_id, opened)
        )
        return {"ok": True, "view": opened}

    async def _open_conversation(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        return_im = truthy(args.get("return_im"))
        if optional(args, "channel") is not None:
            channel = find_channel(self.fake, workspace.id, args["channel"])
            if channel is None or not (channel.is_im or channel.is_mpim):
                raise SlackError("channel_not_found")
            return {"ok": True, "channel": conversation_json(channel, full=return_im)}
        raw = args.get("users")
        users = raw if isinstance(raw, list) else str(raw or "").split(",")
        wanted = [str(user).strip() for user in users if str(user).strip()]
        others = sorted({user for user in wanted if user != workspace.bot_user_id})
        if not wanted:
            raise SlackError("users_list_not_supplied")
        if len(others) > 8:
            raise SlackError("too_many_users")
        if not others:
            raise SlackError("not_enough_users")
        for user in others:
            if user not in self.fake.users or workspace.id not in self.fake.users[user].teams:
                raise SlackError("user_not_found")
        require_scope(token, "im:write" if len(others) == 1 else "mpim:write")
        existing = conversation_with(self.fake, workspace.id, others)
        if existing is not None:
            body = conversation_json(existing, full=return_im)
            return {"ok": True, "no_op": True, "already_open": True, "channel": body}
        channel = new_conversation(self.fake, workspace, others)
        return {"ok": True, "channel": conversation_json(channel, full=return_im)}

    async def _user_info(self, token: Token, args: JSON) -> JSON:
        user = self.fake.users.get(optional(args, "user") or "")
        if user is None or token.team_id not in user.teams:
            raise SlackError("user_not_found")
        workspace = self.fake.workspace_of(token)
        body: JSON = {
            "id": user.id,
            "team_id": workspace.id,
            "name": user.name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": "Europe/Amsterdam",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            **user.flags,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": not user.is_bot,
            "who_can_share_contact_card": "EVERYONE",
            "profile": {
                "real_name": user.real_name,
                "display_name": user.name,
                "team": workspace.id,
            },
        }
        if workspace.enterprise_id:
            body["enterprise_user"] = {
                "id": user.id,
                "enterprise_id": workspace.enterprise_id,
                "enterprise_name": workspace.enterprise_name,
                "teams": sorted(user.teams),
            }
        return {"ok": True, "user": body}
