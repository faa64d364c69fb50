"""Which stored upload is a job's own, whatever kind of file it is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.model import Job, JobStatus, ReplyAddress
from core.payloads import ImaginePayload, SourceRef
from core.queueing import owned_upload, owns_upload, upload_key


def job_from(key: str) -> Job:
    payload = ImaginePayload(
        template="studio-white",
        format="square",
        seed=1,
        provider="studio",
        source=SourceRef(key=key, width=100, height=100),
    )
    return Job(
        id="job_1",
        account_id="acc_1",
        wallet_id="acc_1",
        status=JobStatus.QUEUED,
        payload=payload,
        address=ReplyAddress(platform="console"),
        cost=1,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("extension", ["jpg", "png"])
def test_a_job_owns_its_upload_whatever_its_kind(extension: str) -> None:
    key = upload_key("acc_1", "job_1", extension)
    assert key == f"uploads/acc_1/job_1.{extension}"
    assert owns_upload(job_from(key))
    assert owned_upload(job_from(key)) == (key,)


@pytest.mark.parametrize(
    "key",
    [
        "uploads/acc_1/job_0.jpg",
        "uploads/acc_2/job_1.jpg",
        "uploads/acc_1/job_10.png",
        "uploads/acc_1/job_1.x/y",
    ],
)
def test_another_jobs_upload_is_not_its_own(key: str) -> None:
    assert not owns_upload(job_from(key))
    assert owned_upload(job_from(key)) == ()
