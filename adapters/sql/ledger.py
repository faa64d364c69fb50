"""The credit ledger: every movement is a row, the cached balance moves with it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, Row, TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

from adapters.sql.tables import ledger, wallets
from core.model import LedgerEntry, Movement, PostResult

# Every statement is built once, here: a movement only binds its values. They are plain SQL
# that PostgreSQL and SQLite both understand, except the one-statement movement (a
# data-modifying CTE, which SQLite does not have).

#: The movement's row, unless its key was used already: ``RETURNING`` says whether it went in.
_INSERT = (
    "INSERT INTO ledger"
    " (wallet_id, account_id, kind, amount, idempotency_key, job_id, reason, created_at)"
    " VALUES (:wallet_id, :account_id, :kind, :amount, :key, :job_id, :reason, :created_at)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)
#: The balance moves by the amount; spending (``:free`` false) only down to zero, and only
#: from a wallet that is not frozen. The database evaluates this on the latest committed
#: version of the row, after waiting for any transaction that holds it.
_MOVE = (
    "UPDATE wallets SET balance = balance + :amount"
    " WHERE id = :wallet_id AND (:free OR (balance + :amount >= 0 AND frozen_at IS NULL))"
)
#: Each parameter's type, as the tables declare it (timestamps are converted as for them).
_TYPES: dict[str, TypeEngine[Any]] = {
    "wallet_id": ledger.c.wallet_id.type,
    "account_id": ledger.c.account_id.type,
    "kind": ledger.c.kind.type,
    "amount": ledger.c.amount.type,
    "key": ledger.c.idempotency_key.type,
    "job_id": ledger.c.job_id.type,
    "reason": ledger.c.reason.type,
    "created_at": ledger.c.created_at.type,
    "free": Boolean(),
    "id": ledger.c.id.type,
}


def _statement(sql: str) -> TextClause:
    """``sql`` with each of its parameters typed as in ``_TYPES``."""
    names = dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", sql))
    return text(sql).bindparams(*(bindparam(name, type_=_TYPES[name]) for name in names))


#: PostgreSQL: the whole movement in one statement and one round trip. The row goes in
#: first (a used key, even one another transaction is still writing, stops everything
#: here, after waiting for that transaction as the unique index makes it); the balance
#: moves only if it did. ``moved`` false means the condition refused: the row is then
#: taken out again by the caller.
_POST_AT_ONCE = _statement(
    f"WITH posted AS ({_INSERT}),"
    f" moved AS ({_MOVE} AND EXISTS (SELECT 1 FROM posted) RETURNING id)"
    " SELECT (SELECT id FROM posted) AS posted, EXISTS (SELECT 1 FROM moved) AS moved"
)
#: The same two steps one after the other (SQLite, whose writers are serialised anyway).
_INSERT_MOVEMENT = _statement(_INSERT)
_MOVE_BALANCE = _statement(f"{_MOVE} RETURNING id")
_TAKE_OUT = _statement("DELETE FROM ledger WHERE id = :id")

_BALANCE = select(wallets.c.balance).where(wallets.c.id == bindparam("wallet_id"))
_RECENT = (
    select(ledger)
    .where(ledger.c.wallet_id == bindparam("wallet_id"))
    .order_by(ledger.c.id.desc())
    .limit(bindparam("limit", type_=Integer()))
)


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
        self._at_once = connection.dialect.name == "postgresql"

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
        clawback) moves it regardless. On PostgreSQL the insert and the update are one
        statement (docs/architecture.md, "Credits", says why that is safe); a movement of
        zero (a capture) has no balance to move and is only its row.
        """
        values = {
            "wallet_id": wallet_id,
            "account_id": account_id,
            "kind": Movement(kind).value,
            "amount": amount,
            "key": key,
            "job_id": job_id,
            "reason": reason,
            "created_at": now,
            "free": allow_debt or amount >= 0,
        }
        posted, moved = await self._insert_and_move(values)
        if posted is None:
            return PostResult.DUPLICATE
        if not moved:
            await self._connection.execute(_TAKE_OUT, {"id": posted})
            return PostResult.INSUFFICIENT
        return PostResult.POSTED

    async def _insert_and_move(self, values: dict[str, Any]) -> tuple[int | None, bool]:
        """The new row's id (``None``: the key was used) and whether the balance moved."""
        if values["amount"] == 0:
            return await self._connection.scalar(_INSERT_MOVEMENT, values), True
        if self._at_once:
            row = (await self._connection.execute(_POST_AT_ONCE, values)).one()
            return row.posted, bool(row.moved)
        posted = await self._connection.scalar(_INSERT_MOVEMENT, values)
        if posted is None:
            return None, False
        return posted, await self._connection.scalar(_MOVE_BALANCE, values) is not None

    async def balance(self, wallet_id: str) -> int:
        """The cached balance (0 for an unknown wallet)."""
        value = await self._connection.scalar(_BALANCE, {"wallet_id": wallet_id})
        return int(value or 0)

    async def recent(self, wallet_id: str, limit: int) -> list[LedgerEntry]:
        """The wallet's latest movements, newest first."""
        rows = await self._connection.execute(_RECENT, {"wallet_id": wallet_id, "limit": limit})
        return [to_entry(row) for row in rows]
