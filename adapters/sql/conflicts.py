"""``INSERT … ON CONFLICT DO NOTHING`` for whichever database a connection talks to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_unless_conflict(
    connection: AsyncConnection,
    table: Table,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> Insert:
    """An insert of ``values`` that quietly does nothing when ``conflict_columns`` clash.

    Add ``.returning(...)`` to learn whether the row went in (no row back means it did not).
    """
    name = connection.dialect.name
    if name == "postgresql":
        return (
            postgresql.insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=list(conflict_columns))
        )
    if name == "sqlite":
        return (
            sqlite.insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=list(conflict_columns))
        )
    raise ValueError(f"unsupported database dialect: {name!r}")


def upsert(
    connection: AsyncConnection,
    table: Table,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
    update: Mapping[str, Any],
) -> Insert:
    """An insert of ``values`` that, when ``conflict_columns`` clash, sets ``update`` on
    the row that is there instead: one statement, on either database."""
    name = connection.dialect.name
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(name)
    if dialect is None:
        raise ValueError(f"unsupported database dialect: {name!r}")
    return (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_update(index_elements=list(conflict_columns), set_=dict(update))
    )
