"""The REST edge: bodies, errors, rate limits, and the routes a bot token authenticates."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Middleware

from tests.fakes.discord_server import messages
from tests.fakes.discord_server.checks import (
    CHANNEL_MESSAGE_FLAGS,
    DiscordError,
    Upload,
    check_commands,
    invalid_form,
    message_fields,
    unauthorized,
)
from tests.fakes.discord_server.payloads import JSON

if TYPE_CHECKING:
    from tests.fakes.discord_server.fake import FakeDiscord

API_PREFIX = "/api/v10"
FILE_FIELD = re.compile(r"files\[(\d+)\]|file(\d*)")
#: Success answers advertise a generous bucket; 429s come only from ``fake.rate_limit``.
SUCCESS_LIMIT = 50
CONTENT_TYPES = "{'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly, as discord.py expects it."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def snowflake(request: web.Request, name: str) -> int:
    value = request.match_info[name]
    if not value.isdigit():
        raise invalid_form([name], "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
    return int(value)


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """The JSON body, or a multipart body's ``payload_json`` and its ``files[n]``."""
    if request.content_type == "multipart/form-data":
        payload: Any = {}
        uploads: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "payload_json":
                payload = _parse_json(await part.read(decode=True))
            elif matched := FILE_FIELD.fullmatch(part.name):
                index = int(matched[1] or matched[2] or len(uploads))
                if not part.filename:
                    raise invalid_form([part.name], "BASE_TYPE_REQUIRED", "A file needs a filename")
                uploads.append(Upload(index, part.filename, bytes(await part.read(decode=True))))
        return payload, uploads
    raw = await request.read()
    if not raw:
        return None, []
    if request.content_type != "application/json":
        raise DiscordError(
            400,
            50035,
            "Invalid Form Body",
            {
                "_errors": [
                    {
                        "code": "CONTENT_TYPE_INVALID",
                        "message": f'Expected "Content-Type" header to be one of {CONTENT_TYPES}.',
                    }
                ]
            },
        )
    return _parse_json(raw), []


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None


