"""The export of everything one account holds (Art. 15 and 20): a ZIP streamed to the blob
store in constant memory, whatever the number of images, behind a 24-hour private link."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta

from core import messages
from core.ids import new_id
from core.jobs import Finished
from core.links import EXPORT, Links
from core.model import ExportRecord, Job, RequestKind
from core.payloads import ExportPayload
from core.policy import Policy
from core.ports import ArchiveMember, Archiver, BlobInfo, BlobStore, Clock, UnitOfWorkFactory
from core.replies import Private

EXPORT_JOB = "export"
#: How long an export's link (and its file) lives; at most one export per account per this.
EXPORT_TTL = timedelta(hours=24)
_CHUNK = 1 << 20

#: The files of the export, each with what it holds (README.txt lists them).
FILES = {
    "profile.json": "your account: name, e-mail, when it was made, your privacy settings",
    "identities.json": "your chat identities (platform, workspace or server, user id) and "
    "Slack installations you made",
    "credits.json": "your wallet, every credit movement, and which credits you spend where",
    "generations.json": "every request: prompts, templates, formats, sources (photos, URLs "
    "and what was read from them), results, times; and every image record",
    "images/": "every image still held: uploads (images/uploads/) and results (images/results/)",
    "billing.json": "the payment provider's customer id and subscription status, and your "
    "purchases",
    "consents.json": "each consent given or withdrawn, with time and policy version",
    "analytics.json": "feature-use events recorded while you consented",
    "access_log.json": "when your links were opened (network prefix, kind of client) and "
    "your privacy actions",
    "privacy_requests.json": "your privacy requests, exports and pending confirmations",
    "requests.json": "keys of recent chat deliveries (hashed), kept a day to answer retries once",
}


def export_key(account_id: str, export_id: str) -> str:
    return f"exports/{account_id}/{export_id}.zip"


def account_prefixes(account_id: str) -> tuple[str, ...]:
    """Every blob-store folder that holds an account's files."""
    return (f"uploads/{account_id}/", f"images/{account_id}/", f"exports/{account_id}/")


class Exporter:
    """Writes exports: as a job (``/privacy export``) or to a stream (the operator CLI)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        blobs: BlobStore,
        archiver: Archiver,
        links: Links,
        policy: Policy,
        recipients: Iterable[str],
        clock: Clock,
    ) -> None:
        self._uow = uow_factory
        self._blobs = blobs
        self._archiver = archiver
        self._links = links
        self._policy = policy
        self._recipients = tuple(recipients)
        self._clock = clock

    # --- as a job ----------------------------------------------------------------------
    async def run(self, job: Job) -> Finished:
        payload = job.payload
        assert isinstance(payload, ExportPayload)
        key = export_key(job.account_id, payload.export_id)
        size = await self._blobs.put_stream(key, self.stream(job.account_id), "application/zip")
        now = self._clock()
        record = ExportRecord(
            id=payload.export_id,
            account_id=job.account_id,
            blob_key=key,
            size=size,
            created_at=now,
            expires_at=now + EXPORT_TTL,
            job_id=job.id,
        )
        async with self._uow() as uow:
            await uow.privacy.add_export(record)
            await uow.privacy.complete_requests(job.account_id, RequestKind.ACCESS.value, now)
            await uow.commit()
        link = self._links.link(EXPORT, record.id, EXPORT_TTL)
        text = messages.EXPORT_READY.format(
            size=_megabytes(size), expires=record.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        )
        return Finished(reply=Private(text=text, link=link), blob_keys=(key,))

    async def discard(self, job: Job) -> None:
        payload = job.payload
        if isinstance(payload, ExportPayload):
            await self._blobs.delete(export_key(job.account_id, payload.export_id))

    # --- the ZIP -----------------------------------------------------------------------
    def stream(self, account_id: str) -> AsyncIterable[bytes]:
        """The export ZIP of an account, chunk by chunk."""
        return self._archiver.archive(self._members(account_id))

    async def _members(self, account_id: str) -> AsyncIterator[ArchiveMember]:
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            data = await uow.privacy.collect(account_id)
        pictures = [info async for info in self._pictures(account_id)]
        yield _file("README.txt", self._readme(now, len(pictures)).encode(), now)
        for name in sorted(data):
            body = json.dumps(data[name], ensure_ascii=False, indent=2, default=str).encode()
            yield _file(name, body, now)
        for folder, info in pictures:
            yield await self._picture(folder, info)

    async def _pictures(self, account_id: str) -> AsyncIterator[tuple[str, BlobInfo]]:
        for folder, prefix in (
            ("uploads", f"uploads/{account_id}/"),
            ("results", f"images/{account_id}/"),
        ):
            async for info in self._blobs.list(prefix):
                if not info.key.rsplit("/", 1)[-1].startswith("."):  # half-written leftovers
                    yield folder, info

    async def _picture(self, folder: str, info: BlobInfo) -> ArchiveMember:
        """One image, stored as is (it is compressed already). Its CRC is read first, in
        chunks, so that nothing holds the whole file."""
        crc = 0
        size = 0
        async for chunk in self._blobs.stream(info.key, _CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
        return ArchiveMember(
            name=f"images/{folder}/{info.key.rsplit('/', 1)[-1]}",
            modified_at=info.modified_at,
            size=size,
            chunks=self._blobs.stream(info.key, _CHUNK),
            stored=True,
            crc32=crc,
        )

    def _readme(self, now: datetime, pictures: int) -> str:
        p = self._policy
        lines = [
            "Your data at AIOE",
            "=================",
            "",
            f"Exported {now.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}, under privacy policy "
            f"version {p.version} of {p.date}. Controller: {p.controller} ({p.contact}).",
            "All JSON files are UTF-8; every time is ISO-8601 in UTC.",
            "",
            "Files",
            "-----",
        ]
        lines += [f"{name:<22} {what}" for name, what in FILES.items()]
        lines += [f"({pictures} image file(s) in images/)", "", "What we store and why", "-" * 21]
        for c in p.categories:
            lines += [
                "",
                f"{c.name} ({', '.join(c.files)})",
                f"  What: {c.data}",
                f"  Why: {c.purpose}",
                f"  Kept: {c.retention}",
                f"  Source: {c.source}",
            ]
        lines += ["", "Who receives it", "-" * 15]
        lines += [f"{r.name}: {r.receives} ({r.why})" for r in p.recipients_for(self._recipients)]
        lines += [
            "",
            "Your rights",
            "-" * 11,
            p.rights,
            "",
            p.erasure,
            "",
            f"Complaints: {p.authority}",
        ]
        return "\n".join(lines) + "\n"


def _file(name: str, body: bytes, modified: datetime) -> ArchiveMember:
    return ArchiveMember(name, modified, len(body), _once(body))


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def new_export_id() -> str:
    return new_id("exp")
