"""How fast `aioe --help` answers, and how long `aioe serve` takes to answer /healthz."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, today, write_section

AIOE = str(Path(sys.executable).with_name("aioe"))
RUNS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_help() -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([AIOE, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def time_serve(data_dir: Path) -> float:
    port = free_port()
    env = {
        **os.environ,
        "AIOE_DATA_DIR": str(data_dir),
        "AIOE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [AIOE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("aioe serve did not answer within 60 s")
    finally:
        process.terminate()
        process.wait(10)


def row(label: str, seconds: list[float]) -> str:
    ms = [f"{s * 1000:.0f} ms" for s in (statistics.median(seconds), min(seconds), max(seconds))]
    return f"| {label} | {' | '.join(ms)} | {len(seconds)} |"


def main() -> None:
    help_times = time_help()
    with tempfile.TemporaryDirectory() as tmp:
        first = time_serve(Path(tmp))  # creates and migrates the database
        warm = [time_serve(Path(tmp)) for _ in range(5)]
    rows = [
        row("`aioe --help`", help_times),
        row("`aioe serve` until `/healthz` is 200, new data folder (migrations)", [first]),
        row("`aioe serve` until `/healthz` is 200, existing data folder", warm),
    ]
    body = "\n".join(
        [
            "## Start-up (`bench/cli_startup.py`)",
            "",
            f"{today()}, {machine()}.",
            "",
            "| what | median | min | max | runs |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    write_section("startup", body)
    print(body)


if __name__ == "__main__":
    main()
