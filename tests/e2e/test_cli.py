"""The installed ``aioe`` command, as a person or a script uses it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from PIL import Image

from tests.harness import product_photo

AIOE = str(Path(sys.executable).with_name("aioe"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIOE_", "OPENAI_"))}
    return {
        **keep,
        "AIOE_DATA_DIR": str(tmp_path / "var"),
        "AIOE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AIOE_LOG_LEVEL": "WARNING",
    }


def aioe(
    args: list[str], env: dict[str, str], stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AIOE, *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def serve(env: dict[str, str]) -> Iterator[str]:
    """``aioe serve`` on the same data folder, until the test ends."""
    process = subprocess.Popen(
        [AIOE, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once the socket listens
        assert line.startswith("serving on"), process.stderr.read() if process.stderr else ""
        yield env["AIOE_PUBLIC_URL"]
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_help_lists_the_commands(env: dict[str, str]) -> None:
    result = aioe(["--help"], env)
    assert result.returncode == 0
    for command in ("run", "chat", "serve", "worker", "migrate", "credits", "templates"):
        assert command in result.stdout


def test_a_piped_chat_makes_a_marketplace_image_that_serve_hands_out(
    env: dict[str, str], tmp_path: Path, serve: str
) -> None:
    photo = tmp_path / "box.jpg"
    photo.write_bytes(product_photo((1200, 900), "JPEG"))
    script = (
        "/credits\n"
        f"/imagine --image {photo} --template studio-white --format marketplace\n"
        "/credits\n"
    )
    result = aioe(["chat", "--user", "alice", "--json"], env, script)
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [reply["type"] for reply in replies]
    assert kinds.count("images") == 1, replies
    images = next(r for r in replies if r["type"] == "images")
    credits = [r["text"] for r in replies if r["type"] == "private"]
    balances = [int(text.split()[2]) for text in credits]
    assert balances[1] == balances[0] - 1

    (image,) = images["images"]
    assert image["link"].startswith(serve + "/i/")

    async def fetch() -> tuple[int, str, bytes]:
        async with aiohttp.ClientSession() as session, session.get(image["link"]) as response:
            return response.status, response.headers["Content-Type"], await response.read()

    status, content_type, body = asyncio.run(fetch())
    assert (status, content_type) == (200, "image/png")
    picture = Image.open(io.BytesIO(body))
    assert picture.format == "PNG" and picture.size == (2000, 2000)
    pixels = np.asarray(picture.convert("RGB"))
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    assert (border == 255).all()


def test_a_bad_file_in_the_piped_chat_is_one_error_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    result = aioe(["chat", "--json"], env, f"/imagine --image {fake}\n/credits\n")
    assert result.returncode == 0
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {
        "type": "error",
        "text": ("That file is not a PNG, JPEG or WebP image; please send one of those."),
    }
    assert second["text"].startswith("You have 10 credits.")


def test_run_opens_the_terminal_chat_on_a_terminal(env: dict[str, str]) -> None:
    import pty

    primary, secondary = pty.openpty()
    try:
        with subprocess.Popen(
            [AIOE, "run"], env=env, stdin=secondary, stdout=subprocess.PIPE, text=True
        ) as run:
            os.write(primary, b"/help\n\x04")
            out, _ = run.communicate(timeout=120)
    finally:
        os.close(primary)
        os.close(secondary)
    assert run.returncode == 0
    assert "AIOE is ready" in out and "/imagine" in out


def test_run_without_a_terminal_serves_until_stopped(env: dict[str, str]) -> None:
    with subprocess.Popen(
        [AIOE, "run"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    ) as run:
        try:
            assert run.stdout is not None
            assert "AIOE is ready" in run.stdout.readline()
            assert run.poll() is None  # still running: no end of input stops it
            run.terminate()
            assert run.wait(timeout=60) == 0
        finally:
            run.kill()


def test_operators_grant_and_show_credits(env: dict[str, str]) -> None:
    granted = aioe(["credits", "grant", "console:local:alice", "25", "--reason", "pilot"], env)
    assert granted.returncode == 0, granted.stderr
    assert "balance 35" in granted.stdout
    shown = aioe(["credits", "show", "console:local:alice"], env)
    assert "You have 35 credits." in shown.stdout and "pilot" in shown.stdout
    unknown = aioe(["credits", "show", "acc_doesnotexist"], env)
    assert unknown.returncode != 0 and "no account" in unknown.stderr


def test_python_dash_m_bot_is_aioe(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "templates"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "marketplace" in result.stdout


def test_a_malformed_setting_stops_a_command_with_one_sentence(env: dict[str, str]) -> None:
    result = aioe(["migrate"], {**env, "AIOE_FETCH_ALLOW": "garbage"})
    assert result.returncode == 2
    assert result.stderr == (
        "AIOE_FETCH_ALLOW: expected comma-separated loopback host:port pairs such as "
        "127.0.0.1:8081, got 'garbage'.\n"
    )
    assert not Path(env["AIOE_DATA_DIR"], "aioe.db").exists()
