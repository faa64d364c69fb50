"""A chat platform for process tests: replies are POSTed to a server the test runs.

``python -m tests.e2e.recorder ARGS…`` runs the real ``aioe`` command line (``worker``,
say) in a process whose deliveries include the ``recorder`` platform, so a test can
watch, hold or refuse every delivery and kill the process in the middle of one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from core.files import ImageFiles
from core.model import ReplyAddress
from core.replies import Images, Reply, reply_to_data

PLATFORM = "recorder"
URL_VARIABLE = "AIOE_TEST_RECORDER_URL"


class RecorderDelivery:
    """Implements ``Delivery``: one POST per reply, with a digest of each image's bytes
    read through ``ImageFiles``; anything but 200 is a failed delivery."""

    def __init__(self, url: str, files: ImageFiles) -> None:
        self._url = url
        self._files = files

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        digests = {}
        if isinstance(reply, Images):
            for image in reply.images:
                data = (await self._files.read(image.id)).data
                digests[image.id] = hashlib.sha256(data).hexdigest()
        body = {"fields": dict(address.fields), "reply": reply_to_data(reply), "files": digests}
        async with (
            ClientSession(timeout=ClientTimeout(total=120)) as session,
            session.post(self._url, json=body) as response,
        ):
            if response.status != 200:
                raise ConnectionError(f"the recorder answered {response.status}")


class Recorder:
    """The test's side: counts deliveries the handler completed, can hold or refuse."""

    def __init__(self) -> None:
        self.completed: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.arrived = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()
        self.refuse = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrived.set()
        if self.refuse:
            self.refuse -= 1
            return web.Response(status=503)
        await self.gate.wait()  # cancelled if the sender dies meanwhile
        self.completed.append(body)
        self.changed.set()
        return web.Response(text="ok")

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(60):
            while len(self.completed) < count:
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def recorder_server() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/deliveries", recorder.handle)
    # A request whose sender vanished is dropped, as a platform drops a broken request.
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    recorder.url = f"http://127.0.0.1:{port}/deliveries"
    try:
        yield recorder
    finally:
        await runner.cleanup()


def main() -> None:
    import bot.bootstrap
    from bot.cli import main as aioe

    original = bot.bootstrap.build_deliveries

    def with_recorder(settings: Any, files: ImageFiles, *others: Any) -> Any:
        deliveries = original(settings, files, *others)
        deliveries.register(PLATFORM, RecorderDelivery(os.environ[URL_VARIABLE], files))
        return deliveries

    bot.bootstrap.build_deliveries = with_recorder
    sys.argv = ["aioe", *sys.argv[1:]]
    aioe()


if __name__ == "__main__":
    main()
