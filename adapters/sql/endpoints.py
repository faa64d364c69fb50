"""Leases of process-local endpoints (terminal sessions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conflicts import insert_unless_conflict
from adapters.sql.tables import endpoints


class SqlEndpointRepository:
    """Endpoint leases over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def beat(self, route: str, now: datetime, expires_at: datetime) -> None:
        """Start or renew the lease of ``route``."""
        await self._connection.execute(
            insert_unless_conflict(
                self._connection,
                endpoints,
                {"route": route, "created_at": now, "expires_at": expires_at},
                ("route",),
            )
        )
        await self._connection.execute(
            update(endpoints).where(endpoints.c.route == route).values(expires_at=expires_at)
        )

    async def end(self, route: str) -> None:
        await self._connection.execute(delete(endpoints).where(endpoints.c.route == route))
