"""Database fixtures for the whole suite: every test using them runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import secrets
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
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
    "postgresql_url",
    "uow_factory",
]

PG_URL_VARIABLE = "AIOE_TEST_DATABASE_URL"
_PG_SERVER = os.environ.get(PG_URL_VARIABLE, "")

_POSTGRESQL = pytest.param(
    "postgresql",
    id="postgresql",
    marks=[
        pytest.mark.database,
        pytest.mark.skipif(
            not _PG_SERVER,
            reason=f"PostgreSQL not configured: set {PG_URL_VARIABLE} to run on it too",
        ),
    ],
)
_DATABASES = [pytest.param("sqlite", id="sqlite", marks=pytest.mark.database), _POSTGRESQL]


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def worker_tag() -> str:
    """This test process's name among parallel ones (pytest-xdist's ``gw0``, ``gw1``…;
    ``main`` when the suite runs in one process), put in the names of the databases it
    makes so that a stray one says whose it was."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_name(kind: str) -> str:
    return f"aioe_{kind}_{worker_tag()}_{secrets.token_hex(6)}"


async def _drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class PostgresPool:
    """A template database migrated once, and copies of it made ahead on a thread of
    their own while tests run.

    A copy takes a few hundredths of a second, but dropping a database makes
    PostgreSQL (up to version 15) write a checkpoint, which waits on the disk for
    everything written since the last one, the other tests' too. So copies are made on
    one connection while the used ones are dropped on others, all that are waiting at
    once: one checkpoint serves the whole batch, and a drop never holds up a copy."""

    def __init__(self, server_url: str, ahead: int = 3) -> None:
        self._server = server_url
        self._template = _database_name("template")
        self._ahead = ahead
        self._ready: queue.Queue[str] = queue.Queue()
        self._used: list[str] = []
        self._stopping = False
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._template_ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._work(),), daemon=True)
        self._thread.start()
        # Alembic keeps its state in module globals: no test may migrate while the
        # template is being migrated on the pool's thread.
        self._template_ready.wait()
        if self._failure is not None:
            raise RuntimeError("could not make the template database") from self._failure

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
                name = self._ready.get(timeout=0.5)
            except queue.Empty:
                continue
            self._poke()  # one fewer ready: make the next
            return name

    async def empty(self) -> str:
        """A new empty database's name (made in the caller's event loop); give it back
        like a copy."""
        name = _database_name("test")
        admin = await asyncpg.connect(_asyncpg_dsn(self._server))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return name

    def give_back(self, name: str) -> None:
        """Have a database dropped once the test is done with it (in the background)."""
        self._call(self._used.append, name)

    def close(self) -> None:
        """Drop every database left, the template too, and stop."""
        self._call(self._stop)
        self._thread.join(timeout=120)

    def _stop(self) -> None:
        self._stopping = True

    def _call(self, function: Callable[..., object], *args: object) -> None:
        """Run ``function(*args)`` on the pool's own loop, then wake the pool."""

        def run() -> None:
            function(*args)
            self._poke_here()

        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(run)

    def _poke(self) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._poke_here)

    def _poke_here(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _work(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            await self._serve()
        except BaseException as error:
            self._failure = error
            raise
        finally:
            self._template_ready.set()

    async def _serve(self) -> None:
        """Make the template, then keep ``ahead`` copies ready and drop the used ones
        until closed; then drop everything."""
        admin = await asyncpg.connect(_asyncpg_dsn(self._server))
        dropping: asyncio.Task[None] | None = None
        try:
            await admin.execute(f'CREATE DATABASE "{self._template}"')
            await migrate_async(self.url(self._template))
            self._template_ready.set()
            while not self._stopping:
                dropping = self._drop_used(dropping)
                if self._ready.qsize() < self._ahead:
                    name = _database_name("test")
                    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
                    self._ready.put(name)
                else:
                    await self._idle(dropping)
            if dropping is not None:
                await dropping
            ready = [self._ready.get_nowait() for _ in range(self._ready.qsize())]
            await self._drop_all([*self._used, *ready, self._template])
        finally:
            await admin.close()

    def _drop_used(self, dropping: asyncio.Task[None] | None) -> asyncio.Task[None] | None:
        """Start dropping every copy given back since the last batch, unless a batch is
        still being dropped; returns the batch in progress."""
        if dropping is not None:
            if not dropping.done():
                return dropping
            dropping.result()  # a drop that failed fails the pool
        if not self._used:
            return None
        batch, self._used = self._used, []
        return asyncio.create_task(self._drop_all(batch))

    async def _idle(self, dropping: asyncio.Task[None] | None) -> None:
        """Wait until a copy is taken or given back, or the batch being dropped is done."""
        assert self._wake is not None
        self._wake.clear()
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                [woken] if dropping is None else [woken, dropping],
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            woken.cancel()

    async def _drop_all(self, names: list[str], at_once: int = 8) -> None:
        """Drop ``names``, up to ``at_once`` of them at the same time (each on a
        connection of its own, so that their checkpoints coincide)."""
        for start in range(0, len(names), at_once):
            batch = names[start : start + at_once]
            await asyncio.gather(*(_drop_database(self._server, name) for name in batch))


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
    async for url in _postgresql_copy(database_templates):
        yield url


@pytest.fixture(params=[_POSTGRESQL])
async def postgresql_url(database_templates: Templates) -> AsyncIterator[str]:
    """Like ``database_url``, on PostgreSQL alone: for what only PostgreSQL has."""
    async for url in _postgresql_copy(database_templates):
        yield url


async def _postgresql_copy(templates: Templates) -> AsyncIterator[str]:
    pool = templates.postgresql
    assert pool is not None
    name = await asyncio.to_thread(pool.take)
    try:
        yield pool.url(name)
    finally:
        pool.give_back(name)


@pytest.fixture(params=_DATABASES)
async def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_templates: Templates
) -> AsyncIterator[str]:
    """The URL of an empty database of its own (for tests of the migrations)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'aioe.db'}"
        return
    pool = database_templates.postgresql
    assert pool is not None
    name = await pool.empty()
    try:
        yield pool.url(name)
    finally:
        pool.give_back(name)


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
