"""The fake gateway: HELLO, IDENTIFY or RESUME, heartbeats, dispatches, shards, zlib-stream."""

from __future__ import annotations

import contextlib
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_server.payloads import API_VERSION, JSON

if TYPE_CHECKING:
    from tests.fakes.discord_server.fake import FakeDiscord

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11
REQUEST_SOUNDBOARD_SOUNDS = 31
#: Opcodes a client may send once identified; the fake records them and does nothing more.
RECORDED_OPS = frozenset(
    {PRESENCE_UPDATE, VOICE_STATE_UPDATE, REQUEST_GUILD_MEMBERS, REQUEST_SOUNDBOARD_SOUNDS}
)
GUILDS_INTENT = 1
PRIVILEGED_INTENTS = 1 << 1 | 1 << 8 | 1 << 15
ALL_INTENTS = (1 << 26) - 1
#: The close codes Discord uses, with the reasons it gives.
UNKNOWN_ERROR = (4000, "Unknown error.")
UNKNOWN_OPCODE = (4001, "Unknown opcode.")
DECODE_ERROR = (4002, "Decode error.")
NOT_AUTHENTICATED = (4003, "Not authenticated.")
AUTHENTICATION_FAILED = (4004, "Authentication failed.")
ALREADY_AUTHENTICATED = (4005, "Already authenticated.")
INVALID_SEQ = (4007, "Invalid seq.")
INVALID_SHARD = (4010, "Invalid shard.")
INVALID_API_VERSION = (4012, "Invalid API version.")
INVALID_INTENTS = (4013, "Invalid intent(s).")
DISALLOWED_INTENTS = (4014, "Disallowed intent(s).")


class _Closed(Exception):
    def __init__(self, close: tuple[int, str]) -> None:
        super().__init__(close[1])
        self.close = close


@dataclass(slots=True, eq=False)
class Connection:
    """One websocket: its transport compression, and the session it carries."""

    socket: web.WebSocketResponse
    zlib_stream: bool
    compressor: Any = field(default_factory=zlib.compressobj)
    session: Session | None = None
    heartbeats: int = 0

    async def send(self, frame: JSON) -> None:
        """Send one frame: text, or with zlib-stream one deflated binary frame ending in the
        Z_SYNC_FLUSH marker. A frame that cannot go out stays in its session's record."""
        if self.socket.closed:
            return
        text = json.dumps(frame, separators=(",", ":"))
        with contextlib.suppress(ConnectionResetError):
            if self.zlib_stream:
                deflated = self.compressor.compress(text.encode())
                await self.socket.send_bytes(deflated + self.compressor.flush(zlib.Z_SYNC_FLUSH))
            else:
                await self.socket.send_str(text)


@dataclass(slots=True, eq=False)
class Session:
    """A gateway session (one shard): what it identified with and every dispatch it got,
    kept so that a RESUME can replay what the bot missed (``replayed``: how many frames the
    latest RESUME replayed)."""

    id: str
    shard: int
    shard_count: int
    intents: int
    identify: JSON
    connection: Connection | None = None
    sequence: int = 0
    ready: bool = False
    invalidated: bool = False
    resumes: int = 0
    replayed: int = 0
    sent: list[JSON] = field(default_factory=list)
    received: list[JSON] = field(default_factory=list)

    @property
    def events(self) -> list[str]:
        return [frame["t"] for frame in self.sent]

    async def dispatch(self, event: str, data: JSON) -> int:
        self.sequence += 1
        frame = {"op": DISPATCH, "t": event, "s": self.sequence, "d": data}
        self.sent.append(frame)
        if self.connection is not None:
            await self.connection.send(frame)
        return self.sequence


