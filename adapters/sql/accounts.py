"""Accounts and the platform identities that lead to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conflicts import insert_unless_conflict
from adapters.sql.tables import accounts, identities
from core.model import Account


def new_id() -> str:
    """A fresh opaque id (32 hex digits, safe inside blob keys and URLs)."""
    return uuid.uuid4().hex


def to_account(row: Row[Any]) -> Account:
    return Account(
        id=row.id, display_name=row.display_name, balance=row.balance, created_at=row.created_at
    )


class SqlAccountRepository:
    """Accounts over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def ensure(
        self, platform: str, tenant: str, user_id: str, display_name: str, now: datetime
    ) -> tuple[Account, bool]:
        """The identity's account, created with its identity if new (``True``).

        Two first commands racing for one identity create one account: the loser's
        identity insert hits the unique constraint, so it drops its own account row
        and reads the winner's.
        """
        found = await self.find(platform, tenant, user_id)
        if found is not None:
            return found, False
        account_id = new_id()
        await self._connection.execute(
            insert(accounts).values(
                id=account_id, display_name=display_name, balance=0, created_at=now
            )
        )
        identity = insert_unless_conflict(
            self._connection,
            identities,
            {
                "id": new_id(),
                "account_id": account_id,
                "platform": platform,
                "tenant": tenant,
                "user_id": user_id,
                "display_name": display_name,
                "created_at": now,
            },
            ("platform", "tenant", "user_id"),
        ).returning(identities.c.id)
        if (await self._connection.execute(identity)).first() is not None:
            return Account(account_id, display_name, 0, now), True
        await self._connection.execute(delete(accounts).where(accounts.c.id == account_id))
        found = await self.find(platform, tenant, user_id)
        if found is None:
            raise LookupError(
                f"identity {platform}:{tenant}:{user_id} vanished while being created"
            )
        return found, False

    async def get(self, account_id: str) -> Account | None:
        row = (
            await self._connection.execute(select(accounts).where(accounts.c.id == account_id))
        ).first()
        return None if row is None else to_account(row)

    async def find(self, platform: str, tenant: str, user_id: str) -> Account | None:
        """The identity's account, or ``None``: never creates anything."""
        query = (
            select(accounts)
            .join(identities, identities.c.account_id == accounts.c.id)
            .where(
                identities.c.platform == platform,
                identities.c.tenant == tenant,
                identities.c.user_id == user_id,
            )
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else to_account(row)
