"""An account's export of 500 result images (about 1 GB): AIOE's streamed ZIP beside `zip -0`.

Run as ``python bench/export_zip.py [--keep DIR]``. Each export runs in a fresh process
(``--child DATA_DIR ACCOUNT OUT``) through the operator's path, ``aioe privacy export``, so
its peak RSS is the export's own; that process also reports its RSS just before the export.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image
from report import machine, today, write_section  # bench/ is on the path when run as a script

from bot.bootstrap import bootstrap
from bot.settings import Settings
from core.identity import Requester
from core.ids import new_id
from core.model import ImageRecord

SCRIPT = Path(__file__).resolve()
RUNS = 3
#: (chat user, result images): the small account shows memory does not grow with the count.
ACCOUNTS = (("bench-small", 100), ("bench", 500))
SIDE = 820  # 820×820 RGB noise: a PNG of about 2 MB that does not compress
BASES = 8  # distinct noise images; every file differs by a text chunk naming it
MB = 1_000_000
MIB = 1 << 20
TIME = "/usr/bin/time"  # GNU time: the peak RSS of the command it runs


@dataclass
class Run:
    """One timed run of one tool."""

    seconds: float
    peak_rss: int  # bytes
    baseline_rss: int = 0  # bytes, just before the export (AIOE only)


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=None, blob_url=None, secret_key="bench-secret")


# --- the data ---------------------------------------------------------------------------
def noise_pngs() -> list[bytes]:
    rng = np.random.default_rng(0)
    pngs = []
    for _ in range(BASES):
        out = io.BytesIO()
        pixels = rng.integers(0, 256, (SIDE, SIDE, 3), np.uint8)
        Image.fromarray(pixels).save(out, "PNG", compress_level=0)
        pngs.append(out.getvalue())
    return pngs


def with_comment(png: bytes, text: str) -> bytes:
    """``png`` with a ``tEXt`` chunk after its header: a different, still valid, file."""
    body = b"Comment\0" + text.encode()
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
    header_end = 8 + 25  # signature, then IHDR (length, type, 13 bytes, CRC)
    return png[:header_end] + chunk + png[header_end:]


async def populate(data_dir: Path) -> dict[str, str]:
    """The accounts with their result images (blobs and rows); chat user -> account id."""
    bases = noise_pngs()
    accounts = {}
    async with bootstrap(settings_for(data_dir), migrate=True) as app:
        for user, count in ACCOUNTS:
            requester = Requester("console", "local", user, user.title())
            account = await app.bot.open_account(requester)
            accounts[user] = account.id
            if (app.settings.blob_root / "images" / account.id).is_dir():
                continue  # built by an earlier run (--keep)
            job_id = new_id("job")
            records = []
            for n in range(count):
                image_id = new_id("img")
                key = f"images/{account.id}/{image_id}.png"
                data = with_comment(bases[n % BASES], f"{user} result {n}")
                await app.blobs.put(key, data, "image/png")
                records.append(
                    ImageRecord(
                        id=image_id,
                        account_id=account.id,
                        job_id=job_id,
                        blob_key=key,
                        width=SIDE,
                        height=SIDE,
                        format="png",
                        template="studio-white",
                        format_name="marketplace",
                        prompt=f"bench picture {n}",
                        created_at=datetime.now(UTC),
                    )
                )
            async with app.uow_factory() as uow:
                for record in records:
                    await uow.images.add(record)
                await uow.commit()
    return accounts


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- the runs ---------------------------------------------------------------------------
def status_bytes(field: str) -> int:
    """A size from ``/proc/self/status``: ``VmRSS`` now, ``VmHWM`` the peak.

    ``VmHWM`` rather than ``ru_maxrss``: Linux carries the peak of the process that
    started this one across ``exec`` into ``ru_maxrss``, so that would be the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status (this benchmark needs Linux)")


