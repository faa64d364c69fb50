"""How fast `aioe --help` answers, and how long `aioe serve` takes until /healthz is 200 on
an existing data folder and on a new one (which it creates and migrates)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, today, write_section

AIOE = str(Path(sys.executable).with_name("aioe"))
HELP_RUNS = 15
SERVE_RUNS = 9
#: Settings that would configure more than the embedded setup are left out.
_OTHER_SETUPS = ("AIOE_", "SLACK_", "DISCORD_", "STRIPE_", "OPENAI_")


@dataclass(frozen=True)
class Run:
    seconds: float  # until the answer (wall clock)
    cpu: float  # user and system time of the process, until it was stopped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_of(process: subprocess.Popen[bytes]) -> float:
    """Wait for the process to end; its user and system time."""
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped here
    return usage.ru_utime + usage.ru_stime


def time_help() -> Run:
    started = time.perf_counter()
    process = subprocess.Popen([AIOE, "--help"], stdout=subprocess.DEVNULL)
    cpu = cpu_of(process)
    return Run(time.perf_counter() - started, cpu)


def time_serve(data_dir: Path) -> Run:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OTHER_SETUPS)}
    env |= {"AIOE_DATA_DIR": str(data_dir), "AIOE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [AIOE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        seconds = _until_healthy(port, started)
    finally:
        process.terminate()
        cpu = cpu_of(process)
    return Run(seconds, cpu)


def _until_healthy(port: int, started: float) -> float:
    deadline = started + 60
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise RuntimeError("aioe serve did not answer within 60 s")


def row(label: str, runs: list[Run]) -> str:
    seconds = [run.seconds for run in runs]
    cells = [
        f"{value * 1000:.0f} ms"
        for value in (
            statistics.median(seconds),
            min(seconds),
            max(seconds),
            statistics.median(run.cpu for run in runs),
        )
    ]
    return f"| {label} | {' | '.join(cells)} | {len(runs)} |"


def main() -> None:
    load_before = os.getloadavg()[0]
    help_runs = [time_help() for _ in range(HELP_RUNS)]
    new: list[Run] = []
    existing: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "existing"
        time_serve(folder)  # makes the folder: database, migrations, secret key
        for index in range(SERVE_RUNS):  # taken in turn, so both see the same load
            new.append(time_serve(Path(tmp) / f"new-{index}"))
            existing.append(time_serve(folder))
    load_after = os.getloadavg()[0]
    body = "\n".join(
        [
            "## Start-up (`bench/cli_startup.py`)",
            "",
            f"{today()}, {machine()}; 1-minute load average {load_before:.1f} before the "
            f"run, {load_after:.1f} after.",
            "",
            "The installed `aioe` command on the embedded setup (SQLite and image files in "
            "the data folder, no chat platform, payments or AI provider configured). "
            "`serve` is timed from starting the process until `GET /healthz` answers 200 "
            "(asked every 5 ms); an existing data folder was made by an earlier start, a "
            "new one is created, migrated and given a secret key. The serve runs are taken "
            "in turn, new and existing. CPU: the process's user and system time, "
            "including stopping it.",
            "",
            "| what | median | min | max | CPU (median) | runs |",
            "|---|---|---|---|---|---|",
            row("`aioe --help`", help_runs),
            row("`aioe serve` until `/healthz` is 200, existing data folder", existing),
            row("`aioe serve` until `/healthz` is 200, new data folder", new),
        ]
    )
    write_section("startup", body)
    print(body)


if __name__ == "__main__":
    main()
