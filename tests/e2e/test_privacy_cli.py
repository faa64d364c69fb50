"""The operator's privacy tools and the sweep, as the installed ``aioe`` command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.privacy_ops import export
from bot.settings import Settings
from core.export import Exporter
from tests.harness import Chat, running_app

AIOE = str(Path(sys.executable).with_name("aioe"))
ALICE = "console:local:alice"
NOBODY = "console:local:nobody"
NO_ACCOUNT = "no account {user!r}; give platform:namespace:user_id or an account id\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIOE_", "OPENAI_"))}
    return {**keep, "AIOE_DATA_DIR": str(tmp_path / "var"), "AIOE_LOG_LEVEL": "WARNING"}


def aioe(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AIOE, *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def unknown_export(env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """``aioe privacy export`` of someone with no account, on a data folder of its own:
    started at once, it runs while the test goes on."""
    with subprocess.Popen(
        [AIOE, "privacy", "export", NOBODY, "--out", str(tmp_path / "y.zip")],
        env={**env, "AIOE_DATA_DIR": str(tmp_path / "other")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        yield process


def test_operators_record_export_and_erase_and_an_unknown_person_is_one_line(
    env: dict[str, str], tmp_path: Path, unknown_export: subprocess.Popen[str]
) -> None:
    chatted = aioe(["chat", "--user", "alice", "--json"], env, "/credits\n")
    assert chatted.returncode == 0, chatted.stderr

    recorded = aioe(["privacy", "record", ALICE, "access", "--received", "2026-11-20"], env)
    assert recorded.returncode == 0, recorded.stderr
    found = re.fullmatch(r"(req_\w+): access for (\w+), due 2026-12-20\n", recorded.stdout)
    assert found, recorded.stdout
    request_id, account_id = found.groups()
    (listed,) = aioe(["privacy", "requests"], env).stdout.splitlines()
    assert listed.startswith(f"{request_id}  access ")
    assert account_id in listed and "received 2026-11-20  due 2026-12-20" in listed

    out = tmp_path / "x.zip"
    exported = aioe(["privacy", "export", ALICE, "--out", str(out)], env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == f"{out}: {out.stat().st_size} bytes, the data of {account_id}\n"
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert "README.txt" in archive.namelist()
        profile = json.loads(archive.read("profile.json"))
        requests = json.loads(archive.read("privacy_requests.json"))["requests"]
    assert (profile["id"], profile["display_name"]) == (account_id, "alice")
    assert [r["id"] for r in requests] == [request_id]
    assert not list(tmp_path.glob(".x.zip.part"))
    assert aioe(["privacy", "requests"], env).stdout == "no open privacy requests\n"

    erased = aioe(["privacy", "delete", ALICE], env)
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith(f"erased {account_id}: ")
    shown = aioe(["credits", "show", ALICE], env)
    assert shown.returncode != 0 and shown.stderr == NO_ACCOUNT.format(user=ALICE)

    said = unknown_export.communicate(timeout=120)
    assert unknown_export.returncode != 0
    assert said == ("", NO_ACCOUNT.format(user=NOBODY))
    assert not (tmp_path / "y.zip").exists() and not list(tmp_path.glob(".y.zip.part"))


def test_aioe_sweep_run_twice_removes_what_is_due_once_and_nothing_more(
    env: dict[str, str],
) -> None:
    ghost = Path(env["AIOE_DATA_DIR"], "blobs", "images", uuid.uuid4().hex)
    ghost.mkdir(parents=True)
    (ghost / "img_a.png").write_bytes(b"png")
    (ghost / ".img_b.png.77.tmp").write_bytes(b"pn")

    def counts(stdout: str) -> dict[str, int]:
        lines = stdout.splitlines()
        assert lines[0] == "swept:"
        return {name.strip(): int(n) for name, n in (line.rsplit(": ", 1) for line in lines[1:])}

    first = aioe(["sweep"], env)
    assert first.returncode == 0, first.stderr
    assert counts(first.stdout) == {
        "temporary uploads older than 24 hours": 0,
        "access log entries older than 90 days": 0,
        "expired exports": 0,
        "expired confirmations": 0,
        "half-written files": 0,
        "files of erased accounts": 2,
        "payment event ids older than 30 days": 0,
    }
    assert not ghost.exists()

    second = aioe(["sweep"], env)
    assert second.returncode == 0, second.stderr
    assert set(counts(second.stdout).values()) == {0} and len(counts(second.stdout)) == 7


async def test_an_operator_export_that_fails_half_way_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    database_url = f"sqlite+aiosqlite:///{data_dir / 'aioe.db'}"
    async with running_app(data_dir, database_url) as app:
        await Chat(app).say("/credits", "alice")

    def broken(self: Exporter, account_id: str) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"PK\x03\x04 personal data"
            raise ConnectionResetError("the database went away")

        return chunks()

    monkeypatch.setattr(Exporter, "stream", broken)
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key="test-secret")
    out = tmp_path / "x.zip"
    with pytest.raises(ConnectionResetError):
        await export(settings, ALICE, out)
    assert sorted(os.listdir(tmp_path)) == ["var"]  # neither x.zip nor .x.zip.part
