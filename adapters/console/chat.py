"""The terminal chat: reads commands, prints replies, delivers finished jobs in-process."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from adapters.console.render import to_line, to_text
from adapters.console.translate import translate
from core.app import Bot
from core.commands import Cancel
from core.errors import BadInput
from core.identity import Requester
from core.model import Job, ReplyAddress
from core.ports import UnitOfWorkFactory
from core.replies import Error, Progress, Reply, Text

PLATFORM = "console"
TENANT = "local"
PROMPT = "aioe> "


class ConsoleChat:
    """One terminal user. Also the ``Delivery`` for the ``console`` platform."""

    def __init__(
        self,
        bot: Bot,
        uow_factory: UnitOfWorkFactory,
        *,
        user: str,
        json_mode: bool = False,
        out: TextIO | None = None,
        check_every: float = 2.0,
    ) -> None:
        self._bot = bot
        self._uow = uow_factory
        self.requester = Requester(PLATFORM, TENANT, user, user)
        self.address = ReplyAddress(PLATFORM, TENANT, user_id=user)
        self._json = json_mode
        self._out = out or sys.stdout
        self._check_every = check_every
        self._waiting: dict[str, asyncio.Event] = {}
        self._done: set[str] = set()

    # --- Delivery port -------------------------------------------------------
    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        self.show(reply)

    def job_finished(self, job: Job) -> None:
        """Worker hook: a job of this process came to an end."""
        self.job_finished_id(job.id)

    # --- the conversation ------------------------------------------------------
    def show(self, reply: Reply) -> None:
        self._out.write((to_line(reply) if self._json else to_text(reply)) + "\n")
        self._out.flush()

    async def say(self, line: str) -> Reply:
        """Run one terminal line and show its reply."""
        try:
            command = await translate(line)
        except BadInput as error:
            reply: Reply = Error(error.message)
        else:
            reply = await self._bot.handle(self.requester, command, self.address)
            if isinstance(reply, Progress):
                self._waiting.setdefault(reply.job_id, asyncio.Event())
            elif isinstance(command, Cancel) and isinstance(reply, Text):
                self.job_finished_id(command.job_id)
        self.show(reply)
        return reply

    def job_finished_id(self, job_id: str) -> None:
        self._done.add(job_id)
        if job_id in self._waiting:
            self._waiting[job_id].set()

    async def run(self, lines: AsyncIterator[str]) -> None:
        async for line in lines:
            if line.strip() in {"/quit", "/exit"}:
                break
            if line.strip():
                await self.say(line)
        await self.wait_for_jobs()

    async def wait_for_jobs(self) -> None:
        """Return once every job this chat started has finished, here or elsewhere."""
        for job_id, event in list(self._waiting.items()):
            while job_id not in self._done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), self._check_every)
                if job_id not in self._done and await self._finished_elsewhere(job_id):
                    self._done.add(job_id)

    async def _finished_elsewhere(self, job_id: str) -> bool:
        async with self._uow() as uow:
            job = await uow.jobs.get(job_id)
        return job is None or job.status.finished


async def piped_lines(stream: TextIO) -> AsyncIterator[str]:
    while line := await asyncio.to_thread(stream.readline):
        yield line


async def typed_lines() -> AsyncIterator[str]:
    """Lines typed at a prompt, with readline history; Ctrl-D ends."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (enables history and editing for input())
    while True:
        try:
            yield await asyncio.to_thread(input, PROMPT)
        except EOFError:
            return
