"""Credit movements per second through AIOE's own ledger, beside `pgbench -N` on one server.

Run as ``python bench/ledger_vs_pgbench.py [--server URL] [--seconds S] [--runs N]``
against a PostgreSQL server (default: the local one the tests use). It creates two scratch
databases and drops them at the end: one migrated by AIOE's own migrations, where each
client (an asyncio task, one pooled connection of AIOE's engine at a time) runs job cost
cycles the way the worker does (``Credits.reserve`` in one unit of work, committed, then
``Credits.capture`` in another, committed: two transactions per cycle), and one set up by
``pgbench -i`` for ``pgbench -N`` with as many clients. The two alternate, run after run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from report import machine, today, write_section  # bench/ is on the path when run as a script
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from adapters.sql.engine import create_engine, migrate_async
from adapters.sql.tables import ledger, wallets
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.credits import Credits
from core.identity import IdentityHasher, Requester
from core.ids import new_id
from core.model import Job, JobStatus, ReplyAddress
from core.payloads import ImaginePayload

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "ledger_vs_pgbench.json"
SERVER = os.environ.get("AIOE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CLIENTS = (8, 16)
RUNS = 5
SECONDS = 10.0
WARM_UP_SECONDS = 2.0
COST = 1
FUNDS = 1_000_000_000  # each client's wallet: enough for any run
TPS = re.compile(r"^tps = ([0-9.]+) \((?:without|excluding) initial connection time\)", re.M)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runs:
    """Transactions per second of one side at one client count, run after run."""

    tps: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)  # share of one core, AIOE only

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tps": self.tps,
            "median": statistics.median(self.tps),
            "min": min(self.tps),
            "max": max(self.tps),
        }
        if self.client_cpu:
            out["client_cpu_median"] = statistics.median(self.client_cpu)
            per_transaction = [
                cpu / tps for cpu, tps in zip(self.client_cpu, self.tps, strict=True)
            ]
            out["client_cpu_seconds_per_transaction_median"] = statistics.median(per_transaction)
        return out


# --- databases ---------------------------------------------------------------------------
def with_database(server: URL, name: str, driver: str) -> URL:
    return server.set(drivername=driver, database=name)


@asynccontextmanager
async def scratch_database(server: URL, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server, dropped on the way out."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin_dsn = with_database(server, server.database or "postgres", "postgresql")
    dsn = admin_dsn.render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield name
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# --- AIOE's side -------------------------------------------------------------------------
@dataclass
class Bench:
    """AIOE's units of work and credits over the benchmark's database, its clients'
    accounts (one funded wallet each), and the transactions they committed so far."""

    uows: SqlUnitOfWorkFactory
    credits: Credits
    accounts: list[tuple[str, str]]  # (account id, wallet id)
    committed: int = 0


async def fund(uows: SqlUnitOfWorkFactory, clients: int) -> Bench:
    """One account per client, opened the product's way, with its grant as the funds."""
    credits = Credits(utcnow, FUNDS, IdentityHasher("ledger-bench"))
    accounts = []
    for n in range(clients):
        async with uows() as uow:
            requester = Requester("console", "local", f"bench{n}", f"Bench {n}")
            account = await credits.open_account(uow, requester)
            await uow.commit()
        accounts.append((account.id, account.wallet_id))
    return Bench(uows, credits, accounts)


def job_template(account_id: str, wallet_id: str) -> Job:
    return Job(
        id="",
        account_id=account_id,
        wallet_id=wallet_id,
        status=JobStatus.RUNNING,
        payload=ImaginePayload(
            template="studio-white", format="marketplace", seed=1, provider="studio"
        ),
        address=ReplyAddress("console", endpoint="bench", fields={}),
        cost=COST,
        created_at=utcnow(),
    )


async def cycles(bench: Bench, client: int, deadline: float) -> int:
    """Reserve and capture jobs' costs until ``deadline``: the transactions committed."""
    account_id, wallet_id = bench.accounts[client]
    template = job_template(account_id, wallet_id)
    loop = asyncio.get_running_loop()
    committed = 0
    while loop.time() < deadline:
        job = replace(template, id=new_id("job"))
        async with bench.uows() as uow:
            await bench.credits.reserve(uow, wallet_id, job.id, COST, account_id)
            await uow.commit()
        async with bench.uows() as uow:
            if not await bench.credits.capture(uow, job):
                raise RuntimeError("a fresh job's capture found it settled already")
            await uow.commit()
        committed += 2
    return committed