def child(data_dir: Path, account_id: str, out: Path) -> None:
    """The export in this process, after a first bootstrap that loads everything it uses."""
    from contextlib import redirect_stdout

    from bot.privacy_ops import export

    settings = settings_for(data_dir)

    async def warm_up() -> None:
        async with bootstrap(settings):
            pass

    asyncio.run(warm_up())
    baseline = status_bytes("VmRSS")
    started = time.perf_counter()
    with redirect_stdout(sys.stderr):
        asyncio.run(export(settings, account_id, out))
    seconds = time.perf_counter() - started
    peak = status_bytes("VmHWM")
    print(json.dumps({"seconds": seconds, "peak_rss": peak, "baseline_rss": baseline}))


def run_aioe(data_dir: Path, account_id: str, out: Path) -> Run:
    command = [sys.executable, str(SCRIPT), "--child", str(data_dir), account_id, str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return Run(**json.loads(done.stdout.splitlines()[-1]))


def run_zip(blob_root: Path, account_id: str, out: Path) -> Run:
    """``zip -0`` under ``/usr/bin/time``, whose own small process starts it, so that the
    peak RSS it reports is zip's (see ``status_bytes``)."""
    folders = [
        f"{kind}/{account_id}"
        for kind in ("images", "uploads")
        if (blob_root / kind / account_id).is_dir()
    ]
    stats = out.with_suffix(".time")
    command = [TIME, "-f", "%M", "-o", str(stats), "zip", "-0", "-r", "-q", str(out), *folders]
    started = time.perf_counter()
    subprocess.run(command, cwd=blob_root, check=True)
    seconds = time.perf_counter() - started
    peak = int(stats.read_text().split()[-1]) * 1024
    stats.unlink()
    return Run(seconds=seconds, peak_rss=peak)


def check(archive: Path, images: int) -> None:
    """The export is a valid ZIP holding every result image."""
    with zipfile.ZipFile(archive) as opened:
        assert opened.testzip() is None, "a member's CRC does not match"
        results = [n for n in opened.namelist() if n.startswith("images/results/")]
    assert len(results) == images, f"{len(results)} result images, expected {images}"


def settle() -> None:
    """Write back what earlier steps left dirty, so it does not land in the next timing."""
    os.sync()


@dataclass
class Result:
    """Both tools on one account."""

    images: int
    size: int  # bytes of images
    zip_sizes: dict[str, int]
    aioe: list[Run]
    zip: list[Run]

    def seconds(self, tool: str) -> float:
        return statistics.median(r.seconds for r in getattr(self, tool))

    def time_cell(self, tool: str) -> str:
        times = [r.seconds for r in getattr(self, tool)]
        return f"{self.seconds(tool):.2f} s ({min(times):.2f}–{max(times):.2f})"

    def rate(self, tool: str) -> str:
        return f"{self.size / MB / self.seconds(tool):.0f}"

    @property
    def aioe_peak(self) -> int:
        return max(r.peak_rss for r in self.aioe)

    @property
    def aioe_growth(self) -> int:
        return max(r.peak_rss - r.baseline_rss for r in self.aioe)

    @property
    def zip_peak(self) -> int:
        return max(r.peak_rss for r in self.zip)

    def row(self) -> str:
        return (
            f"| {self.images} | {self.size / MB:.0f} MB | {self.time_cell('aioe')} | "
            f"{self.rate('aioe')} | {self.time_cell('zip')} | {self.rate('zip')} | "
            f"{self.aioe_peak / MIB:.0f} MiB (+{self.aioe_growth / MIB:.1f}) | "
            f"{self.zip_peak / MIB:.1f} MiB |"
        )


def measure(work: Path, user: str, count: int, account_id: str) -> Result:
    """AIOE and zip in turn, ``RUNS`` times; the first AIOE export is checked."""
    blob_root = settings_for(work / "data").blob_root
    size = folder_size(blob_root / "images" / account_id)
    result = Result(count, size, {}, [], [])
    for n in range(RUNS):
        for tool in ("aioe", "zip"):
            out = work / f"{tool}-{user}.zip"
            settle()
            if tool == "aioe":
                result.aioe.append(run_aioe(work / "data", account_id, out))
                if n == 0:
                    check(out, count)
            else:
                result.zip.append(run_zip(blob_root, account_id, out))
            result.zip_sizes[tool] = out.stat().st_size
            out.unlink()
    print(
        f"{count} images, {size / MB:.1f} MB; ZIP {result.zip_sizes['aioe'] / MB:.1f} MB "
        f"(AIOE, checked), {result.zip_sizes['zip'] / MB:.1f} MB (zip -0); "
        f"AIOE {[round(r.seconds, 2) for r in result.aioe]} s, "
        f"zip {[round(r.seconds, 2) for r in result.zip]} s; AIOE RSS before "
        f"{[round(r.baseline_rss / MIB) for r in result.aioe]} MiB, peak "
        f"{[round(r.peak_rss / MIB) for r in result.aioe]} MiB",
        file=sys.stderr,
    )
    return result


def report(results: list[Result]) -> str:
    small, large = results[0], results[-1]
    ratio = large.seconds("aioe") / large.seconds("zip")
    return "\n".join(
        [
            "## Account export vs `zip -0` (`bench/export_zip.py`)",
            "",
            f"{today()}, {machine()}.",
            "",
            f"One account's result images, {SIDE}×{SIDE} PNGs of noise (about 2 MB each, "
            "incompressible like real PNGs), in the local blob store with their SQLite rows. "
            "AIOE: `aioe privacy export` (`bot.privacy_ops.export`: README and JSON files, "
            "then every image stored as is, read twice: once for its CRC, once into the ZIP) "
            "writing to a file, in a fresh process after a first bootstrap, timed from the "
            "call; its peak RSS is that process's, and in brackets how far it rose above the "
            "RSS just before the export. `zip -0 -r -q` of the account's folders, run from "
            f"the blob folder. Median (and range) of {RUNS} runs each, taken in turn, files "
            "in the page cache, outputs on the same disk.",
            "",
            "| images | size | AIOE export | MB/s | `zip -0` | MB/s | AIOE peak RSS (rise) "
            "| `zip -0` peak RSS |",
            "|---|---|---|---|---|---|---|---|",
            *(r.row() for r in results),
            "",
            f"At {large.images} images the export takes {ratio:.2f}× the time of `zip -0` "
            f"and produces a ZIP of the same size ({large.zip_sizes['aioe'] / MB:.1f} MB "
            f"against {large.zip_sizes['zip'] / MB:.1f} MB). Its memory follows the number "
            "of images only through their metadata (the list of blobs, the image rows in "
            f"`generations.json`), not their bytes: it rises {small.aioe_growth / MIB:.1f} MiB "
            f"over the bootstrapped process for {small.images} images "
            f"({small.size / MB:.0f} MB) and {large.aioe_growth / MIB:.1f} MiB for "
            f"{large.images} ({large.size / MB:.0f} MB); most of the process's "
            "RSS is the app itself (SQLAlchemy, Pillow, NumPy, OpenCV).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keep", type=Path, help="build the data here (or reuse what an earlier run built)"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("DATA_DIR", "ACCOUNT", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        data_dir, account_id, out = args.child
        child(Path(data_dir), account_id, Path(out))
        return
    if not shutil.which("zip") or not Path(TIME).is_file():
        raise SystemExit("needs zip and GNU time (`apt-get install zip time`)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="aioe-export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        accounts = asyncio.run(populate(work / "data"))
        print(f"set up in {time.perf_counter() - started:.1f} s: {work}", file=sys.stderr)
        results = [measure(work, user, count, accounts[user]) for user, count in ACCOUNTS]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    body = report(results)
    write_section("export", body)
    print(body)


if __name__ == "__main__":
    main()
