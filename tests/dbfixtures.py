"""Database fixtures for the whole suite: every test using them runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import create_engine, migrate_async
from adapters.sql.uow import SqlUnitOfWorkFactory

__all__ = ["PG_URL_VARIABLE", "database_url", "engine", "uow_factory"]

PG_URL_VARIABLE = "AIOE_TEST_DATABASE_URL"
_PG_SERVER = os.environ.get(PG_URL_VARIABLE, "")

_DATABASES = [
    pytest.param("sqlite", id="sqlite", marks=pytest.mark.database),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.database,
            pytest.mark.skipif(
                not _PG_SERVER,
                reason=f"PostgreSQL not configured: set {PG_URL_VARIABLE} to run on it too",
            ),
        ],
    ),
]


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def _fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    name = f"aioe_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield (
            make_url(server_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=_DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of its own: a SQLite file, or a PostgreSQL database
    created on the ``AIOE_TEST_DATABASE_URL`` server and dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'aioe.db'}"
        return
    async with _fresh_postgres_database(_PG_SERVER) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine over ``database_url``, disposed in the test's own event loop."""
    made = create_engine(database_url)
    try:
        await migrate_async(made)
        yield made
    finally:
        await made.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    """Fresh units of work over the migrated ``engine``."""
    return SqlUnitOfWorkFactory(engine)