async def aioe_run(bench: Bench, clients: int, seconds: float) -> tuple[float, float]:
    """Transactions per second over ``clients`` tasks, and the share of a core this
    process used meanwhile."""
    loop = asyncio.get_running_loop()
    started, cpu = loop.time(), time.process_time()
    done = await asyncio.gather(*(cycles(bench, n, started + seconds) for n in range(clients)))
    elapsed = loop.time() - started
    bench.committed += sum(done)
    return sum(done) / elapsed, (time.process_time() - cpu) / elapsed


async def check_books(bench: Bench) -> None:
    """What was counted is what the ledger holds: one row per committed transaction
    besides the funding grants, and every cached balance the sum of its wallet's rows."""
    per_wallet = (
        select(wallets.c.balance, func.coalesce(func.sum(ledger.c.amount), 0), func.count())
        .join(ledger, ledger.c.wallet_id == wallets.c.id)
        .group_by(wallets.c.id, wallets.c.balance)
    )
    async with bench.uows.engine.connect() as connection:
        rows = (await connection.execute(per_wallet)).all()
    if any(balance != moved for balance, moved, _ in rows):
        raise RuntimeError("a cached balance differs from the sum of its wallet's movements")
    movements = sum(count for _, _, count in rows) - len(bench.accounts)
    if movements != bench.committed:
        raise RuntimeError(f"{bench.committed} transactions counted, {movements} movements")


# --- pgbench's side ----------------------------------------------------------------------
def pgbench_env(server: URL) -> dict[str, str]:
    env = dict(os.environ)
    if server.password:
        env["PGPASSWORD"] = str(server.password)
    return env


def pgbench_args(server: URL, database: str) -> list[str]:
    args = ["-h", server.host or "127.0.0.1", "-p", str(server.port or 5432)]
    if server.username:
        args += ["-U", server.username]
    return [*args, database]


def pgbench_init(server: URL, database: str) -> None:
    subprocess.run(
        ["pgbench", "-i", "-q", *pgbench_args(server, database)],
        env=pgbench_env(server),
        check=True,
        capture_output=True,
    )


def pgbench_run(server: URL, database: str, clients: int, seconds: float) -> float:
    run = ["-N", "-c", str(clients), "-j", "2", "-T", str(round(seconds))]
    done = subprocess.run(
        ["pgbench", *run, *pgbench_args(server, database)],
        env=pgbench_env(server),
        check=True,
        capture_output=True,
        text=True,
    )
    found = TPS.search(done.stdout)
    if found is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{done.stdout}")
    return float(found.group(1))


def pgbench_version() -> str:
    return subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()


# --- the whole run -----------------------------------------------------------------------
async def measure(server: URL, seconds: float, runs: int) -> dict[str, Any]:
    results: dict[int, dict[str, Runs]] = {n: {"aioe": Runs(), "pgbench": Runs()} for n in CLIENTS}
    async with (
        scratch_database(server, "aioe_bench") as app_db,
        scratch_database(server, "aioe_pgbench") as pgbench_db,
    ):
        url = with_database(server, app_db, "postgresql+asyncpg")
        await migrate_async(url.render_as_string(hide_password=False))
        await asyncio.to_thread(pgbench_init, server, pgbench_db)
        engine = create_engine(url.render_as_string(hide_password=False))
        try:
            bench = await fund(SqlUnitOfWorkFactory(engine), max(CLIENTS))
            await aioe_run(bench, max(CLIENTS), WARM_UP_SECONDS)
            for clients in CLIENTS:
                for run in range(runs):
                    for side in ("aioe", "pgbench") if run % 2 == 0 else ("pgbench", "aioe"):
                        if side == "aioe":
                            tps, cpu = await aioe_run(bench, clients, seconds)
                            results[clients]["aioe"].tps.append(tps)
                            results[clients]["aioe"].client_cpu.append(cpu)
                        else:
                            tps = await asyncio.to_thread(
                                pgbench_run, server, pgbench_db, clients, seconds
                            )
                            results[clients]["pgbench"].tps.append(tps)
                        print(f"{clients} clients, run {run + 1}, {side}: {tps:.0f} tx/s")
            await check_books(bench)
        finally:
            await engine.dispose()
    return {
        str(clients): {side: runs_.summary() for side, runs_ in sides.items()}
        for clients, sides in results.items()
    }


