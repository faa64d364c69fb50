"""Retention sweeps (DESIGN §7): what is due goes, nothing else; running twice removes
nothing the second time."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.export import account_prefixes
from core.ports import BlobInfo, BlobStore, Clock, UnitOfWorkFactory
from core.queueing import source_of

log = logging.getLogger(__name__)

#: Temporary processing copies of uploads: gone within this long of their last use.
UPLOADS_KEPT = timedelta(hours=24)
ACCESS_LOG_KEPT = timedelta(days=90)
#: Payment event ids, kept to apply each once: providers redeliver for days, not weeks
#: (Stripe: 3 days), and every grant is keyed by its purchase besides.
PAYMENT_EVENTS_KEPT = timedelta(days=30)
#: Half-written files of a failed write are left alone this long (a write may be going on).
LEFTOVERS_KEPT = timedelta(hours=1)
_KINDS = ("uploads", "images", "exports")


@dataclass(slots=True)
class Swept:
    """How many of each kind of thing a sweep removed."""

    uploads: int = 0
    access_log: int = 0
    exports: int = 0
    confirmations: int = 0
    leftovers: int = 0
    erased_accounts_files: int = 0
    payment_events: int = 0

    def lines(self) -> list[str]:
        return [
            f"temporary uploads older than 24 hours: {self.uploads}",
            f"access log entries older than 90 days: {self.access_log}",
            f"expired exports: {self.exports}",
            f"expired confirmations: {self.confirmations}",
            f"half-written files: {self.leftovers}",
            f"files of erased accounts: {self.erased_accounts_files}",
            f"payment event ids older than 30 days: {self.payment_events}",
        ]

    @property
    def total(self) -> int:
        return (
            self.uploads
            + self.access_log
            + self.exports
            + self.confirmations
            + self.leftovers
            + self.erased_accounts_files
            + self.payment_events
        )


class Sweeper:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, blobs: BlobStore, clock: Clock) -> None:
        self._uow = uow_factory
        self._blobs = blobs
        self._clock = clock

    async def sweep(self) -> Swept:
        now = self._clock()
        swept = Swept()
        async with self._uow() as uow:
            swept.access_log = await uow.privacy.purge_access_log(now - ACCESS_LOG_KEPT)
            swept.confirmations = await uow.privacy.purge_confirmations(now)
            swept.payment_events = await uow.payments.purge_events(now - PAYMENT_EVENTS_KEPT)
            expired = await uow.privacy.expired_exports(now)
            for export in expired:
                await uow.privacy.delete_export(export.id)
            await uow.commit()
        for export in expired:
            await self._blobs.delete(export.blob_key)
        swept.exports = len(expired)
        by_account: dict[str, list[BlobInfo]] = defaultdict(list)
        for kind in _KINDS:
            async for info in self._blobs.list(f"{kind}/"):
                parts = info.key.split("/")
                if len(parts) >= 3:
                    by_account[parts[1]].append(info)
        async with self._uow(readonly=True) as uow:
            living = await uow.privacy.existing_accounts(set(by_account))
        for account_id, blobs in sorted(by_account.items()):
            if account_id not in living:
                for prefix in account_prefixes(account_id):
                    swept.erased_accounts_files += await self._blobs.delete_prefix(prefix)
                continue
            swept.leftovers += await self._leftovers(blobs, now - LEFTOVERS_KEPT)
            swept.uploads += await self._stale_uploads(account_id, blobs, now - UPLOADS_KEPT)
            swept.exports += await self._unrecorded_exports(blobs, now - LEFTOVERS_KEPT)
        if swept.total:
            log.info("sweep removed %d item(s)", swept.total)
        return swept

    async def _leftovers(self, blobs: list[BlobInfo], before: datetime) -> int:
        count = 0
        for info in blobs:
            if _hidden(info) and info.modified_at < before:
                await self._blobs.delete(info.key)
                count += 1
        return count

    async def _stale_uploads(self, account_id: str, blobs: list[BlobInfo], before: datetime) -> int:
        """Uploads no unfinished job and no kept image works from any more."""
        uploads = [
            b
            for b in blobs
            if b.key.startswith("uploads/") and not _hidden(b) and b.modified_at < before
        ]
        if not uploads:
            return 0
        async with self._uow(readonly=True) as uow:
            jobs = await uow.privacy.jobs_of(account_id)
            images = await uow.privacy.images_of(account_id)
        with_images = {image.job_id for image in images}
        in_use = set()
        for job in jobs:
            ref = source_of(job.payload)
            if ref is not None and (not job.status.finished or job.id in with_images):
                in_use.add(ref.key)
        count = 0
        for info in uploads:
            if info.key not in in_use:
                await self._blobs.delete(info.key)
                count += 1
        return count

    async def _unrecorded_exports(self, blobs: list[BlobInfo], before: datetime) -> int:
        """Export files with no export record (their job was lost half-way)."""
        candidates = [
            b
            for b in blobs
            if b.key.startswith("exports/") and not _hidden(b) and b.modified_at < before
        ]
        if not candidates:
            return 0
        async with self._uow(readonly=True) as uow:
            unknown = [
                info
                for info in candidates
                if await uow.privacy.export(info.key.rsplit("/", 1)[-1].removesuffix(".zip"))
                is None
            ]
        for info in unknown:
            await self._blobs.delete(info.key)
        return len(unknown)


def _hidden(info: BlobInfo) -> bool:
    return info.key.rsplit("/", 1)[-1].startswith(".")
