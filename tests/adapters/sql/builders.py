"""Small builders shared by the SQL adapter tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import ImageRecord, Job, JobStatus, Movement, ReplyAddress

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``seconds`` after the tests' fixed start time."""
    return T0 + timedelta(seconds=seconds)


async def new_account(uows: SqlUnitOfWorkFactory, user: str = "ada", credits: int = 0) -> str:
    """A committed account for a console user, granted ``credits``."""
    async with uows() as uow:
        account, _ = await uow.accounts.ensure("console", "local", user, user.title(), T0)
        if credits:
            await uow.ledger.post(account.id, Movement.GRANT, credits, f"grant:{user}", T0)
        await uow.commit()
    return account.id


def job(job_id: str, account_id: str, created: float = 0, **fields: Any) -> Job:
    """A queued generation job created ``created`` seconds after the start time."""
    values: dict[str, Any] = {
        "id": job_id,
        "account_id": account_id,
        "kind": "imagine",
        "status": JobStatus.QUEUED,
        "payload": {"prompt": "a mug on marble", "n": 2},
        "address": ReplyAddress("slack", "T1", channel="C1", thread="171.5", user_id="U1"),
        "cost": 2,
        "created_at": at(created),
    }
    values.update(fields)
    return Job(**values)


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
