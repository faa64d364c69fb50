"""Wallets: what ledger movements post to (an account's own, or a tenant's shared one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.accounts import new_id
from adapters.sql.conflicts import insert_unless_conflict
from adapters.sql.tables import wallets
from core.model import Wallet, WalletKind


def to_wallet(row: Row[Any]) -> Wallet:
    return Wallet(
        id=row.id,
        kind=WalletKind(row.kind),
        balance=row.balance,
        created_at=row.created_at,
        account_id=row.account_id,
        platform=row.platform,
        tenant=row.tenant,
    )


class SqlWalletRepository:
    """Wallets over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, wallet_id: str) -> Wallet | None:
        row = (
            await self._connection.execute(select(wallets).where(wallets.c.id == wallet_id))
        ).first()
        return None if row is None else to_wallet(row)

    async def team(self, platform: str, tenant: str, now: datetime) -> Wallet:
        """The tenant's shared wallet; two first uses racing create one."""
        await self._connection.execute(
            insert_unless_conflict(
                self._connection,
                wallets,
                {
                    "id": f"wal_{new_id()}",
                    "kind": WalletKind.TEAM.value,
                    "platform": platform,
                    "tenant": tenant,
                    "balance": 0,
                    "created_at": now,
                },
                ("platform", "tenant"),
            )
        )
        row = (
            await self._connection.execute(
                select(wallets).where(wallets.c.platform == platform, wallets.c.tenant == tenant)
            )
        ).one()
        return to_wallet(row)