def edge(fake: FakeDiscord) -> Middleware:
    """Middleware for ``/api/v10``: 429s and failures on demand, Discord's error bodies,
    rate limit headers on every answer, and a record of each request."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        path = request.path[len(API_PREFIX) :]
        route = request.match_info.route.resource
        template = route.canonical if route is not None else path
        bucket = hashlib.sha1(f"{request.method} {template}".encode()).hexdigest()[:32]
        retry_after = fake.take_rate_limit(request.method, path)
        failure = fake.take_failure(request.method, path)
        response: web.StreamResponse
        if retry_after is not None:
            response = _rate_limited(retry_after, bucket)
        elif failure is not None:
            response = json_response(
                {"message": f"{failure}: {HTTPStatus(failure).phrase}", "code": 0}, status=failure
            )
        else:
            try:
                response = await handler(request)
            except DiscordError as error:
                response = json_response(error.json(), status=error.status)
            except web.HTTPNotFound:
                response = json_response({"message": "404: Not Found", "code": 0}, status=404)
            except web.HTTPMethodNotAllowed:
                response = json_response(
                    {"message": "405: Method Not Allowed", "code": 0}, status=405
                )
            response.headers.update(
                {
                    "X-RateLimit-Bucket": bucket,
                    "X-RateLimit-Limit": str(SUCCESS_LIMIT),
                    "X-RateLimit-Remaining": str(SUCCESS_LIMIT - 1),
                    "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                    "X-RateLimit-Reset-After": "1.000",
                }
            )
        fake.record(request.method, path, response.status, request.headers.get("Authorization", ""))
        return response

    return middleware


def _rate_limited(retry_after: float, bucket: str) -> web.Response:
    return json_response(
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
        status=429,
        headers={
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Scope": "user",
            "Via": "1.1 google",
        },
    )


class BotRoutes:
    """The routes a bot token opens: gateway, identity, commands, channels, direct
    messages, entitlements."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_to(self, router: web.UrlDispatcher, prefix: str) -> None:
        router.add_get(f"{prefix}/gateway", self.gateway, allow_head=False)
        router.add_get(f"{prefix}/gateway/bot", self.gateway_bot, allow_head=False)
        router.add_get(f"{prefix}/users/@me", self.me, allow_head=False)
        router.add_get(f"{prefix}/applications/@me", self.application, allow_head=False)
        router.add_get(f"{prefix}/oauth2/applications/@me", self.application, allow_head=False)
        router.add_post(f"{prefix}/users/@me/channels", self.create_dm)
        for commands in (
            f"{prefix}/applications/{{application_id}}/commands",
            f"{prefix}/applications/{{application_id}}/guilds/{{guild_id}}/commands",
        ):
            router.add_get(commands, self.get_commands, allow_head=False)
            router.add_put(commands, self.put_commands)
        router.add_post(f"{prefix}/channels/{{channel_id}}/messages", self.post_message)
        message = f"{prefix}/channels/{{channel_id}}/messages/{{message_id}}"
        router.add_get(message, self.get_message, allow_head=False)
        router.add_patch(message, self.edit_message)
        router.add_delete(message, self.delete_message)
        entitlements = f"{prefix}/applications/{{application_id}}/entitlements"
        router.add_get(entitlements, self.entitlements, allow_head=False)
        router.add_post(f"{entitlements}/{{entitlement_id}}/consume", self.consume)

    def _bot(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.fake.bot_token}":
            raise unauthorized()

    def _own_application(self, request: web.Request) -> None:
        self._bot(request)
        if snowflake(request, "application_id") != self.fake.application_id:
            raise DiscordError(
                403, 20012, "You are not authorized to perform this action on this application"
            )

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        self._bot(request)
        return json_response(
            {
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": max(0, 1000 - len(self.fake.identifies)),
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        self._bot(request)
        return json_response(
            {
                **self.fake.bot_user,
                "banner": None,
                "accent_color": None,
                "flags": 0,
                "mfa_enabled": False,
                "locale": "en-US",
                "verified": True,
                "email": None,
            }
        )

    async def application(self, request: web.Request) -> web.Response:
        self._bot(request)
        app_id = str(self.fake.application_id)
        return json_response(
            {
                "id": app_id,
                "name": self.fake.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": hashlib.sha256(app_id.encode()).hexdigest(),
                "flags": self.fake.application_flags,
                "hook": True,
                "is_monetized": False,
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "tags": [],
                "integration_types_config": {"0": {}},
                "approximate_guild_count": len(self.fake.guilds),
                "team": None,
                "owner": {
                    "id": "53908232506183680",
                    "username": "mason",
                    "global_name": "Mason",
                    "avatar": None,
                    "discriminator": "0",
                    "public_flags": 0,
                },
                "bot": self.fake.bot_user,
            }
        )

    async def create_dm(self, request: web.Request) -> web.Response:
        """Open (or find) the bot's DM channel with a user: 50033 for a user Discord does
        not know, 50007 for one the bot cannot message (itself, another bot)."""
        self._bot(request)
        body, _ = await read_body(request)
        recipient = body.get("recipient_id") if isinstance(body, dict) else None
        if recipient is None:
            raise invalid_form(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
        if not str(recipient).isdigit():
            raise invalid_form(
                ["recipient_id"], "NUMBER_TYPE_COERCE", f'Value "{recipient}" is not snowflake.'
            )
        user = self.fake.known_user(int(recipient))
        if user is None:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        if user.get("bot"):
            raise DiscordError(400, 50007, "Cannot send messages to this user")
        channel = self.fake.open_dm(user)
        await self.fake.changed()
        return json_response(self.fake.direct_channel_json(channel))

    def _command_scope(self, request: web.Request) -> int | None:
        self._own_application(request)
        if "guild_id" not in request.match_info:
            return None
        guild_id = snowflake(request, "guild_id")
        if guild_id not in self.fake.guilds:
            raise DiscordError(403, 50001, "Missing Access")
        return guild_id

    async def get_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        return json_response(self.fake.commands.get(scope, []))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body, _ = await read_body(request)
        commands = check_commands(body)
        stored = self.fake.overwrite_commands(scope, commands)
        await self.fake.changed()
        return json_response(stored)

    def _visible_channel(self, request: web.Request) -> int:
        self._bot(request)
        channel_id = snowflake(request, "channel_id")
        if channel_id in self.fake.direct_channels:
            return channel_id
        found = self.fake.channel(channel_id)
        if found is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        if channel_id in found[0].hidden_channels:
            raise DiscordError(403, 50001, "Missing Access")
        return channel_id

    def _message(self, request: web.Request, channel_id: int) -> Any:
        message = self.fake.messages.get(snowflake(request, "message_id"))
        if message is None or message.deleted or message.channel_id != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def post_message(self, request: web.Request) -> web.Response:
        channel_id = self._visible_channel(request)
        body, uploads = await read_body(request)
        body = body if isinstance(body, dict) else {}
        fields = message_fields(body, uploads, allowed_flags=CHANNEL_MESSAGE_FLAGS)
        message = messages.create(self.fake, channel_id, "channel", body, fields, uploads)
        await messages.announce(self.fake, "MESSAGE_CREATE", message)
        await self.fake.changed()
        return json_response(message.json())

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self._message(request, self._visible_channel(request)).json())

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._message(request, self._visible_channel(request))
        if message.author["id"] != self.fake.bot_user["id"]:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body, uploads = await read_body(request)
        body = body if isinstance(body, dict) else {}
        fields = message_fields(body, uploads, allowed_flags=CHANNEL_MESSAGE_FLAGS)
        messages.edit(self.fake, message, body, fields, uploads)
        await messages.announce(self.fake, "MESSAGE_UPDATE", message)
        await self.fake.changed()
        return json_response(message.json())

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._message(request, self._visible_channel(request))
        if message.author["id"] != self.fake.bot_user["id"]:
            raise DiscordError(403, 50013, "Missing Permissions")
        message.deleted = True
        await messages.announce(self.fake, "MESSAGE_DELETE", message)
        await self.fake.changed()
        return web.Response(status=204)

    async def entitlements(self, request: web.Request) -> web.Response:
        self._own_application(request)
        query = request.query
        limit = query.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            raise invalid_form(
                ["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 100."
            )
        now = datetime.now().astimezone()
        found: list[JSON] = []
        for entitlement in sorted(self.fake.entitlements.values(), key=lambda e: e.id):
            if "user_id" in query and str(entitlement.user_id) != query["user_id"]:
                continue
            if "guild_id" in query and str(entitlement.guild_id) != query["guild_id"]:
                continue
            if "sku_ids" in query and str(entitlement.sku_id) not in query["sku_ids"].split(","):
                continue
            if "after" in query and entitlement.id <= int(query["after"]):
                continue
            if "before" in query and entitlement.id >= int(query["before"]):
                continue
            ended = (
                entitlement.ends_at is not None
                and datetime.fromisoformat(entitlement.ends_at) < now
            )
            if query.get("exclude_ended") in ("1", "true") and ended:
                continue
            if query.get("exclude_deleted", "1") in ("1", "true") and entitlement.deleted:
                continue
            found.append(entitlement.json())
        return json_response(found[: int(limit)])

    async def consume(self, request: web.Request) -> web.Response:
        """Mark a one-time purchase consumed (204); an entitlement that is not this
        application's, or was deleted, is unknown. Discord does not document its answer
        to a second consume; the fake answers 204 again (and records both)."""
        self._own_application(request)
        entitlement = self.fake.entitlements.get(snowflake(request, "entitlement_id"))
        if (
            entitlement is None
            or entitlement.deleted
            or entitlement.application_id != self.fake.application_id
        ):
            raise DiscordError(404, 10029, "Unknown Entitlement")
        entitlement.consumed = True
        self.fake.consumed.append(entitlement.id)
        await self.fake.changed()
        return web.Response(status=204)