class Gateway:
    """Accepts gateway connections and runs their sessions."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.latest: dict[int, Session] = {}
        self._connections: set[Connection] = set()

    def connected(self) -> dict[int, Session]:
        return {
            shard: session
            for shard, session in sorted(self.latest.items())
            if session.connection is not None and not session.invalidated
        }

    def ready(self, shard: int) -> Session | None:
        session = self.connected().get(shard)
        return session if session is not None and session.ready else None

    def shard_count(self) -> int:
        return next((s.shard_count for s in self.latest.values()), self.fake.recommended_shards)

    async def dispatch(self, shard: int, event: str, data: JSON, *, within: float) -> int:
        """Send on the shard's session; while it is disconnected (awaiting a RESUME) the
        event waits in the session, as Discord keeps it."""

        def live() -> bool:
            session = self.latest.get(shard)
            return session is not None and session.ready and not session.invalidated

        try:
            await self.fake.wait_until(live, within=within)
        except TimeoutError:
            raise LookupError(f"no gateway session is ready on shard {shard}") from None
        return await self.latest[shard].dispatch(event, data)

    async def kick(self, shard: int, *, resumable: bool) -> None:
        session = self.connected().get(shard)
        if session is None or session.connection is None:
            raise LookupError(f"shard {shard} is not connected")
        connection, session.connection = session.connection, None
        session.invalidated = not resumable
        await connection.socket.close(code=UNKNOWN_ERROR[0], message=UNKNOWN_ERROR[1].encode())
        await self.fake.changed()

    async def close_all(self) -> None:
        for connection in list(self._connections):
            await connection.socket.close(code=1001, message=b"Discord is going away.")

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=4096)
        await socket.prepare(request)
        connection = Connection(socket, zlib_stream=request.query.get("compress") == "zlib-stream")
        self._connections.add(connection)
        try:
            self._check_query(request)
            await connection.send(
                {
                    "op": HELLO,
                    "d": {"heartbeat_interval": self.fake.heartbeat_interval},
                    "s": None,
                    "t": None,
                }
            )
            async for message in socket:
                if message.type is WSMsgType.TEXT:
                    await self._receive(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    raise _Closed(DECODE_ERROR)
        except _Closed as closed:
            code, reason = closed.close
            await socket.close(code=code, message=reason.encode())
        finally:
            self._connections.discard(connection)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
            await self.fake.changed()
        return socket

    def _check_query(self, request: web.Request) -> None:
        if request.query.get("v") != str(API_VERSION):
            raise _Closed(INVALID_API_VERSION)
        if request.query.get("encoding", "json") != "json":
            raise _Closed((4000, "The fake gateway speaks encoding=json only."))
        if request.query.get("compress") not in (None, "zlib-stream"):
            raise _Closed((4000, "The fake gateway supports compress=zlib-stream only."))

    async def _receive(self, connection: Connection, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            raise _Closed(DECODE_ERROR) from None
        if not isinstance(frame, dict):
            raise _Closed(DECODE_ERROR)
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            connection.heartbeats += 1
            await connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(connection, data)
        elif op == RESUME:
            await self._resume(connection, data)
        elif connection.session is None:
            raise _Closed(NOT_AUTHENTICATED)
        elif op in RECORDED_OPS:
            connection.session.received.append(frame)
        else:
            raise _Closed(UNKNOWN_OPCODE)

    async def _identify(self, connection: Connection, data: Any) -> None:
        if connection.session is not None:
            raise _Closed(ALREADY_AUTHENTICATED)
        if not isinstance(data, dict) or not isinstance(data.get("properties"), dict):
            raise _Closed(DECODE_ERROR)
        if data.get("token") != self.fake.bot_token:
            raise _Closed(AUTHENTICATION_FAILED)
        intents = data.get("intents")
        if (
            not isinstance(intents, int)
            or isinstance(intents, bool)
            or not 0 <= intents <= ALL_INTENTS
        ):
            raise _Closed(INVALID_INTENTS)
        if intents & PRIVILEGED_INTENTS & ~self.fake.privileged_intents:
            raise _Closed(DISALLOWED_INTENTS)
        shard = data.get("shard", [0, 1])
        valid_shard = (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(n, int) for n in shard)
            and 0 <= shard[0] < shard[1]
        )
        if not valid_shard:
            raise _Closed(INVALID_SHARD)
        self.fake.identifies.append(data)
        session = Session(
            id=secrets.token_hex(16),
            shard=shard[0],
            shard_count=shard[1],
            intents=intents,
            identify=data,
            connection=connection,
        )
        connection.session = session
        self.sessions[session.id] = session
        self.latest[session.shard] = session
        guilds = [
            g
            for g in self.fake.guilds.values()
            if (g.id >> 22) % session.shard_count == session.shard
        ]
        ready: JSON = {
            "v": API_VERSION,
            "user": {
                **self.fake.bot_user,
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
                "email": None,
            },
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.resume_gateway_url,
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "application": {
                "id": str(self.fake.application_id),
                "flags": self.fake.application_flags,
            },
            "_trace": ['["gateway-prd-fake",{"micros":0}]'],
        }
        if "shard" in data:
            ready["shard"] = shard
        await session.dispatch("READY", ready)
        if intents & GUILDS_INTENT:
            for guild in guilds:
                await session.dispatch("GUILD_CREATE", self.fake.guild_json(guild.id))
        session.ready = True
        await self.fake.changed()

    async def _resume(self, connection: Connection, data: Any) -> None:
        if connection.session is not None:
            raise _Closed(ALREADY_AUTHENTICATED)
        if not isinstance(data, dict):
            raise _Closed(DECODE_ERROR)
        if data.get("token") != self.fake.bot_token:
            raise _Closed(AUTHENTICATION_FAILED)
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalidated or self.latest.get(session.shard) is not session:
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        seq = data.get("seq")
        if not isinstance(seq, int) or seq > session.sequence:
            raise _Closed(INVALID_SEQ)
        previous = session.connection
        session.connection, connection.session = connection, session
        if previous is not None:
            previous.session = None
            await previous.socket.close(
                code=UNKNOWN_ERROR[0], message=b"Session resumed elsewhere."
            )
        session.resumes += 1
        missed = [frame for frame in session.sent if frame["s"] > seq]
        session.replayed = len(missed)
        for frame in missed:
            await connection.send(frame)
        await session.dispatch("RESUMED", {"_trace": ['["gateway-prd-fake",{"micros":0}]']})
        await self.fake.changed()
