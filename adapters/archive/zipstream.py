"""ZIP archives written as a stream (stream-zip): constant memory, any size (ZIP64)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from stat import S_IFREG
from typing import Any

from stream_zip import NO_COMPRESSION_64, ZIP_AUTO, async_stream_zip

from core.ports import ArchiveMember

_FILE_MODE = S_IFREG | 0o600


class StreamZipArchiver:
    """Implements ``Archiver``: stored members are written as they are (with the size
    and CRC known ahead, so nothing is buffered), others deflated."""

    def __init__(self, chunk_size: int = 1 << 20) -> None:
        self._chunk_size = chunk_size

    def archive(self, members: AsyncIterable[ArchiveMember]) -> AsyncIterable[bytes]:
        return async_stream_zip(self._entries(members), chunk_size=self._chunk_size)

    @staticmethod
    async def _entries(
        members: AsyncIterable[ArchiveMember],
    ) -> AsyncIterator[tuple[str, datetime, int, Any, AsyncIterable[bytes]]]:
        async for member in members:
            method = (
                NO_COMPRESSION_64(member.size, member.crc32)
                if member.stored
                else ZIP_AUTO(member.size)
            )
            yield member.name, member.modified_at, _FILE_MODE, method, member.chunks
