"""Async engines for SQLite and PostgreSQL, and schema migrations to the latest revision."""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PING_AFTER_IDLE_SECONDS = 5.0
#: Execution option of a SQLite connection whose transactions only read.
READONLY_OPTION = "aioe_readonly"
# Any constant works; it only has to be the same for every process migrating one database.
_MIGRATION_LOCK_ID = 0x_A10E_5C4E


def normalize_url(url: str) -> URL:
    """The URL with the async driver this package uses (``sqlite://`` → ``sqlite+aiosqlite://``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL scheme: {parsed.drivername!r}")


def create_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> AsyncEngine:
    """An engine tuned for the database in ``url`` (SQLite file or PostgreSQL server)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    engine = create_async_engine(
        parsed,
        hide_parameters=True,  # errors never carry prompts or names into the logs
        pool_size=10,
        max_overflow=10,
        pool_timeout=30,
        pool_recycle=1800,
    )
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle: float) -> None:
    """Ping a pooled connection before lending it only when it sat idle ``idle`` seconds:
    a server restart, a fail-over or a firewall that drops quiet connections shows then,
    and the pool connects afresh instead of failing the request. A connection in steady
    use is not pinged (a ping is three round trips: begin, an empty query, roll back)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError("idle connection lost") from error  # pool retries
            raise


def _sqlite_engine(url: URL, *, foreign_keys: bool = True) -> AsyncEngine:
    database = url.database or ""
    if database in ("", ":memory:"):
        # One shared in-memory connection: fine for a single task at a time, nothing more.
        engine = create_async_engine(url, hide_parameters=True)
    else:
        if not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, hide_parameters=True, pool_size=5, max_overflow=5, pool_timeout=60
        )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the driver, decides when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, so an erasure reaches the file.
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        readonly = bool(connection.get_execution_options().get(READONLY_OPTION, False))
        # query_only belongs to the pooled connection, so set it whenever it must change.
        if connection.info.get(READONLY_OPTION, False) != readonly:
            connection.exec_driver_sql(f"PRAGMA query_only={'ON' if readonly else 'OFF'}")
            connection.info[READONLY_OPTION] = readonly
        if readonly:
            # Deferred: in WAL mode readers never wait for the writer, nor it for them.
            connection.exec_driver_sql("BEGIN")
        else:
            # Take the write lock up front: concurrent writers queue on busy_timeout
            # instead of failing when a read lock cannot be upgraded.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


#: A top-level ``revision = …`` or ``down_revision: … = …`` line of a migration script.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[ \t]*(?::[^=\n]*)?=(.+)$", re.M)


def _revision_of(script: str) -> tuple[str, tuple[str, ...]] | None:
    """A script's revision and the revisions it follows, as its top-level lines say;
    ``None`` unless both are written as plain literals."""
    lines = dict(_REVISION_LINE.findall(script))
    try:
        revision = ast.literal_eval(lines["revision"].strip())
        follows = ast.literal_eval(lines["down_revision"].strip())
    except (KeyError, ValueError, TypeError, SyntaxError):
        return None
    if follows is None:
        follows = ()
    elif isinstance(follows, str):
        follows = (follows,)
    if not isinstance(revision, str) or not isinstance(follows, tuple | list):
        return None
    if not all(isinstance(parent, str) for parent in follows):
        return None
    return revision, tuple(follows)


def script_heads(versions: Path = VERSIONS) -> frozenset[str] | None:
    """The head revisions of the migration scripts in ``versions``, read from their
    ``revision`` and ``down_revision`` lines without running them or importing Alembic
    (whose import alone costs a start ten times what this check does).

    ``None`` when that is not certain (a script that does not say its revisions as
    literals, a revision that follows an unknown one): Alembic then decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        if path.name.startswith(("__init__", ".#")):  # the files Alembic skips too
            continue
        found = _revision_of(path.read_text(encoding="utf-8"))
        if found is None:
            return None
        revisions.add(found[0])
        parents.update(found[1])
    heads = frozenset(revisions - parents)
    return heads if heads and parents <= revisions else None


async def stored_revisions(engine: AsyncEngine) -> frozenset[str] | None:
    """The revisions recorded in the database's ``alembic_version`` table, read in a
    read-only transaction; ``None`` when there is no such table (a new database) or
    the database cannot be read (migrating then says why)."""
    readonly = engine.execution_options(**{READONLY_OPTION: True})
    try:
        async with readonly.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(str(row[0]) for row in rows)
    except DBAPIError:
        return None


async def is_up_to_date(engine: AsyncEngine, versions: Path = VERSIONS) -> bool:
    """Whether the database already stands at the head of the migration scripts: one
    plain query and a read of the scripts' revision lines, no Alembic."""
    heads = script_heads(versions)
    return heads is not None and await stored_revisions(engine) == heads


def alembic_config() -> Config:
    """Alembic's configuration for this package, built in code (no ``alembic.ini``)."""
    from alembic.config import Config  # imported only by processes that migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, secret: str | None = None) -> None:
    if connection.dialect.name == "postgresql":
        # Several processes starting at once migrate one after the other.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["secret"] = secret  # revision 0004 hashes identities with it
    command.upgrade(config, "head")
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left {len(broken)} dangling reference(s)")


def _migration_engine(target: AsyncEngine | str) -> tuple[AsyncEngine, bool]:
    """The engine to migrate with, and whether it is ours to dispose.

    SQLite rebuilds a table to change it, which foreign keys forbid while they are
    enforced (and the setting cannot change inside a transaction): a file database is
    migrated over connections that enforce none, and checked for dangling references
    before the migration commits.
    """
    url = normalize_url(target) if isinstance(target, str) else target.url
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        return _sqlite_engine(url, foreign_keys=False), True
    if isinstance(target, str):
        return create_engine(target), True
    return target, False


async def migrate_async(target: AsyncEngine | str, secret: str | None = None) -> None:
    """Bring the database behind an engine (or a URL) to the latest schema revision.

    A database already there is recognised without Alembic (:func:`is_up_to_date`);
    only one that is behind, or new, loads it and migrates. ``secret`` (the server's)
    lets revision 0004 replace identities kept in ledger keys by keyed hashes; a
    database that holds none migrates without it."""
    engine, own = _migration_engine(target)
    try:
        # Asked on the caller's engine where there is one: its pool keeps the connection.
        if not await is_up_to_date(target if isinstance(target, AsyncEngine) else engine):
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, secret)
    finally:
        if own:
            await engine.dispose()


def migrate(url: str, secret: str | None = None) -> None:
    """Blocking form of :func:`migrate_async`, for the CLI and other synchronous callers.

    Called from inside a running event loop it does the work on a helper thread (blocking
    that loop meanwhile); async code should await :func:`migrate_async` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(migrate_async(url, secret))
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(migrate_async(url, secret))).result()
