"""The credit ledger: every movement is a row, the cached balance moves with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conflicts import insert_unless_conflict
from adapters.sql.tables import ledger, wallets
from core.model import LedgerEntry, Movement, PostResult


def to_entry(row: Row[Any]) -> LedgerEntry:
    return LedgerEntry(
        wallet_id=row.wallet_id,
        account_id=row.account_id,
        kind=Movement(row.kind),
        amount=row.amount,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        job_id=row.job_id,
        reason=row.reason,
    )


class SqlLedgerRepository:
    """Ledger movements over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def post(
        self,
        wallet_id: str,
        kind: Movement,
        amount: int,
        key: str,
        now: datetime,
        *,
        account_id: str | None = None,
        job_id: str | None = None,
        reason: str = "",
        allow_debt: bool = False,
    ) -> PostResult:
        """Add one movement to a wallet and its effect on the balance, atomically.

        The movement goes in first (a used key stops everything here: ``DUPLICATE``);
        the balance then moves with a conditional update that the database evaluates
        against the latest committed balance, so no interleaving can take it below
        zero, nor take anything from a frozen wallet. When that update matches nothing the
        movement is taken out again (``INSUFFICIENT``). ``allow_debt`` (a refund's
        clawback) moves it regardless.
        """
        movement = insert_unless_conflict(
            self._connection,
            ledger,
            {
                "wallet_id": wallet_id,
                "account_id": account_id,
                "kind": Movement(kind).value,
                "amount": amount,
                "idempotency_key": key,
                "job_id": job_id,
                "reason": reason,
                "created_at": now,
            },
            ("idempotency_key",),
        ).returning(ledger.c.id)
        inserted = (await self._connection.execute(movement)).first()
        if inserted is None:
            return PostResult.DUPLICATE
        new_balance = wallets.c.balance + amount
        conditions = [wallets.c.id == wallet_id]
        if not allow_debt and amount < 0:  # spending: never below zero, never while frozen
            conditions += [new_balance >= 0, wallets.c.frozen_at.is_(None)]
        moved = (
            await self._connection.execute(
                update(wallets)
                .where(*conditions)
                .values(balance=new_balance)
                .returning(wallets.c.balance)
            )
        ).first()
        if moved is None:
            await self._connection.execute(delete(ledger).where(ledger.c.id == inserted.id))
            return PostResult.INSUFFICIENT
        return PostResult.POSTED

    async def balance(self, wallet_id: str) -> int:
        """The cached balance (0 for an unknown wallet)."""
        value = await self._connection.scalar(
            select(wallets.c.balance).where(wallets.c.id == wallet_id)
        )
        return int(value or 0)

    async def recent(self, wallet_id: str, limit: int) -> list[LedgerEntry]:
        """The wallet's latest movements, newest first."""
        rows = await self._connection.execute(
            select(ledger)
            .where(ledger.c.wallet_id == wallet_id)
            .order_by(ledger.c.id.desc())
            .limit(limit)
        )
        return [to_entry(row) for row in rows]
