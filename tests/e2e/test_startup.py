"""``aioe serve`` loads only what serving needs: the image stack, Alembic (for a database
that is up to date) and the SDKs of platforms that are not configured stay unloaded, also
once it has answered health, metrics and image links."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import bootstrap
from bot.settings import Settings
from core.replies import Images
from tests.harness import Chat, product_photo

#: What ``aioe serve`` must not import on the embedded setup with no platform configured.
HEAVY = (
    "cv2",
    "numpy",
    "PIL",
    "alembic",
    "openai",
    "discord",
    "stripe",
    "slack_bolt",
    "asyncpg",
    "stream_zip",
    "lxml",
    "extruct",
    "adapters.imaging",
    "adapters.fetch",
    "adapters.archive",
    "adapters.payments",
    "adapters.slack",
    "adapters.discord",
)

#: Settings that would configure more than the embedded setup.
OTHER_SETUPS = ("AIOE_", "SLACK_", "DISCORD_", "STRIPE_", "OPENAI_")

#: Runs ``aioe serve`` as the installed command does, in a process that, once the server
#: answers, requests each URL given, then prints the statuses, which of the heavy modules
#: are loaded and whether garbage is collected again, and stops the server as a service
#: manager would.
PROBE = """
import gc, json, os, signal, sys, threading, time, urllib.error, urllib.request

HEAVY = json.loads(os.environ["PROBE_HEAVY"])
URLS = json.loads(os.environ["PROBE_URLS"])


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def probe():
    deadline = time.monotonic() + 60
    while status(URLS[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.02)
    statuses = [status(url) for url in URLS]
    loaded = sorted(
        name for name in list(sys.modules)
        if any(name == heavy or name.startswith(heavy + ".") for heavy in HEAVY)
    )
    report = {"statuses": statuses, "loaded": loaded, "collecting": gc.isenabled()}
    print(json.dumps(report), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)


threading.Thread(target=probe, daemon=True).start()
sys.argv = ["aioe", "serve"]
from bot.cli import main

main()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def served(data_dir: Path, public_url: str, paths: list[str]) -> dict[str, Any]:
    """Statuses of ``paths`` (``/healthz`` first) from ``aioe serve`` on ``data_dir``, and
    the heavy modules it had loaded by then."""
    keep = {k: v for k, v in os.environ.items() if not k.upper().startswith(OTHER_SETUPS)}
    env = {
        **keep,
        "AIOE_DATA_DIR": str(data_dir),
        "AIOE_PUBLIC_URL": public_url,
        "AIOE_LOG_LEVEL": "WARNING",
        "PROBE_HEAVY": json.dumps(HEAVY),
        "PROBE_URLS": json.dumps([public_url + path for path in ["/healthz", *paths]]),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


@pytest.fixture
def public_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def image_link(tmp_path: Path, public_url: str) -> str:
    """A data folder as ``aioe`` leaves it on the embedded setup (its SQLite database and
    secret key), with one generated image; the image's link."""
    settings = Settings(
        data_dir=tmp_path / "var", database_url=None, secret_key=None, public_url=public_url
    )
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    async with bootstrap(settings) as app:
        chat = Chat(app)
        await chat.say(f"/imagine --image {photo} --format square")
        (done,) = await chat.run_jobs()
    assert isinstance(done, Images)
    return done.images[0].link


def test_serving_links_from_an_existing_data_folder_loads_nothing_heavy(
    tmp_path: Path, public_url: str, image_link: str
) -> None:
    token = image_link.rsplit("/", 1)[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")

    report = served(tmp_path / "var", public_url, ["/metrics", f"/i/{token}", f"/i/{forged}"])

    assert report["statuses"] == [200, 200, 200, 403]
    assert report["loaded"] == []
    assert report["collecting"]  # paused while starting only


def test_a_new_data_folder_is_migrated_by_alembic_at_the_first_start(
    tmp_path: Path, public_url: str
) -> None:
    report = served(tmp_path / "new", public_url, [])

    assert report["statuses"] == [200]
    assert "alembic" in report["loaded"]  # the probe sees what serve imports
    assert not [name for name in report["loaded"] if name.split(".")[0] != "alembic"]


#: Counts OpenCV colour conversions made by the colours module: at import, at the first
#: colour named, at the second.
COLOUR_PROBE = """
import cv2
import numpy as np

calls = []
convert = cv2.cvtColor
cv2.cvtColor = lambda *args: calls.append(args) or convert(*args)

from adapters.imaging import colours


def name(rgb):
    return colours.name_of(convert(np.float32([[rgb]]), cv2.COLOR_RGB2Lab)[0, 0])


at_import = len(calls)
first = name([1.0, 1.0, 1.0])
after_first = len(calls)
second = name([0.11, 0.165, 0.337])
print(at_import, after_first, len(calls), len(colours.NAMED), first, second)
"""


def test_the_colour_table_is_made_at_its_first_use_and_kept() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COLOUR_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    at_import, after_first, after_second, named, first, second = done.stdout.split()

    assert (first, second) == ("white", "navy")
    assert at_import == "0"
    assert after_first == after_second == named  # one conversion per named colour, once
