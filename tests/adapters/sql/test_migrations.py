"""Migrations build exactly the schema that the table definitions describe, and carry
data written under an earlier revision over into the current shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import alembic_config as _alembic_config
from adapters.sql.engine import create_engine, migrate, migrate_async
from adapters.sql.tables import metadata

HEAD = ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


def _check_constraints(connection: Connection) -> set[tuple[str, str | None]]:
    inspector = inspect(connection)
    return {
        (table, check["name"])
        for table in metadata.tables
        for check in inspector.get_check_constraints(table)
    }


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_the_migrated_schema_matches_the_table_definitions(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))

    assert differences == []
    assert tables == {*metadata.tables, "alembic_version"}


async def test_check_constraints_carry_the_names_the_table_definitions_give_them(
    engine: AsyncEngine,
) -> None:
    expected = {
        (table.name, str(constraint.name))
        for table in metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }

    async with engine.connect() as connection:
        assert await connection.run_sync(_check_constraints) == expected
    # Not ``balance >= 0`` any more (revision 0005): a refund may take back credits
    # already spent; the ledger keeps every spending movement from going below zero.
    assert expected == {("wallets", "ck_wallets_owner_fits_kind")}


async def test_migrating_an_up_to_date_database_again_changes_nothing(
    engine: AsyncEngine, database_url: str
) -> None:
    await migrate_async(database_url)
    await migrate_async(engine)

    async with engine.connect() as connection:
        assert await connection.run_sync(_revision) == HEAD
        assert await connection.run_sync(_differences) == []


def test_the_blocking_migrate_creates_the_sqlite_file_and_its_folder(tmp_path: Path) -> None:
    database = tmp_path / "var" / "data" / "aioe.db"

    migrate(f"sqlite:///{database}")

    assert database.is_file()


async def test_the_blocking_migrate_also_works_when_called_inside_an_event_loop(
    tmp_path: Path,
) -> None:
    database = tmp_path / "aioe.db"

    migrate(f"sqlite+aiosqlite:///{database}")

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_revision) == HEAD
    finally:
        await engine.dispose()
