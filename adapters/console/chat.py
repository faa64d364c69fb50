"""The terminal chat: reads commands, prints replies, delivers its own finished jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TextIO

from adapters.console.render import to_line, to_text
from adapters.console.translate import translate
from core.app import Bot
from core.commands import Cancel
from core.endpoints import EndpointLease
from core.errors import BadInput
from core.identity import Requester
from core.ids import new_id
from core.model import Job, JobStatus, ReplyAddress
from core.ports import UnitOfWorkFactory
from core.replies import Error, Private, Progress, Reply

log = logging.getLogger(__name__)

PLATFORM = "console"
TENANT = "local"
PROMPT = "aioe> "


class ConsoleChat:
    """One terminal, one user. Also the ``Delivery`` for this terminal session.

    A terminal is a process-local endpoint: its replies go to ``console/<session>``, so
    only a worker of this process (which can print here) takes its jobs, and nobody
    else's results land here. While it runs it renews the endpoint's lease; jobs of a
    session that died without ending are cancelled and refunded by any worker.
    """

    def __init__(
        self,
        bot: Bot,
        uow_factory: UnitOfWorkFactory,
        *,
        user: str,
        json_mode: bool = False,
        out: TextIO | None = None,
        check_every: float = 2.0,
        lease: Callable[[str], EndpointLease] | None = None,
    ) -> None:
        self._bot = bot
        self._uow = uow_factory
        self.session = new_id("term")
        self.requester = Requester(PLATFORM, TENANT, user, user)
        self.address = ReplyAddress(PLATFORM, endpoint=self.session, fields={"user_id": user})
        self._json = json_mode
        self._out = out or sys.stdout
        self._check_every = check_every
        self._lease = lease(self.route) if lease is not None else None
        self._lines = 0
        self._waiting: dict[str, asyncio.Event] = {}
        self._done: set[str] = set()
        self.prompting = False  # a prompt is on screen, waiting for the person to type

    @property
    def route(self) -> str:
        return self.address.route

    # --- Delivery port ---------------------------------------------------------
    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        if address.endpoint != self.session:
            raise LookupError("a reply for another terminal session reached this one")
        self.show(reply)

    def job_finished(self, job: Job) -> None:
        """Worker hook: a job of this process came to an end; look at it again now."""
        if job.id in self._waiting:
            self._waiting[job.id].set()

    # --- the conversation ----------------------------------------------------------
    def show(self, reply: Reply) -> None:
        text = (to_line(reply) if self._json else to_text(reply)) + "\n"
        if self.prompting:  # a result arrived while the person types: redraw their line
            text = "\r\x1b[K" + text + PROMPT + _typed_so_far()
        self._out.write(text)
        self._out.flush()

    async def say(self, line: str) -> Reply:
        """Run one terminal line and show its reply. Each line's key is its number in
        this session, so a line is never handled twice."""
        self._lines += 1
        try:
            command = await translate(line)
        except BadInput as error:
            reply: Reply = Error(error.message)
        else:
            key = f"{self.session}:{self._lines}"
            reply = await self._bot.handle(self.requester, command, self.address, key)
            job_id = reply.job_id if isinstance(reply, Progress | Private) else None
            if job_id:
                self._waiting.setdefault(job_id, asyncio.Event())
        self.show(reply)
        return reply

    async def run(self, lines: AsyncIterator[str]) -> None:
        """Converse until the input ends, then wait for this session's jobs. Interrupted,
        it cancels what is still running, so no credits stay held for a closed terminal."""
        keeping = None
        if self._lease is not None:
            await self._lease.beat()
            keeping = asyncio.create_task(self._lease.keep_alive())
        try:
            async for line in lines:
                if line.strip() in {"/quit", "/exit"}:
                    break
                if line.strip():
                    await self.say(line)
            await self.wait_for_jobs()
        finally:
            await asyncio.shield(self._close(keeping))

    async def wait_for_jobs(self) -> None:
        """Return once every job this chat started has ended and its reply was shown
        and recorded as delivered."""
        for job_id, event in list(self._waiting.items()):
            while job_id not in self._done:
                if await self._settled(job_id):
                    self._done.add(job_id)
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), self._check_every)
                event.clear()

    async def _settled(self, job_id: str) -> bool:
        """Ended, and its reply (if it has one) recorded as delivered."""
        async with self._uow(readonly=True) as uow:
            job = await uow.jobs.get(job_id)
        if job is None or job.status is JobStatus.CANCELLED:
            return True
        return job.status.finished and job.delivered_at is not None

    async def _close(self, keeping: asyncio.Task[None] | None) -> None:
        for job_id in [j for j in self._waiting if j not in self._done]:
            await self._bot.handle(self.requester, Cancel(job_id), self.address)
            self._done.add(job_id)
        if keeping is not None:
            keeping.cancel()
            await asyncio.gather(keeping, return_exceptions=True)
        if self._lease is not None:
            await self._lease.end()


async def piped_lines(stream: TextIO) -> AsyncIterator[str]:
    while line := await asyncio.to_thread(stream.readline):
        yield line


def _typed_so_far() -> str:
    try:
        import readline
    except ImportError:
        return ""
    return readline.get_line_buffer()


async def typed_lines(chat: ConsoleChat) -> AsyncIterator[str]:
    """Lines typed at a prompt, with readline history; Ctrl-D ends, Ctrl-C interrupts.

    ``input()`` runs in a daemon thread that prompts only when the chat asks for the next
    line, so replies print before the next prompt and an interrupt never waits for Enter.
    """
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (history and line editing for input())
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    wanted = threading.Event()

    def read() -> None:
        while True:
            wanted.wait()
            wanted.clear()
            try:
                line: str | None = input(PROMPT)
            except EOFError:
                line = None
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if line is None:
                return

    threading.Thread(target=read, name="terminal-input", daemon=True).start()
    with _terminal_restored():
        while True:
            chat.prompting = True
            wanted.set()
            line = await lines.get()
            chat.prompting = False
            if line is None:
                return
            yield line


@contextlib.contextmanager
def _terminal_restored() -> Iterator[None]:
    """Give the terminal back as it was: an interrupt can leave readline's input mode."""
    try:
        import termios

        saved = termios.tcgetattr(sys.stdin)
    except (ImportError, OSError, ValueError):
        yield
        return
    try:
        yield
    except BaseException:  # interrupted at the prompt: end its line
        sys.stdout.write("\n")
        raise
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)
