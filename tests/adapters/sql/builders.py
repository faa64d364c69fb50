"""Small builders shared by the SQL adapter tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from adapters.sql.tables import ledger
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.identity import Identity
from core.model import Account, ImageRecord, Job, JobStatus, Movement, ReplyAddress
from core.payloads import ImaginePayload

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``seconds`` after the tests' fixed start time."""
    return T0 + timedelta(seconds=seconds)


def console(user: str) -> Identity:
    return Identity("console", "local", user)


async def new_account(uows: SqlUnitOfWorkFactory, user: str = "ada", credits: int = 0) -> Account:
    """A committed account for a console user, its personal wallet granted ``credits``."""
    async with uows() as uow:
        account, _ = await uow.accounts.ensure(console(user), user.title(), T0)
        if credits:
            await uow.ledger.post(account.wallet_id, Movement.GRANT, credits, f"grant:{user}", T0)
        await uow.commit()
        found = await uow.accounts.get(account.id)
    assert found is not None
    return found


def imagine(prompt: str = "a mug on marble", n: int = 2) -> ImaginePayload:
    return ImaginePayload(
        prompt=prompt, template="marble", format="portrait", n=n, seed=7, provider="studio"
    )


def slack_address(**changes: Any) -> ReplyAddress:
    """A Slack thread: any worker of any process can deliver there."""
    values: dict[str, Any] = {
        "platform": "slack",
        "fields": {"tenant": "T1", "channel": "C1", "thread": "171.5", "user_id": "U1"},
    }
    values.update(changes)
    return ReplyAddress(**values)


def console_address(session: str) -> ReplyAddress:
    """One terminal session: only its own process can deliver there."""
    return ReplyAddress("console", endpoint=session, fields={"user_id": "ada"})


def job(job_id: str, account: Account, created: float = 0, **fields: Any) -> Job:
    """A queued generation job, held on the account's own wallet, created ``created``
    seconds after the start time and answered in a Slack thread."""
    values: dict[str, Any] = {
        "id": job_id,
        "account_id": account.id,
        "wallet_id": account.wallet_id,
        "status": JobStatus.QUEUED,
        "payload": imagine(),
        "address": slack_address(),
        "cost": 2,
        "created_at": at(created),
    }
    values.update(fields)
    return Job(**values)


def finished(job_id: str, account: Account, done: float, **fields: Any) -> Job:
    """A job that succeeded ``done`` seconds after the start, its reply not yet sent."""
    values: dict[str, Any] = {
        "status": JobStatus.SUCCEEDED,
        "finished_at": at(done),
        "attempts": 1,
        "result": {"images": ["img-1"], "reply": {"kind": "text", "text": "done"}},
    }
    values.update(fields)
    return job(job_id, account, created=0, **values)


def image(image_id: str, account_id: str, created: float) -> ImageRecord:
    """An image record made ``created`` seconds after the start time."""
    return ImageRecord(
        id=image_id,
        account_id=account_id,
        job_id="job-1",
        blob_key=f"images/{account_id}/{image_id}.png",
        width=1080,
        height=1350,
        format="png",
        template="marble",
        format_name="portrait",
        prompt="a mug on marble",
        created_at=at(created),
    )


async def ledger_sum(uows: SqlUnitOfWorkFactory, wallet_id: str) -> int:
    """The sum of a wallet's movements, read from the ledger itself (not the balance)."""
    async with uows.engine.connect() as connection:
        total = await connection.scalar(
            select(func.coalesce(func.sum(ledger.c.amount), 0)).where(
                ledger.c.wallet_id == wallet_id
            )
        )
    return int(total or 0)
