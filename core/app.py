"""The bot: every adapter hands it a command and a requester, and renders what it answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from core import messages
from core.actions import ActionCodec
from core.billing import Billing
from core.commands import (
    Buy,
    Cancel,
    CapCredits,
    Command,
    DeleteMe,
    Describe,
    Forget,
    Help,
    History,
    Imagine,
    ListTemplates,
    PrivacyConsent,
    PrivacyCorrect,
    PrivacyExport,
    PrivacyInfo,
    PrivacyObject,
    PrivacyRestrict,
    Reformat,
    Reroll,
    ShareCredits,
    ShowCredits,
    TeamCredits,
    UseCredits,
)
from core.context import Claim, Context
from core.credits import Credits
from core.describe import Describing
from core.errors import ActionRefused, AioeError, NotFound
from core.generation import Generation
from core.idempotency import ClaimLost, Idempotency
from core.identity import Requester
from core.jobs import JobHandler, cancel_job, discard_quietly
from core.model import Account, ReplyAddress
from core.outbox import Outbox
from core.ports import Clock, UnitOfWorkFactory
from core.privacy import Privacy
from core.replies import (
    CommandInfo,
    Error,
    FormatInfo,
    Guide,
    Progress,
    Reply,
    Statement,
    StatementLine,
    TemplateInfo,
    Templates,
    Text,
)
from core.teams import Teams
from core.templates import Catalog

log = logging.getLogger(__name__)

Handler = Callable[[Context, Any], Awaitable[Reply]]


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
        idempotency: Idempotency,
        actions: ActionCodec,
        outbox: Outbox,
        privacy: Privacy,
        billing: Billing,
        teams: Teams,
        wake_workers: Callable[[], None] = lambda: None,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._job_handlers = job_handlers
        self._catalog = catalog
        self._clock = clock
        self._idempotency = idempotency
        self.actions = actions
        self._outbox = outbox
        self._wake = wake_workers
        self.privacy = privacy
        self.billing = billing
        self._handlers: dict[type[Any], Handler] = {
            Imagine: generation.imagine,
            Reroll: generation.reroll,
            Reformat: generation.reformat,
            Describe: describing.describe,
            Cancel: self._cancel,
            ListTemplates: self._templates,
            ShowCredits: self._show_credits,
            Help: self._help,
            History: privacy.history,
            Forget: privacy.forget,
            PrivacyInfo: privacy.info,
            PrivacyExport: privacy.export,
            PrivacyConsent: privacy.consent,
            PrivacyCorrect: privacy.correct,
            PrivacyRestrict: privacy.restrict,
            PrivacyObject: privacy.object,
            DeleteMe: privacy.delete_me,
            Buy: billing.buy,
            TeamCredits: teams.show,
            UseCredits: teams.use,
            ShareCredits: teams.share,
            CapCredits: teams.cap,
        }

    async def handle(
        self,
        requester: Requester,
        command: Command,
        address: ReplyAddress,
        key: str | None = None,
    ) -> Reply:
        """Answer one command. With ``key`` (the platform's id of this delivery), a
        repeat within a day gets the first answer and starts nothing new."""
        claim: Claim | None = None
        try:
            account = await self.open_account(requester)
            if key:
                scoped = Idempotency.scoped(requester.platform, account.id, key)
                first, claim = await self._idempotency.claim(scoped, account.id)
                if first is not None:
                    return first
            context = Context(
                account,
                address,
                claim,
                requester.tenant,
                requester.platform,
                requester.manager,
            )
            reply = await self._answer(context, command)
            reply = await self.privacy.after(account, command, requester.platform, reply)
        except ClaimLost:  # presumed dead, this request was taken over: its answer wins
            assert claim is not None
            first, _ = await self._idempotency.claim(claim.key, account.id)
            return first or Error(messages.SOMETHING_WENT_WRONG)
        except Exception:
            log.exception("command %s failed", type(command).__name__)
            if claim is not None:
                await self._idempotency.abandon(claim)
            return Error(messages.SOMETHING_WENT_WRONG)
        if claim is not None:
            await self._idempotency.record(claim, reply)
        if isinstance(reply, Progress) or isinstance(command, PrivacyExport):
            self._wake()  # a job was queued: workers in this process may start
        return reply

    async def press(
        self,
        requester: Requester,
        value: str,
        address: ReplyAddress,
        *,
        choice: str | None = None,
        key: str | None = None,
    ) -> Reply:
        """A button (or select) pressed: the command it carries, if the value is genuine
        and the presser is the person it was offered to."""
        try:
            pressed = self.actions.decode(value, choice)
            account = await self.open_account(requester)
            if pressed.owner != account.id:
                raise ActionRefused(messages.ACTION_NOT_YOURS)
        except AioeError as error:
            return Error(error.message)
        return await self.handle(requester, pressed.command, address, key)

    async def readdress(self, job_id: str, address: ReplyAddress) -> bool:
        """Give a job its final address (say, under the message the adapter just
        posted); a job that already finished is delivered there now. ``False`` when its
        reply had already been delivered."""
        async with self._uow() as uow:
            changed = await uow.jobs.readdress(job_id, address, self._clock())
            job = await uow.jobs.get(job_id)
            await uow.commit()
        if changed and job is not None and job.status.finished:
            await self._outbox.send(job)
        return changed

    async def tenant_removed(self, platform: str, tenant: str) -> int:
        """A workspace uninstalled the bot, or a server removed it: its unfinished jobs
        are cancelled and refunded, their replies given up and interaction tokens
        forgotten. Finished replies still waiting follow the outbox's rule (a reinstall
        within a day still gets them). People keep their accounts and a team keeps its
        credits. Returns how many jobs were cancelled."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            stranded = await uow.jobs.of_tenant(platform, tenant)
        count = 0
        for job in stranded:
            async with self._uow() as uow:
                cancelled = await cancel_job(uow, self._credits, job, now, messages.LEDGER_GONE)
                await uow.jobs.mark_undeliverable(job.id, now)
                await uow.commit()
            if cancelled:
                count += 1
                if job.kind in self._job_handlers:
                    await discard_quietly(self._job_handlers[job.kind], job)
        if count:
            log.info("%s tenant removed: %d unfinished job(s) cancelled", platform, count)
        return count

    async def open_account(self, requester: Requester) -> Account:
        async with self._uow() as uow:
            account = await self._credits.open_account(uow, requester)
            await uow.commit()
        return account

    async def _answer(self, context: Context, command: Command) -> Reply:
        try:
            return await self._handlers[type(command)](context, command)
        except AioeError as error:
            return Error(error.message)

    async def _cancel(self, context: Context, command: Cancel) -> Reply:
        job_id = command.job_id.strip()
        async with self._uow() as uow:
            job = await uow.jobs.get(job_id)
            if job is None or job.account_id != context.account.id:
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

    async def _templates(self, context: Context, command: ListTemplates) -> Reply:
        return Templates(
            templates=tuple(
                TemplateInfo(t.name, t.default_format, t.description)
                for t in self._catalog.templates.values()
            ),
            formats=tuple(
                FormatInfo(f.name, f.width, f.height, f.description)
                for f in self._catalog.formats.values()
            ),
        )

    async def _show_credits(self, context: Context, command: ShowCredits) -> Reply:
        return await self.statement(context.account)

    async def statement(self, account: Account) -> Statement:
        """The balance of the account's wallet and its last ten movements."""
        async with self._uow(readonly=True) as uow:
            balance, entries = await self._credits.statement(uow, account.wallet_id)
        return Statement(
            balance=balance,
            lines=tuple(
                StatementLine(e.created_at, e.kind.value, e.amount, e.reason, e.job_id)
                for e in entries
            ),
        )

    async def _help(self, context: Context, command: Help) -> Reply:
        return Guide(
            tuple(
                CommandInfo(name, summary) for name, summary in messages.COMMAND_SUMMARIES.items()
            )
        )
