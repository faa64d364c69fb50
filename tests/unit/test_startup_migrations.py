"""A database already at the newest schema is recognised without Alembic: the head is read
from the migration scripts' revision lines and compared with the stored revision; one
that is behind, or new, is migrated by Alembic as before."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql import engine as sql_engine
from adapters.sql.engine import (
    MIGRATIONS,
    VERSIONS,
    alembic_config,
    create_engine,
    is_up_to_date,
    migrate_async,
    script_heads,
    stored_revisions,
)

SECRET = "the-servers-secret"


def alembic_heads(migrations: Path = MIGRATIONS) -> frozenset[str]:
    return frozenset(ScriptDirectory(str(migrations)).get_heads())


def a_copy_of_the_migrations(tmp_path: Path) -> Path:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def add_script(migrations: Path, revision: str, follows: str, header: str = "") -> None:
    (migrations / "versions" / f"{revision}_more.py").write_text(
        f'"""Another step."""\n\n{header}'
        f"revision: str = {revision!r}\n"
        f"down_revision: str | tuple[str, ...] | None = {follows}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )


@pytest.fixture
def no_alembic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alembic cannot be imported: any use of it raises ``ImportError``."""
    for name in [name for name in sys.modules if name.split(".")[0] == "alembic"]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "alembic", None)  # type: ignore[arg-type]


@pytest.fixture
def upgrades(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The secrets of every Alembic upgrade run from here on."""
    calls: list[str | None] = []
    real: Callable[..., None] = sql_engine._upgrade

    def counted(connection: Connection, secret: str | None = None) -> None:
        calls.append(secret)
        real(connection, secret)

    monkeypatch.setattr(sql_engine, "_upgrade", counted)
    return calls


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    assert script_heads() == alembic_heads()
    assert script_heads(VERSIONS) is not None


def test_a_new_migration_moves_the_head_as_alembic_sees_it(tmp_path: Path) -> None:
    migrations = a_copy_of_the_migrations(tmp_path)
    (old_head,) = alembic_heads(migrations)

    add_script(migrations, "9001", repr(old_head))

    assert script_heads(migrations / "versions") == alembic_heads(migrations) == {"9001"}


def test_branches_and_their_merge_are_read_as_alembic_reads_them(tmp_path: Path) -> None:
    migrations = a_copy_of_the_migrations(tmp_path)
    (old_head,) = alembic_heads(migrations)
    add_script(migrations, "9001", repr(old_head))
    add_script(migrations, "9002", repr(old_head))

    assert script_heads(migrations / "versions") == alembic_heads(migrations) == {"9001", "9002"}

    add_script(migrations, "9003", "('9001', '9002')")

    assert script_heads(migrations / "versions") == alembic_heads(migrations) == {"9003"}


@pytest.mark.parametrize(
    ("revision", "follows"),
    [("make_id()", "None"), ("'9001'", "PREVIOUS"), ("'9001'", "'0000-unknown'")],
    ids=["computed revision", "computed parent", "unknown parent"],
)
def test_scripts_that_do_not_say_their_revisions_plainly_leave_the_head_to_alembic(
    tmp_path: Path, revision: str, follows: str
) -> None:
    migrations = a_copy_of_the_migrations(tmp_path)
    (migrations / "versions" / "9001_odd.py").write_text(
        f"PREVIOUS = 'x'\nrevision = {revision}\ndown_revision = {follows}\n", encoding="utf-8"
    )

    assert script_heads(migrations / "versions") is None


async def test_an_up_to_date_database_is_recognised_without_alembic(
    engine: AsyncEngine, database_url: str, no_alembic: None
) -> None:
    assert await stored_revisions(engine) == script_heads()
    assert await is_up_to_date(engine)

    await migrate_async(engine, SECRET)  # would raise ImportError if it used Alembic
    await migrate_async(database_url, SECRET)

    with pytest.raises(ImportError):
        import alembic.command  # noqa: F401  (the guard itself works)


async def test_a_database_one_revision_behind_is_migrated_to_the_head(
    empty_database_url: str, upgrades: list[str | None]
) -> None:
    (head,) = alembic_heads()
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(previous, str)
    made = create_engine(empty_database_url)
    try:

        def to_previous(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, previous)

        async with made.begin() as connection:
            await connection.run_sync(to_previous)
        assert await stored_revisions(made) == {previous}
        assert not await is_up_to_date(made)

        await migrate_async(made, SECRET)

        assert upgrades == [SECRET]
        assert await stored_revisions(made) == {head}
        assert await is_up_to_date(made)
    finally:
        await made.dispose()


async def test_a_new_database_is_migrated_by_alembic(
    empty_database_url: str, upgrades: list[str | None]
) -> None:
    made = create_engine(empty_database_url)
    try:
        assert await stored_revisions(made) is None

        await migrate_async(empty_database_url)

        assert upgrades == [None]
        assert await stored_revisions(made) == script_heads()
    finally:
        await made.dispose()


async def test_a_database_ahead_of_the_scripts_is_left_to_alembic_to_refuse(
    engine: AsyncEngine, upgrades: list[str | None]
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert not await is_up_to_date(engine)

    with pytest.raises(CommandError, match="9999"):
        await migrate_async(engine)
    assert upgrades == [None]
