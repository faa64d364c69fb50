"""Suite-wide fixtures: databases (SQLite and PostgreSQL), the app, and the chat harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import App
from tests.dbfixtures import *  # noqa: F403  (database_url, engine, uow_factory)
from tests.harness import Chat, product_photo, running_app


@pytest.fixture
async def app(tmp_path: Path, database_url: str) -> AsyncIterator[App]:
    """The whole bot on the embedded defaults, over each test database."""
    async with running_app(tmp_path / "var", database_url) as built:
        yield built


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A product photo on disk (a teal box on a white studio background)."""
    path = tmp_path / "box.png"
    path.write_bytes(product_photo())
    return path
