"""Settings: documented defaults, the environment wins, and a secret key made once."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_errors


def test_the_defaults_are_the_embedded_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=tmp_path / "var")
    assert settings.provider == "studio"
    assert settings.free_credits == 10
    assert settings.public_url == "http://127.0.0.1:8080"
    assert settings.resolved_database_url == (
        f"sqlite+aiosqlite:///{(tmp_path / 'var' / 'aioe.db').resolve()}"
    )
    assert settings.blob_root == tmp_path / "var" / "blobs"


def test_the_environment_overrides_the_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOE_FREE_CREDITS", "25")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    settings = Settings()
    assert settings.free_credits == 25
    assert settings.openai_api_key == "sk-from-env"


def test_a_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    key = settings.resolved_secret_key()
    path = tmp_path / "var" / "secret_key"
    assert len(key) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path / "var").resolved_secret_key() == key
    assert path.read_text(encoding="utf-8").strip() == key
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]


def test_processes_starting_together_all_get_the_one_key_that_was_written(
    tmp_path: Path,
) -> None:
    racers, rounds = 8, 10  # a single round of a racy version passes by luck too often

    def race(data_dir: Path) -> list[str]:
        start = threading.Barrier(racers)

        def resolve() -> str:
            start.wait(timeout=10)
            return Settings(data_dir=data_dir).resolved_secret_key()

        with ThreadPoolExecutor(max_workers=racers) as pool:
            return list(pool.map(lambda _: resolve(), range(racers)))

    for n in range(rounds):
        data_dir = tmp_path / f"var{n}"
        keys = race(data_dir)
        assert len(set(keys)) == 1
        assert (data_dir / "secret_key").read_text(encoding="utf-8").strip() == keys[0]
        assert sorted(p.name for p in data_dir.iterdir()) == ["secret_key"]


@pytest.mark.parametrize("content", ["", "\n", "short-key\n"])
def test_an_empty_or_short_secret_key_file_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text(content, encoding="utf-8")

    with pytest.raises(SystemExit, match="empty or shorter than 32 characters"):
        Settings(data_dir=tmp_path / "var").resolved_secret_key()


def test_an_explicit_secret_key_is_used_as_given(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", secret_key="given")
    assert settings.resolved_secret_key() == "given"
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.parametrize("value", ["garbage", "127.0.0.1", "8.8.8.8:53", "localhost:99999"])
def test_a_malformed_fetch_allow_is_refused_naming_the_variable_and_its_form(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AIOE_FETCH_ALLOW", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_errors(caught.value) == [
        "AIOE_FETCH_ALLOW: expected comma-separated loopback host:port pairs such as "
        f"127.0.0.1:8081, got {value!r}."
    ]


def test_loopback_pairs_are_a_valid_fetch_allow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOE_FETCH_ALLOW", "127.0.0.1:8123, localhost:9000,[::1]:9001")
    assert Settings().fetch_allow == "127.0.0.1:8123, localhost:9000,[::1]:9001"


def test_each_bad_setting_gets_one_sentence_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIOE_FREE_CREDITS", "-1")
    monkeypatch.setenv("AIOE_PROVIDER", "dalle")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_errors(caught.value) == [
        "AIOE_PROVIDER: input should be 'studio' or 'openai', got 'dalle'.",
        "AIOE_FREE_CREDITS: input should be greater than or equal to 0, got '-1'.",
    ]
