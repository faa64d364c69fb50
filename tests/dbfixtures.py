"""Database fixtures for the whole suite: every test using them runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import secrets
import shutil
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import create_engine, migrate_async
from adapters.sql.uow import SqlUnitOfWorkFactory

__all__ = [
    "PG_URL_VARIABLE",
    "database_templates",
    "database_url",
    "empty_database_url",
    "engine",
    "uow_factory",
]

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


class PostgresPool:
    """A template database migrated once, and copies of it made ahead on a thread of
    their own while tests run (the server spends most of a copy waiting on its disk),
    dropped there after use; the template goes last."""

    def __init__(self, server_url: str, ahead: int = 3) -> None:
        self._server = server_url
        self._template = f"aioe_template_{secrets.token_hex(6)}"
        self._ahead = ahead
        self._ready: queue.Queue[str] = queue.Queue()
        self._used: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._work(),), daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return (
            make_url(self._server)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )

    def take(self) -> str:
        """A fresh copy's name (waits for one to be ready)."""
        while True:
            if self._failure is not None:
                raise RuntimeError("could not copy the template database") from self._failure
            try:
                return self._ready.get(timeout=0.5)
            except queue.Empty:
                continue

    def give_back(self, name: str) -> None:
        self._used.put(name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    async def _work(self) -> None:
        admin = await asyncpg.connect(_asyncpg_dsn(self._server))
        try:
            await admin.execute(f'CREATE DATABASE "{self._template}"')
            await migrate_async(self.url(self._template))
            while not self._stop.is_set():
                while not self._used.empty():
                    await self._drop(admin, self._used.get_nowait())
                if self._ready.qsize() < self._ahead:
                    name = f"aioe_test_{secrets.token_hex(6)}"
                    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
                    self._ready.put(name)
                else:
                    await asyncio.sleep(0.02)
            for leftover in (self._used, self._ready):
                while not leftover.empty():
                    await self._drop(admin, leftover.get_nowait())
            await self._drop(admin, self._template)
        except BaseException as error:
            self._failure = error
            raise
        finally:
            await admin.close()

    @staticmethod
    async def _drop(admin: asyncpg.Connection, name: str) -> None:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Templates:
    """Databases migrated once per test session, copied for each test (a copy takes a
    fraction of the time of a migration)."""

    sqlite: Path
    postgresql: PostgresPool | None  # with a PostgreSQL server to test on


def _in_a_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up code of the session outside any test's event loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    sqlite = tmp_path_factory.mktemp("template") / "aioe.db"
    _in_a_thread(migrate_async(f"sqlite+aiosqlite:///{sqlite}"))
    pool = PostgresPool(_PG_SERVER) if _PG_SERVER else None
    try:
        yield Templates(sqlite, pool)
    finally:
        if pool is not None:
            pool.close()


@pytest.fixture(params=_DATABASES)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_templates: Templates
) -> AsyncIterator[str]:
    """The URL of a database of its own at the latest schema revision: a SQLite file, or a
    PostgreSQL database created on the ``AIOE_TEST_DATABASE_URL`` server and dropped
    afterwards (both copies of a template migrated once per session)."""
    if request.param == "sqlite":
        path = tmp_path / "db" / "aioe.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(database_templates.sqlite, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    pool = database_templates.postgresql
    assert pool is not None
    name = await asyncio.to_thread(pool.take)
    try:
        yield pool.url(name)
    finally:
        pool.give_back(name)


@pytest.fixture(params=_DATABASES)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of its own (for tests of the migrations)."""
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
