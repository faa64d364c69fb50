"""Operator tools behind ``aioe privacy`` and ``aioe sweep``: requests that arrive by
e-mail (export, erasure) and the retention sweeps."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.bootstrap import bootstrap, utcnow
from bot.operator import look_up_account
from bot.settings import Settings
from core.model import RequestKind
from core.privacy import operator_request

KINDS = {kind.value: kind for kind in RequestKind}


def received(day: str | None) -> datetime:
    """When an e-mailed request arrived (``YYYY-MM-DD``, today if not given)."""
    if not day:
        return utcnow()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise SystemExit(f"--received takes a date like 2026-12-01, not {day!r}") from None
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


async def record(settings: Settings, user: str, kind: str, day: str | None) -> None:
    """Record a request that came by e-mail: it is open, and due in 30 days."""
    if kind not in KINDS:
        raise SystemExit(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    async with bootstrap(settings) as app:
        account = await look_up_account(app, user)
        request = operator_request(account.id, KINDS[kind], received(day))
        async with app.uow_factory() as uow:
            await uow.privacy.add_request(request)
            await uow.commit()
    sys.stdout.write(f"{request.id}: {kind} for {account.id}, due {request.due_at:%Y-%m-%d}\n")


async def export(settings: Settings, user: str, out: Path | None) -> None:
    """Write an account's export ZIP to ``out`` (or ``<account>.zip``) and close its open
    access requests."""
    async with bootstrap(settings) as app:
        account = await look_up_account(app, user)
        target = out or Path(f"aioe-export-{account.id}.zip")
        partial = target.with_name(f".{target.name}.part")
        size = 0
        try:
            with partial.open("wb") as handle:
                async for chunk in app.exporter.stream(account.id):
                    handle.write(chunk)
                    size += len(chunk)
            os.replace(partial, target)
        except BaseException:  # a half-written export is personal data too
            partial.unlink(missing_ok=True)
            raise
        async with app.uow_factory() as uow:
            await uow.privacy.complete_requests(account.id, RequestKind.ACCESS.value, utcnow())
            await uow.privacy.log_access(account.id, "privacy", "export by operator", utcnow())
            await uow.commit()
    sys.stdout.write(f"{target}: {size} bytes, the data of {account.id}\n")


async def delete(settings: Settings, user: str, day: str | None) -> None:
    """Erase an account now, as /delete-me does."""
    async with bootstrap(settings) as app:
        account = await look_up_account(app, user)
        erased = await app.eraser.erase(account.id, via="operator", received_at=received(day))
    rows = sum(erased.rows.values())
    sys.stdout.write(
        f"erased {account.id}: {rows} row(s) deleted or pseudonymised, {erased.files} file(s)\n"
    )


async def requests(settings: Settings) -> None:
    """The open requests, soonest due first."""
    async with bootstrap(settings) as app, app.uow_factory(readonly=True) as uow:
        pending = await uow.privacy.open_requests()
    if not pending:
        sys.stdout.write("no open privacy requests\n")
        return
    now = utcnow()
    for request in pending:
        days = (request.due_at - now).days
        late = "OVERDUE" if request.due_at < now else f"{days} day(s) left"
        sys.stdout.write(
            f"{request.id}  {request.kind.value:<13} {request.account_id or '-':<34} "
            f"received {request.received_at:%Y-%m-%d}  due {request.due_at:%Y-%m-%d} ({late})\n"
        )


async def sweep(settings: Settings) -> None:
    async with bootstrap(settings) as app:
        swept = await app.sweeper().sweep()
    sys.stdout.write("swept:\n" + "".join(f"  {line}\n" for line in swept.lines()))
