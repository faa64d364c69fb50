"""A pooled PostgreSQL connection is pinged before use only after it sat idle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from adapters.sql.engine import create_engine


def count_pings(engine: Any) -> list[int]:
    """A list that grows by one at each ping the engine's pool sends."""
    seen: list[int] = []
    original = engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        seen.append(1)
        return bool(original(connection))

    engine.dialect.do_ping = counted
    return seen


async def backend(engine: Any) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def test_a_connection_in_steady_use_is_not_pinged(postgresql_url: str) -> None:
    engine = create_engine(postgresql_url, ping_after_idle=60.0)
    try:
        seen = count_pings(engine)
        first = await backend(engine)
        assert [await backend(engine) for _ in range(5)] == [first] * 5
        assert seen == []
    finally:
        await engine.dispose()


async def test_an_idle_connection_that_died_is_replaced_before_it_is_used(
    postgresql_url: str,
) -> None:
    engine = create_engine(postgresql_url, ping_after_idle=0.0)
    killer = create_engine(postgresql_url)
    try:
        seen = count_pings(engine)
        first = await backend(engine)
        assert len(seen) == 0  # a new connection needs no ping
        async with killer.connect() as connection:  # the server drops it while it is idle
            await connection.execute(text(f"SELECT pg_terminate_backend({first})"))
        second = await backend(engine)
        assert second != first and len(seen) == 1
        assert await backend(engine) == second and len(seen) == 2  # alive: kept
    finally:
        await engine.dispose()
        await killer.dispose()
