"""Idempotency keys of platform requests, with the answer each got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conflicts import insert_unless_conflict
from adapters.sql.tables import requests


class SqlRequestRepository:
    """Request keys over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def begin(
        self,
        key: str,
        account_id: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        forget_before: datetime,
    ) -> bool:
        """Claim a new key; ``False`` when it is known. A key created before
        ``forget_before`` is forgotten first."""
        await self._connection.execute(
            delete(requests).where(requests.c.key == key, requests.c.created_at < forget_before)
        )
        added = (
            await self._connection.execute(
                insert_unless_conflict(
                    self._connection,
                    requests,
                    {
                        "key": key,
                        "account_id": account_id,
                        "owner": owner,
                        "answer": None,
                        "created_at": now,
                        "lease_expires_at": lease_until,
                    },
                    ("key",),
                ).returning(requests.c.key)
            )
        ).first()
        return added is not None

    async def answer(self, key: str) -> dict[str, Any] | None:
        value = await self._connection.scalar(
            select(requests.c.answer).where(requests.c.key == key)
        )
        return dict(value) if value is not None else None

    async def take_over(self, key: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Claim an unanswered key whose holder's lease lapsed."""
        result = await self._connection.execute(
            update(requests)
            .where(
                requests.c.key == key,
                requests.c.answer.is_(None),
                requests.c.lease_expires_at < now,
            )
            .values(owner=owner, lease_expires_at=lease_until)
        )
        return result.rowcount == 1

    async def finish(self, key: str, owner: str, answer: dict[str, Any]) -> bool:
        """Store the answer; ``False`` if ``owner`` lost the claim or it was answered."""
        result = await self._connection.execute(
            update(requests)
            .where(requests.c.key == key, requests.c.owner == owner, requests.c.answer.is_(None))
            .values(answer=answer)
        )
        return result.rowcount == 1

    async def abandon(self, key: str, owner: str) -> None:
        await self._connection.execute(
            delete(requests).where(
                requests.c.key == key, requests.c.owner == owner, requests.c.answer.is_(None)
            )
        )

    async def purge(self, before: datetime) -> int:
        """Forget keys created before ``before``; returns how many."""
        result = await self._connection.execute(
            delete(requests).where(requests.c.created_at < before)
        )
        return int(result.rowcount)
