"""The local blob store: atomic writes, missing keys, leftovers, prefixes, escapes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.blobs.local import LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def chunks(*parts: bytes, fail: bool = False) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    if fail:
        raise ConnectionResetError("the source went away")


async def test_put_stream_writes_every_chunk_and_returns_the_size(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    size = await store.put_stream("exports/a/x.zip", chunks(b"PK", b"\x03\x04", b"rest"), "z")
    assert size == 8
    assert await store.get("exports/a/x.zip") == b"PK\x03\x04rest"
    assert files(tmp_path / "blobs") == ["exports/a/x.zip"]


async def test_a_failed_put_stream_leaves_nothing_under_the_key_and_no_tmp_file(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    with pytest.raises(ConnectionResetError):
        await store.put_stream("exports/a/x.zip", chunks(b"PK", b"half", fail=True), "z")
    assert not await store.exists("exports/a/x.zip")
    assert files(tmp_path / "blobs") == []
    assert [info async for info in store.list("exports/")] == []


async def test_a_failed_put_stream_keeps_what_was_there_before(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    await store.put("exports/a/x.zip", b"the old one", "z")
    with pytest.raises(ConnectionResetError):
        await store.put_stream("exports/a/x.zip", chunks(b"the new", fail=True), "z")
    assert await store.get("exports/a/x.zip") == b"the old one"
    assert files(tmp_path / "blobs") == ["exports/a/x.zip"]


async def test_a_missing_key_is_a_key_error_for_every_read(store: LocalBlobStore) -> None:
    with pytest.raises(KeyError):
        async for _ in store.stream("images/a/none.png"):
            pass
    with pytest.raises(KeyError):
        await store.get("images/a/none.png")
    with pytest.raises(KeyError):
        await store.size("images/a/none.png")
    assert not await store.exists("images/a/none.png")
    await store.delete("images/a/none.png")  # deleting what is not there is fine


async def test_stream_reads_a_blob_in_chunks_of_the_size_asked(store: LocalBlobStore) -> None:
    await store.put("images/a/x.png", b"0123456789", "image/png")
    assert [c async for c in store.stream("images/a/x.png", 4)] == [b"0123", b"4567", b"89"]


async def test_list_shows_hidden_leftovers_of_failed_writes(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    await store.put("uploads/a/job_1.png", b"png", "image/png")
    await store.put("uploads/ab/job_2.png", b"other account", "image/png")
    leftover = tmp_path / "blobs" / "uploads" / "a" / ".job_3.png.4242.tmp"
    leftover.write_bytes(b"half")
    os.utime(leftover, (1_700_000_000, 1_700_000_000))

    found = {info.key: info async for info in store.list("uploads/a/")}

    assert sorted(found) == ["uploads/a/.job_3.png.4242.tmp", "uploads/a/job_1.png"]
    assert found["uploads/a/.job_3.png.4242.tmp"].size == 4
    assert found["uploads/a/.job_3.png.4242.tmp"].modified_at == datetime.fromtimestamp(
        1_700_000_000, tz=UTC
    )
    assert [info async for info in store.list("uploads/none/")] == []


async def test_delete_prefix_removes_everything_under_it_and_the_empty_folder(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    root = tmp_path / "blobs"
    await store.put("images/a/img_1.png", b"1", "image/png")
    await store.put("images/a/deep/img_2.png", b"2", "image/png")
    (root / "images" / "a" / ".img_3.png.7.tmp").write_bytes(b"3")
    await store.put("images/ab/img_4.png", b"4", "image/png")

    assert await store.delete_prefix("images/a/") == 3

    assert not (root / "images" / "a").exists()
    assert files(root) == ["images/ab/img_4.png"]
    assert await store.delete_prefix("images/a/") == 0


@pytest.mark.parametrize("key", ["../outside.png", "images/../../outside.png", "/etc/passwd"])
async def test_a_key_that_escapes_the_store_is_refused(
    store: LocalBlobStore, tmp_path: Path, key: str
) -> None:
    with pytest.raises(ValueError, match="escapes"):
        await store.put(key, b"x", "image/png")
    with pytest.raises(ValueError, match="escapes"):
        await store.put_stream(key, chunks(b"x"), "image/png")
    with pytest.raises(ValueError, match="escapes"):
        await store.get(key)
    with pytest.raises(ValueError, match="escapes"):
        await store.delete(key)
    with pytest.raises(ValueError, match="escapes"):
        await store.delete_prefix(key.rsplit("/", 1)[0] + "/")
    assert not (tmp_path / "outside.png").exists()
