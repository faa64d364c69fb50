"""How fast `aioe serve` acknowledges 100 concurrent slash commands, beside a bare bolt app.

Run as ``python bench/slack_ack.py``; ``python bench/slack_ack.py --bare-app PORT`` is the
reference it starts: a slack-bolt app whose one listener only acknowledges.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from report import machine, today, write_section  # bench/ is on the path when run as a script
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM, FakeSlack, slack_server

AIOE = str(Path(sys.executable).with_name("aioe"))
SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
RESULTS = ROOT / "bench" / "results" / "slack_ack.json"
SIGNING_SECRET = "bench-signing-secret-5f0c2a9e71d84b36"
CONCURRENT = 100
ROUNDS = 5
WARM_UP = 10
#: Both do real work after the ack and answer through ``response_url``.
COMMANDS = (("/credits", ""), ("/aioe", "templates"))
USERS = tuple(f"U{n:08d}" for n in range(CONCURRENT))
STARTUP_SECONDS = 60.0
REQUEST_SECONDS = 30.0
REPLIES_SECONDS = 60.0
RUN_SECONDS = 600.0


@dataclass
class Target:
    """One app under load: where it listens and what it answered."""

    name: str
    url: str
    answers_through_response_url: bool
    rounds: list[list[float]] = field(default_factory=list)
    replies: list[list[float]] = field(default_factory=list)
    replied_texts: dict[str, int] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed(body: str) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def slash_command(slack: FakeSlack, channel: str, n: int) -> tuple[str, dict[str, str]]:
    """The n-th request of a round, as Slack sends it: a fresh trigger and response URL."""
    command, text = COMMANDS[n % len(COMMANDS)]
    user = USERS[n % len(USERS)]
    form = {
        "token": "legacy",
        "team_id": DEFAULT_TEAM,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "marketing",
        "user_id": user,
        "user_name": f"user{n}",
        "command": command,
        "text": text,
        "api_app_id": slack.app_id,
        "response_url": slack.response_url(DEFAULT_TEAM, channel, user),
        "trigger_id": slack.trigger_id(DEFAULT_TEAM, user),
    }
    body = urlencode(form)
    return body, signed(body)


async def timed_post(
    session: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str]
) -> tuple[int, float]:
    """The status and the seconds until the whole HTTP answer (the ack) came back."""
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=headers) as answer:
        await answer.read()
        return answer.status, time.perf_counter() - started


async def replies_after(slack: FakeSlack, seen: int, count: int, started: float) -> list[float]:
    """Seconds from ``started`` until each of the next ``count`` replies reached the fake
    Slack through response URLs (it signals nothing, so this looks every 5 ms)."""
    times: list[float] = []
    async with asyncio.timeout(REPLIES_SECONDS):
        while len(times) < count:
            await asyncio.sleep(0.005)
            new, seen = slack.messages[seen:], len(slack.messages)
            now = time.perf_counter() - started
            times.extend(now for message in new if message.via == "response_url")
    return times


async def load(
    session: aiohttp.ClientSession, slack: FakeSlack, channel: str, target: Target, size: int
) -> tuple[list[tuple[int, float]], list[float]]:
    """``size`` signed slash commands at once: each one's status and time to the ack, and
    when its reply came (all sent at once, so the n-th reply's time is a request's)."""
    requests = [slash_command(slack, channel, n) for n in range(size)]
    seen = len(slack.messages)
    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        replied = (
            group.create_task(replies_after(slack, seen, size, started))
            if target.answers_through_response_url
            else None
        )
        answers = await asyncio.gather(
            *(timed_post(session, target.url, body, headers) for body, headers in requests)
        )
    return answers, replied.result() if replied is not None else []


async def round_of(
    session: aiohttp.ClientSession, slack: FakeSlack, channel: str, target: Target
) -> None:
    answers, replied = await load(session, slack, channel, target, CONCURRENT)
    target.rounds.append([seconds for _, seconds in answers])
    target.replies.append(replied)
    target.failures.extend(status for status, _ in answers if status != 200)


async def warm_up(
    session: aiohttp.ClientSession, slack: FakeSlack, channel: str, target: Target
) -> None:
    for _ in range(WARM_UP):
        answers, _ = await load(session, slack, channel, target, 1)
        target.failures.extend(status for status, _ in answers if status != 200)


@asynccontextmanager
async def process(
    name: str, args: list[str], env: dict[str, str], folder: Path, port: int
) -> AsyncIterator[None]:
    """A server process, ready once ``/healthz`` answers 200; stopped at the end."""
    log = folder / f"{name}.log"
    with log.open("wb") as stderr:
        child = await asyncio.create_subprocess_exec(
            *args, env=env, cwd=folder, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
    try:
        await healthy(name, port, child, log)
        yield
    finally:
        if child.returncode is None:
            child.terminate()
            try:
                await asyncio.wait_for(child.wait(), 10)
            except TimeoutError:
                child.kill()
                await child.wait()


async def healthy(name: str, port: int, child: asyncio.subprocess.Process, log: Path) -> None:
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + STARTUP_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        while time.monotonic() < deadline and child.returncode is None:
            try:
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
    raise RuntimeError(f"{name} never answered 200 on {url}:\n{tail}")


def environment(data_dir: Path, slack: FakeSlack, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIOE_", "OPENAI_", "SLACK_"))}
    return {
        **keep,
        "AIOE_DATA_DIR": str(data_dir),
        "AIOE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AIOE_SLACK_API_URL": slack.api_url,
        "AIOE_LOG_LEVEL": "WARNING",
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }


async def measure(folder: Path) -> tuple[Target, Target]:
    aioe_port, bare_port = free_port(), free_port()
    async with slack_server() as slack, AsyncExitStack() as stack:
        channel = slack.add_channel(DEFAULT_TEAM, "marketing", members=USERS).id
        env = environment(folder / "var", slack, aioe_port)
        aioe = [AIOE, "serve", "--host", "127.0.0.1", "--port", str(aioe_port)]
        bare = [sys.executable, str(SCRIPT), "--bare-app", str(bare_port)]
        await stack.enter_async_context(process("aioe", aioe, env, folder, aioe_port))
        await stack.enter_async_context(process("bare", bare, env, folder, bare_port))
        targets = (
            Target("aioe", f"http://127.0.0.1:{aioe_port}/slack/events", True),
            Target("bare", f"http://127.0.0.1:{bare_port}/slack/events", False),
        )
        connector = aiohttp.TCPConnector(limit=2 * CONCURRENT)
        timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for target in targets:
                await warm_up(session, slack, channel, target)
            for n in range(ROUNDS):  # alternate which goes first, so drift hits both alike
                for target in targets if n % 2 == 0 else targets[::-1]:
                    await round_of(session, slack, channel, target)
        answers = (
            m.text.partition("\n")[0][:80] for m in slack.messages if m.via == "response_url"
        )
        targets[0].replied_texts = dict(Counter(answers))
        return targets


# --- the report ----------------------------------------------------------------------


def percentile(seconds: list[float], q: float) -> float:
    """Nearest rank: the smallest time that at least ``q`` of the requests beat or tie."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def stats(rounds: list[list[float]]) -> dict[str, list[float]]:
    """p50, p99 and max of each round, in milliseconds."""
    return {
        "p50": [percentile(r, 0.50) * 1000 for r in rounds],
        "p99": [percentile(r, 0.99) * 1000 for r in rounds],
        "max": [max(r) * 1000 for r in rounds],
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def cell(values: list[float], unit: str = " ms", digits: int = 1) -> str:
    s = spread(values)
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def report(aioe: Target, bare: Target, load: tuple[float, float]) -> tuple[dict[str, Any], str]:
    ours, theirs, replied = stats(aioe.rounds), stats(bare.rounds), stats(aioe.replies)
    ratios = {key: [a / b for a, b in zip(ours[key], theirs[key], strict=True)] for key in ours}
    early = sum(
        sum(1 for reply in replies if reply < max(acks))
        for acks, replies in zip(aioe.rounds, aioe.replies, strict=True)
    )
    per_round = {"aioe": ours, "bare": theirs, "ratio": ratios, "aioe_reply": replied}
    data = {
        "date": today(),
        "machine": machine(),
        "load_average_1min": {"before": load[0], "after": load[1]},
        "concurrent": CONCURRENT,
        "rounds": ROUNDS,
        "warm_up": WARM_UP,
        "commands": [f"{c} {t}".strip() for c, t in COMMANDS],
        "summary": {
            name: {key: spread(values) for key, values in stat.items()}
            for name, stat in per_round.items()
        },
        "non_200": {"aioe": aioe.failures, "bare": bare.failures},
        "aioe_replies_before_last_ack": early,
        "per_round": per_round,
        "aioe_replies_by_first_line": aioe.replied_texts,
        "ack_ms": {
            "aioe": [[s * 1000 for s in r] for r in aioe.rounds],
            "bare": [[s * 1000 for s in r] for r in bare.rounds],
        },
        "aioe_reply_ms": [[s * 1000 for s in r] for r in aioe.replies],
    }

    def row(label: str, stat: dict[str, list[float]], failures: str, unit: str = " ms") -> str:
        digits = 2 if unit == "×" else 1
        cells = " | ".join(cell(stat[key], unit, digits) for key in ("p50", "p99", "max"))
        return f"| {label} | {cells} | {failures} |"

    body = "\n".join(
        [
            "## Slack acknowledgements (`bench/slack_ack.py`)",
            "",
            f"{today()}, {machine()}; 1-minute load average {load[0]:.1f} before the run, "
            f"{load[1]:.1f} after.",
            "",
            f"{CONCURRENT} signed slash commands sent at once to `POST /slack/events`, half "
            "`/credits` and half `/aioe templates` (both answer through `response_url` after "
            "the ack), each with a fresh `trigger_id` and `response_url`, from "
            f"{len(USERS)} users. Time per request until its HTTP answer (the ack) is back. "
            f"{WARM_UP} requests of warm-up per app, then {ROUNDS} rounds per app, alternating "
            f"which app goes first; round 1 is the first command for {CONCURRENT - WARM_UP} "
            "of the users. The reference is a bolt `AsyncApp` whose one listener only acks, "
            "served by aiohttp the same way, in its own process. Both servers, the load "
            "generator and the fake Slack Web API (`tests/fakes/slack_server/`, in the load "
            "generator's process) share the machine, all on 127.0.0.1. Each cell: median over "
            "the rounds (min–max); percentiles by nearest rank. The last row is what a user "
            "waits for: from sending until aioe's answer reached `response_url` (looked at "
            "every 5 ms).",
            "",
            "| what | p50 | p99 | max | non-200 |",
            "|---|---|---|---|---|",
            row("`aioe serve`: ack", ours, str(len(aioe.failures))),
            row("bare slack-bolt app, ack only", theirs, str(len(bare.failures))),
            row("ratio aioe / bare", ratios, "", "×"),
            row("`aioe serve`: reply through `response_url`", replied, "", " ms"),
            "",
            f"{early} of the {sum(map(len, aioe.replies))} replies reached the fake Slack "
            "(which shares the load generator's event loop) before the last ack of their "
            "round.",
        ]
    )
    return data, body


async def benchmark() -> tuple[Target, Target]:
    with tempfile.TemporaryDirectory(prefix="aioe-bench-") as tmp:
        async with asyncio.timeout(RUN_SECONDS):
            return await measure(Path(tmp))


def main() -> None:
    load_before = os.getloadavg()[0]
    aioe, bare = asyncio.run(benchmark())
    data, body = report(aioe, bare, (load_before, os.getloadavg()[0]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1), encoding="utf-8")
    write_section("slack-ack", body)
    print(body)
    if aioe.failures or bare.failures:
        sys.exit(f"non-200 answers: aioe {aioe.failures}, bare {bare.failures}")


# --- the reference app -----------------------------------------------------------------


def bare_app(port: int) -> None:
    """A bolt app with one listener that only acks, served by aiohttp on 127.0.0.1."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=AsyncWebClient(
            token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["AIOE_SLACK_API_URL"]
        ),
    )

    @bolt.command(re.compile(".*"))
    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bare-app"]:
        bare_app(int(sys.argv[2]))
    else:
        main()
