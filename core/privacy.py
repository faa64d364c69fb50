"""The privacy rights as commands: see, export, correct, restrict, object, consent, erase;
and the image history (/history, /forget)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from core import messages
from core.commands import (
    Command,
    DeleteMe,
    Forget,
    History,
    PrivacyConsent,
    PrivacyCorrect,
    PrivacyExport,
    PrivacyInfo,
    PrivacyObject,
    PrivacyRestrict,
)
from core.context import Context
from core.credits import Credits
from core.errors import BadInput, NotFound
from core.export import (
    EXPORT_JOB,
    EXPORT_TTL,
    account_prefixes,
    new_export_id,
)
from core.ids import new_id
from core.jobs import JobHandler, cancel_job, discard_quietly
from core.links import Links
from core.model import Account, PrivacyRequest, RequestKind
from core.payloads import ExportPayload
from core.policy import Policy
from core.ports import (
    BlobStore,
    Clock,
    DiskReclaimer,
    PaymentRecords,
    UnitOfWork,
    UnitOfWorkFactory,
)
from core.queueing import Enqueuer
from core.replies import (
    Action,
    ActionKind,
    Confirm,
    Document,
    Gallery,
    HistoryEntry,
    Private,
    Reply,
    Section,
)

log = logging.getLogger(__name__)

#: How long a person has to answer a privacy request sent by e-mail (Art. 12(3)).
ANSWER_WITHIN = timedelta(days=30)
CONFIRM_WITHIN = timedelta(minutes=10)
PAGE_SIZE = 10
PURPOSES = ("analytics",)
MAX_NAME = 80
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_ERASE = "erase"
#: Commands that change consent or erase: never counted, whatever the consent was before.
_UNCOUNTED = (PrivacyConsent, PrivacyObject, PrivacyRestrict, DeleteMe)


#: The product's own ledger reasons survive an erasure (operators' free text does not).
def _shape(template: str) -> re.Pattern[str]:
    """A ledger reason template as a pattern: numbers and names fill its fields."""
    escaped = re.escape(template)
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"[\\w .-]+", escaped) + "$")


_FILLED = tuple(
    _shape(template)
    for template in (messages.LEDGER_SPENT, messages.LEDGER_BOUGHT, messages.LEDGER_REFUNDED)
)
_OWN_REASONS = frozenset(
    {
        messages.LEDGER_WELCOME,
        messages.LEDGER_HELD,
        messages.LEDGER_JOB_FAILED,
        messages.LEDGER_CANCELLED,
        messages.LEDGER_ABANDONED,
        messages.LEDGER_ERASED,
        messages.LEDGER_GONE,
    }
)


def keeps_reason(reason: str) -> bool:
    """Whether a ledger reason is the product's own words (kept after an erasure)."""
    return reason in _OWN_REASONS or any(shape.match(reason) for shape in _FILLED)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure removed: rows per table, and files."""

    rows: dict[str, int]
    files: int


class Eraser:
    """Erases an account whole (Art. 17): its running jobs are cancelled, its rows deleted
    (bookkeeping rows moved to a pseudonym), its files deleted, the database files
    cleaned of what was deleted, and the request recorded without personal data."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        credits: Credits,
        blobs: BlobStore,
        handlers: dict[str, JobHandler],
        reclaim: DiskReclaimer,
        clock: Clock,
        payments: PaymentRecords | None = None,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._payments = payments
        self._blobs = blobs
        self._handlers = handlers
        self._reclaim = reclaim
        self._clock = clock

    async def erase(self, account_id: str, via: str, received_at: datetime | None = None) -> Erased:
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            running = await uow.jobs.unfinished(account_id)
        for job in running:
            async with self._uow() as uow:
                cancelled = await cancel_job(uow, self._credits, job, now, messages.LEDGER_ERASED)
                await uow.commit()
            if cancelled and job.kind in self._handlers:
                await discard_quietly(self._handlers[job.kind], job)
        if self._payments is not None:  # while we still know who the customer is
            async with self._uow(readonly=True) as uow:
                customer = await uow.payments.customer(account_id)
            if customer is not None:
                await self._payments.erase_customer(customer.customer_id)
        pseudonym = new_id("anon", 20)
        async with self._uow() as uow:
            rows = await uow.privacy.erase(account_id, pseudonym, now, keeps_reason)
            recorded = request(None, RequestKind.ERASURE, via, received_at or now, done=True)
            await uow.privacy.add_request(replace(recorded, completed_at=now))
            await uow.commit()
        files = 0
        for prefix in account_prefixes(account_id):
            files += await self._blobs.delete_prefix(prefix)
        await self._reclaim()
        log.info("erased an account: %d row(s), %d file(s)", sum(rows.values()), files)
        return Erased(rows, files)


