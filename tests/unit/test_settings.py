"""Settings: documented defaults, the environment wins, and a secret key made once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.settings import Settings


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


def test_an_explicit_secret_key_is_used_as_given(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", secret_key="given")
    assert settings.resolved_secret_key() == "given"
    assert not (tmp_path / "var" / "secret_key").exists()
