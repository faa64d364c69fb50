"""Blobs as files under a folder (the embedded default)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from core.ports import BlobInfo


class LocalBlobStore:
    """Implements ``BlobStore`` on the local filesystem; writes are atomic renames of a
    hidden ``.<name>.<pid>.tmp`` file beside the blob (which ``list`` also shows, so that
    leftovers of a crash are found and swept)."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if self._root not in path.parents:
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path

    def _key(self, path: Path) -> str:
        return path.relative_to(self._root).as_posix()

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        path = self._path(key)
        tmp = _tmp(path)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        handle: BinaryIO = await asyncio.to_thread(open, tmp, "wb")
        size = 0
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
                size += len(chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, tmp, path)
        except BaseException:
            handle.close()
            tmp.unlink(missing_ok=True)
            raise
        return size

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None

    async def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """The blob in chunks. No file stays open between chunks (each read opens, seeks
        and closes), so a reader that stops half-way, a dropped download, leaks nothing."""
        path = self._path(key)
        offset = 0
        while True:
            try:
                chunk = await asyncio.to_thread(_read_at, path, offset, chunk_size)
            except FileNotFoundError:
                if offset == 0:
                    raise KeyError(key) from None
                raise
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError:
            raise KeyError(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def list(self, prefix: str) -> AsyncIterator[BlobInfo]:
        for info in await asyncio.to_thread(self._scan, prefix):
            yield info

    async def delete_prefix(self, prefix: str) -> int:
        found = await asyncio.to_thread(self._scan, prefix)
        for info in found:
            await self.delete(info.key)
        await asyncio.to_thread(self._prune, prefix)
        return len(found)

    def _scan(self, prefix: str) -> list[BlobInfo]:
        """Files whose key starts with ``prefix`` (a folder or a name's beginning)."""
        base = self._path(prefix.rstrip("/") or ".") if prefix.rstrip("/") else self._root
        folder = base if prefix.endswith("/") or base.is_dir() else base.parent
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            key = self._key(path)
            if not key.startswith(prefix):
                continue
            stat = path.stat()
            found.append(BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC)))
        return found

    def _prune(self, prefix: str) -> None:
        """Remove the folder a prefix named, once no file is left in it (empty
        subfolders go with it)."""
        if not prefix.endswith("/"):
            return
        folder = self._path(prefix.rstrip("/"))
        if folder.is_dir() and not any(p.is_file() for p in folder.rglob("*")):
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _tmp(path)
        tmp.write_bytes(data)
        os.replace(tmp, path)


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(size)
