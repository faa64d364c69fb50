"""Socket Mode: tickets from apps.connections.open, the WebSocket, envelopes and acks."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from tests.fakes.slack_server.records import JSON, Token

if TYPE_CHECKING:
    from tests.fakes.slack_server.fake import FakeSlack

ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")


class SocketMode:
    """The app's Socket Mode connections and the envelopes pushed down them."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._sockets_changed = asyncio.Condition()
        self._sent_envelopes: set[str] = set()
        self._acks: dict[str, JSON] = {}
        self._ack_waiters: dict[str, asyncio.Future[JSON]] = {}

    async def open_connection(self, token: Token, args: JSON) -> JSON:
        """apps.connections.open: a one-time WebSocket URL."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        origin = self.fake.url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{origin}link/?ticket={ticket}&app_id={self.fake.app_id}"}

    async def wait(self, *, within: float = 5.0) -> int:
        """Wait (up to ``within`` seconds) until a Socket Mode client is connected and
        greeted; the number of open connections."""
        async with asyncio.timeout(within), self._sockets_changed:
            await self._sockets_changed.wait_for(lambda: self._sockets)
        return len(self._sockets)

    async def send(self, envelope: JSON, *, within: float = 5.0) -> str:
        """Push an ``events_api``/``slash_commands``/``interactive`` envelope to the newest
        connection (waiting for one up to ``within`` seconds); returns its ``envelope_id``."""
        kind = envelope.get("type")
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"an envelope's type is one of {ENVELOPE_TYPES}, not {kind!r}")
        if not isinstance(envelope.get("payload"), dict):
            raise ValueError("an envelope carries a payload object")
        payload = envelope["payload"]
        accepts = kind == "slash_commands" or payload.get("type") in (
            "view_submission",
            "block_suggestion",
        )
        full = {
            "envelope_id": envelope.get("envelope_id") or str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": envelope.get("accepts_response_payload", accepts),
        }
        if kind == "events_api":
            full["retry_attempt"] = envelope.get("retry_attempt", 0)
            full["retry_reason"] = envelope.get("retry_reason", "")
        await self.wait(within=within)
        self._sent_envelopes.add(full["envelope_id"])
        await self._sockets[-1].send_json(full)
        return str(full["envelope_id"])

    async def ack(self, envelope_id: str, *, within: float = 5.0) -> JSON:
        """The client's acknowledgement ``{"envelope_id": …, "payload"?: …}`` of an envelope,
        waited for up to ``within`` seconds."""
        if envelope_id not in self._sent_envelopes:
            raise KeyError(f"no envelope {envelope_id} was sent")
        if envelope_id in self._acks:
            return self._acks[envelope_id]
        waiter = self._ack_waiters.setdefault(
            envelope_id, asyncio.get_running_loop().create_future()
        )
        async with asyncio.timeout(within):
            return await asyncio.shield(waiter)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every open connection."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-applink"}}
        for socket in list(self._sockets):
            await socket.send_json(message)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {
                    "host": "fake-applink",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.fake.app_id},
            }
        )
        async with self._sockets_changed:
            self._sockets.append(socket)
            self._sockets_changed.notify_all()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._receive(message.data)
        finally:
            async with self._sockets_changed:
                self._sockets.remove(socket)
                self._sockets_changed.notify_all()
        return socket

    def _receive(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = {"unparsed": raw}
        self.fake.socket_received.append(message)
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if isinstance(envelope_id, str) and envelope_id in self._sent_envelopes:
            self._acks.setdefault(envelope_id, message)
            waiter = self._ack_waiters.get(envelope_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    async def close_all(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