def ratio(side: dict[str, dict[str, Any]]) -> float:
    return float(side["aioe"]["median"] / side["pgbench"]["median"])


def report(data: dict[str, Any], seconds: float, runs: int, load: tuple[float, float]) -> str:
    rows = [
        "| clients | AIOE reserve + capture, tx/s (min–max) | `pgbench -N`, tps (min–max) "
        "| ratio of medians | AIOE client: CPU used, CPU per transaction |",
        "|---|---|---|---|---|",
    ]
    for clients, side in data["results"].items():
        aioe, pg = side["aioe"], side["pgbench"]
        rows.append(
            f"| {clients} | {aioe['median']:.0f} ({aioe['min']:.0f}–{aioe['max']:.0f}) "
            f"| {pg['median']:.0f} ({pg['min']:.0f}–{pg['max']:.0f}) "
            f"| {ratio(side):.2f}× | {aioe['client_cpu_median']:.0%} of a core, "
            f"{aioe['client_cpu_seconds_per_transaction_median'] * 1e6:.0f} µs |"
        )
    return "\n".join(
        [
            "## Ledger vs pgbench (`bench/ledger_vs_pgbench.py`)",
            "",
            f"{today()}, {machine()}; {data['postgres']} and {data['pgbench']} on the same "
            f"machine, over local TCP; 1-minute load average {load[0]:.1f} before the run, "
            f"{load[1]:.1f} after (the machine is shared, so both sides see the same load).",
            "",
            "AIOE's side runs job cost cycles through the product's own code, as the worker "
            "does: `Credits.reserve` in one unit of work, committed, then `Credits.capture` "
            "in another, committed. Each cycle is **two committed transactions** and both "
            "count. Each client is an asyncio task in one Python process, taking a pooled "
            "connection of AIOE's engine for each unit of work, on a wallet of its own. "
            "`pgbench -N -j 2` runs as many clients on a `pgbench -i` database (scale 1) of "
            f"the same server. Median of {runs} alternating runs of {seconds:.0f} s each; "
            "afterwards the books are checked (one ledger row per counted transaction, every "
            "cached balance the sum of its wallet's rows).",
            "",
            *rows,
            "",
            "A movement is one statement, so each AIOE transaction is the unit of work's "
            "round trips around it: the pool's pre-ping on checkout (`BEGIN`, an empty query, "
            "`ROLLBACK`), `BEGIN`, the movement, `COMMIT`; six in all, against five for a "
            "`pgbench -N` transaction (`BEGIN`, `UPDATE`, `SELECT`, `INSERT`, `END`), which "
            "pgbench sends from C. AIOE's side is bound by its client's CPU time per "
            "transaction (SQLAlchemy, asyncpg and the event loop, for each round trip), and "
            "gets only part of a core on a loaded machine.",
        ]
    )


async def server_version(server: URL) -> str:
    dsn = with_database(server, server.database or "postgres", "postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return f"PostgreSQL {str(version).split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=SERVER, help="a PostgreSQL server's URL")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="length of each run")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each side")
    parser.add_argument(
        "--no-report", action="store_true", help="print only; leave docs/benchmarks.md alone"
    )
    args = parser.parse_args()
    if shutil.which("pgbench") is None:
        raise SystemExit("pgbench is not installed (it comes with PostgreSQL's client tools)")
    server = make_url(args.server)
    before = os.getloadavg()[0]
    results = asyncio.run(measure(server, args.seconds, args.runs))
    load = (before, os.getloadavg()[0])
    data = {
        "postgres": asyncio.run(server_version(server)),
        "pgbench": pgbench_version(),
        "seconds": args.seconds,
        "runs": args.runs,
        "load_average_1min": {"before": load[0], "after": load[1]},
        "results": results,
    }
    for clients, side in results.items():
        print(f"{clients} clients: AIOE/pgbench = {ratio(side):.2f}")
    if args.no_report:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1), encoding="utf-8")
    write_section("ledger", report(data, args.seconds, args.runs, load))


if __name__ == "__main__":
    main()