class Privacy:
    """Answers the privacy commands and /history, /forget; tells each person of a new
    policy once; records analytics only while they consent."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        enqueuer: Enqueuer,
        blobs: BlobStore,
        links: Links,
        policy: Policy,
        recipients: Iterable[str],
        eraser: Eraser,
        clock: Clock,
        secret: str,
    ) -> None:
        self._uow = uow_factory
        self._enqueuer = enqueuer
        self._blobs = blobs
        self._links = links
        self.policy = policy
        self._recipients = tuple(recipients)
        self._eraser = eraser
        self._clock = clock
        self._key = hmac.new(secret.encode(), b"aioe.confirmations", hashlib.sha256).digest()

    # --- around every command ----------------------------------------------------------
    async def after(self, account: Account, command: Command, platform: str, reply: Reply) -> Reply:
        """Count the command while the person consents to analytics; tell them of a new
        policy version once (on this reply)."""
        count = account.counts_usage and not isinstance(command, _UNCOUNTED)
        tell = account.policy_version != self.policy.version
        if not (count or tell):  # the common case writes nothing
            return reply
        notice = ""
        async with self._uow() as uow:
            if count:
                await uow.privacy.count_usage(account.id, command.name, platform, self._clock())
            if tell and await uow.privacy.saw_policy(account.id, self.policy.version):
                notice = self.policy.announcement()
            await uow.commit()
        return replace(reply, notice=notice) if notice else reply

    # --- /privacy ----------------------------------------------------------------------
    async def info(self, context: Context, command: PrivacyInfo) -> Reply:
        account = context.account
        async with self._uow(readonly=True) as uow:
            consents = await uow.privacy.consents(account.id)
        p = self.policy
        stored = "\n".join(
            f"• {c.name}: {c.data}. Why: {c.purpose}. Kept: {c.retention}. From: {c.source}."
            for c in p.categories
        )
        recipients = "\n".join(
            f"• {r.name}: {r.receives} ({r.why})." for r in p.recipients_for(self._recipients)
        )
        last = {c.purpose: c for c in consents}
        analytics = last.get("analytics")
        settings = [
            messages.PRIVACY_NAME.format(name=account.display_name),
            messages.PRIVACY_EMAIL.format(email=account.email or messages.PRIVACY_NONE),
            messages.PRIVACY_ANALYTICS.format(
                state=messages.ON if account.analytics else messages.OFF,
                since=_when(analytics.created_at) if analytics else messages.PRIVACY_NEVER_SET,
            ),
            messages.PRIVACY_RESTRICTED.format(
                state=messages.ON if account.restricted else messages.OFF
            ),
            messages.PRIVACY_OBJECTED.format(
                state=messages.YES if account.objected else messages.NO
            ),
        ]
        return Document(
            title=messages.PRIVACY_TITLE.format(version=p.version, date=p.date),
            sections=(
                Section(messages.PRIVACY_WHAT, stored),
                Section(messages.PRIVACY_WHO, recipients),
                Section(messages.PRIVACY_RIGHTS, p.rights),
                Section(messages.PRIVACY_ERASURE, p.erasure),
                Section(
                    messages.PRIVACY_CONTACT,
                    messages.PRIVACY_CONTACT_TEXT.format(
                        controller=p.controller, contact=p.contact, authority=p.authority
                    ),
                ),
                Section(messages.PRIVACY_YOURS, "\n".join(settings)),
            ),
        )

    async def export(self, context: Context, command: PrivacyExport) -> Reply:
        account = context.account
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            latest = await uow.privacy.latest_export(account.id)
            running = any(j.kind == EXPORT_JOB for j in await uow.jobs.unfinished(account.id))
        if running:
            raise BadInput(messages.EXPORT_RUNNING)
        if latest is not None and now - latest.created_at < EXPORT_TTL:
            next_one = _when(latest.created_at + EXPORT_TTL)
            raise BadInput(messages.EXPORT_TOO_SOON.format(next=next_one))
        asked = request(account.id, RequestKind.ACCESS, "chat", now, done=False)
        async with self._uow() as uow:
            await uow.privacy.add_request(asked)
            await uow.privacy.log_access(account.id, "privacy", "export", now)
            await uow.commit()
        payload = ExportPayload(export_id=new_export_id())
        return await self._enqueuer.enqueue_private(context, payload, 0, messages.EXPORT_STARTED)

    async def consent(self, context: Context, command: PrivacyConsent) -> Reply:
        purpose = command.purpose.strip().lower()
        if purpose not in PURPOSES:
            raise BadInput(
                messages.CONSENT_UNKNOWN.format(purpose=purpose, known=", ".join(PURPOSES))
            )
        account = context.account
        async with self._uow() as uow:
            now = self._clock()
            await uow.privacy.consent(
                account.id, purpose, command.granted, self.policy.version, now
            )
            await self._done(uow, account.id, RequestKind.CONSENT, f"consent {purpose}", now)
            await uow.commit()
        text = messages.CONSENT_ON if command.granted else messages.CONSENT_OFF
        if command.granted and (account.restricted or account.objected):
            text += " " + messages.CONSENT_BUT_RESTRICTED
        return Private(text.format(purpose=purpose, version=self.policy.version))

    async def correct(self, context: Context, command: PrivacyCorrect) -> Reply:
        field = command.field.strip().lower()
        value = " ".join(command.value.split())
        if field == "name":
            if not value or len(value) > MAX_NAME:
                raise BadInput(messages.CORRECT_BAD_NAME.format(limit=MAX_NAME))
            update: dict[str, Any] = {"display_name": value}
        elif field == "email":
            if len(value) > MAX_EMAIL or not _EMAIL.match(value):
                raise BadInput(messages.CORRECT_BAD_EMAIL)
            update = {"email": value}
        else:
            raise BadInput(messages.CORRECT_UNKNOWN.format(field=field))
        async with self._uow() as uow:
            now = self._clock()
            await uow.privacy.set_profile(context.account.id, **update)
            await self._done(
                uow, context.account.id, RequestKind.RECTIFICATION, f"correct {field}", now
            )
            await uow.commit()
        return Private(messages.CORRECTED.format(field=field, value=value))

    async def restrict(self, context: Context, command: PrivacyRestrict) -> Reply:
        async with self._uow() as uow:
            now = self._clock()
            await uow.privacy.set_flags(context.account.id, restricted=command.on)
            action = "restrict on" if command.on else "restrict off"
            await self._done(uow, context.account.id, RequestKind.RESTRICTION, action, now)
            await uow.commit()
        return Private(messages.RESTRICTED_ON if command.on else messages.RESTRICTED_OFF)

    async def object(self, context: Context, command: PrivacyObject) -> Reply:
        account = context.account
        async with self._uow() as uow:
            now = self._clock()
            await uow.privacy.set_flags(account.id, objected=True)
            if account.analytics:
                await uow.privacy.consent(account.id, "analytics", False, self.policy.version, now)
            await self._done(uow, account.id, RequestKind.OBJECTION, "object", now)
            await uow.commit()
        return Private(messages.OBJECTED)

    async def _done(
        self, uow: UnitOfWork, account_id: str, kind: RequestKind, action: str, now: datetime
    ) -> None:
        """A request made in chat is answered at once: recorded done, and logged."""
        await uow.privacy.add_request(request(account_id, kind, "chat", now, done=True))
        await uow.privacy.log_access(account_id, "privacy", action, now)

    # --- /delete-me --------------------------------------------------------------------
    async def delete_me(self, context: Context, command: DeleteMe) -> Reply:
        account = context.account
        now = self._clock()
        if not command.code.strip():
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
            async with self._uow() as uow:
                await uow.privacy.put_confirmation(
                    account.id, _ERASE, self._hash(code), now + CONFIRM_WITHIN
                )
                await uow.privacy.log_access(account.id, "privacy", "delete asked", now)
                await uow.commit()
            action = Action(
                ActionKind.CONFIRM, messages.ACTION_LABEL_ERASE, DeleteMe(code=code), account.id
            )
            minutes = int(CONFIRM_WITHIN.total_seconds() // 60)
            return Confirm(
                text=messages.ERASE_CONFIRM.format(minutes=minutes), code=code, actions=(action,)
            )
        async with self._uow() as uow:
            pending = await uow.privacy.take_confirmation(account.id, _ERASE)
            await uow.commit()
        if pending is None:
            raise BadInput(messages.ERASE_NO_CODE)
        code_hash, expires_at = pending
        if expires_at <= now:
            raise BadInput(messages.ERASE_CODE_EXPIRED)
        if not hmac.compare_digest(code_hash, self._hash(command.code.strip().upper())):
            raise BadInput(messages.ERASE_WRONG_CODE)
        await self._eraser.erase(account.id, via="chat")
        return Private(messages.ERASED)

    def _hash(self, code: str) -> str:
        return hmac.new(self._key, code.encode(), hashlib.sha256).hexdigest()

    # --- /history, /forget ---------------------------------------------------------------
    async def history(self, context: Context, command: History) -> Reply:
        if command.page < 1:
            raise BadInput(messages.HISTORY_BAD_PAGE)
        account = context.account
        async with self._uow(readonly=True) as uow:
            total = await uow.images.count_for_account(account.id)
            records = await uow.images.for_account(
                account.id, PAGE_SIZE, (command.page - 1) * PAGE_SIZE
            )
        pages = max(1, math.ceil(total / PAGE_SIZE))
        return Gallery(
            entries=tuple(
                HistoryEntry(
                    id=r.id,
                    template=r.template,
                    format=r.format_name,
                    width=r.width,
                    height=r.height,
                    created_at=r.created_at,
                    link=self._links.image_link(r.id),
                )
                for r in records
            ),
            page=command.page,
            pages=pages,
            total=total,
        )

    async def forget(self, context: Context, command: Forget) -> Reply:
        image_id = command.image_id.strip()
        async with self._uow() as uow:
            record = await uow.images.get(image_id)
            if record is None or record.account_id != context.account.id:
                raise NotFound(messages.IMAGE_NOT_YOURS.format(image_id=image_id))
            await uow.images.delete(image_id)
            await uow.privacy.log_access(
                context.account.id, "privacy", "forget", self._clock(), target=image_id
            )
            await uow.commit()
        await self._blobs.delete(record.blob_key)
        return Private(messages.FORGOTTEN.format(image_id=image_id))


def request(
    account_id: str | None, kind: RequestKind, via: str, received_at: datetime, *, done: bool
) -> PrivacyRequest:
    """A privacy request received at ``received_at``: due within 30 days (Art. 12(3));
    ``done`` when answered at once (in chat, or an erasure, then without the account)."""
    return PrivacyRequest(
        id=new_id("req"),
        account_id=account_id,
        kind=kind,
        via=via,
        status="done" if done else "open",
        received_at=received_at,
        due_at=received_at + ANSWER_WITHIN,
        completed_at=received_at if done else None,
    )


def operator_request(account_id: str, kind: RequestKind, received_at: datetime) -> PrivacyRequest:
    """A request that arrived by e-mail, recorded by an operator: open until answered."""
    return request(account_id, kind, "operator", received_at, done=False)
