"""The bot: every adapter hands it a command and a requester, and renders what it answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from core import messages
from core.commands import (
    Cancel,
    Command,
    Describe,
    Help,
    Imagine,
    ListTemplates,
    Reformat,
    Reroll,
    ShowCredits,
)
from core.credits import Credits
from core.describe import Describing
from core.errors import AioeError, NotFound
from core.generation import Generation
from core.identity import Requester
from core.jobs import JobHandler, cancel_job, discard_quietly
from core.model import Account, ReplyAddress
from core.ports import Clock, UnitOfWorkFactory
from core.replies import Error, Private, Progress, Reply, Text
from core.templates import Catalog

log = logging.getLogger(__name__)

Handler = Callable[[Account, Any, ReplyAddress], Awaitable[Reply]]


class Bot:
    """Dispatches commands through a lookup table; errors become one-sentence replies."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        credits: Credits,
        generation: Generation,
        describing: Describing,
        job_handlers: Mapping[str, JobHandler],
        catalog: Catalog,
        clock: Clock,
        wake_workers: Callable[[], None] = lambda: None,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._job_handlers = job_handlers
        self._catalog = catalog
        self._clock = clock
        self._wake = wake_workers
        self._handlers: dict[type[Any], Handler] = {
            Imagine: generation.imagine,
            Reroll: generation.reroll,
            Reformat: generation.reformat,
            Describe: describing.describe,
            Cancel: self._cancel,
            ListTemplates: self._templates,
            ShowCredits: self._show_credits,
            Help: self._help,
        }

    async def handle(self, requester: Requester, command: Command, address: ReplyAddress) -> Reply:
        try:
            account = await self.open_account(requester)
            reply = await self._handlers[type(command)](account, command, address)
        except AioeError as error:
            return Error(error.message)
        except Exception:
            log.exception("command %s failed", type(command).__name__)
            return Error(messages.SOMETHING_WENT_WRONG)
        if isinstance(reply, Progress):  # a job was queued: workers in this process may start
            self._wake()
        return reply

    async def open_account(self, requester: Requester) -> Account:
        async with self._uow() as uow:
            account = await self._credits.open_account(uow, requester)
            await uow.commit()
        return account

    async def _cancel(self, account: Account, command: Cancel, address: ReplyAddress) -> Reply:
        job_id = command.job_id.strip()
        async with self._uow() as uow:
            job = await uow.jobs.get(job_id)
            if job is None or job.account_id != account.id:
                raise NotFound(messages.JOB_NOT_FOUND.format(job_id=job_id))
            cancelled = await cancel_job(
                uow, self._credits, job, self._clock(), messages.LEDGER_CANCELLED
            )
            if not cancelled:
                raise NotFound(messages.JOB_ALREADY_FINISHED.format(job_id=job_id))
            await uow.commit()
        handler = self._job_handlers.get(job.kind)
        if handler is not None:
            await discard_quietly(handler, job)
        return Text(messages.JOB_CANCELLED.format(job_id=job_id, cost=job.cost))

    async def _templates(
        self, account: Account, command: ListTemplates, address: ReplyAddress
    ) -> Reply:
        lines = [messages.TEMPLATES_HEADER]
        width = max(len(name) for name in self._catalog.templates)
        for t in self._catalog.templates.values():
            lines.append(f"  {t.name:<{width}}  {t.default_format:<11}  {t.description}")
        lines.append(messages.FORMATS_HEADER)
        for f in self._catalog.formats.values():
            lines.append(f"  {f.name:<11}  {f.width}×{f.height}  {f.description}")
        return Text("\n".join(lines))

    async def _show_credits(
        self, account: Account, command: ShowCredits, address: ReplyAddress
    ) -> Reply:
        return await self.show_credits(account)

    async def show_credits(self, account: Account) -> Private:
        """Balance and the last ten movements, as a private reply."""
        async with self._uow(readonly=True) as uow:
            balance, entries = await self._credits.statement(uow, account.id)
        lines = [
            messages.CREDITS_SUMMARY.format(balance=balance),
            messages.CREDITS_RECENT if entries else messages.NO_MOVEMENTS,
        ]
        for entry in entries:
            when = entry.created_at.strftime("%Y-%m-%d %H:%M")
            detail = " ".join(
                part for part in (entry.reason, f"({entry.job_id})" if entry.job_id else "") if part
            )
            lines.append(f"  {when}  {entry.kind.value:<8} {entry.amount:>+4d}  {detail}".rstrip())
        return Private("\n".join(lines))

    async def _help(self, account: Account, command: Help, address: ReplyAddress) -> Reply:
        return Text(messages.HELP)
