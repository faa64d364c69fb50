"""Wallets: what ledger movements post to (an account's own, or a tenant's shared one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.accounts import new_id
from adapters.sql.conflicts import insert_unless_conflict, upsert
from adapters.sql.tables import ledger, member_wallets, team_settings, wallets
from core.model import TeamRules, Wallet, WalletKind

# Statements that only take values are built once, here.
_GET = select(wallets).where(wallets.c.id == bindparam("wallet_id"))
_FIND_TEAM = select(wallets).where(
    wallets.c.platform == bindparam("platform"), wallets.c.tenant == bindparam("tenant")
)
_RULES = select(team_settings).where(team_settings.c.wallet_id == bindparam("wallet_id"))
_SOURCE = select(member_wallets.c.source).where(
    member_wallets.c.account_id == bindparam("account_id"),
    member_wallets.c.platform == bindparam("platform"),
    member_wallets.c.tenant == bindparam("tenant"),
)
_LOCK = select(wallets.c.id).where(wallets.c.id == bindparam("wallet_id")).with_for_update()
_SPENT = select(func.coalesce(func.sum(ledger.c.amount), 0)).where(
    ledger.c.wallet_id == bindparam("wallet_id"),
    ledger.c.account_id == bindparam("account_id"),
    ledger.c.created_at >= bindparam("since", type_=ledger.c.created_at.type),
    ledger.c.kind.in_(("reserve", "release", "capture")),
)


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
        row = (await self._connection.execute(_GET, {"wallet_id": wallet_id})).first()
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
        where = {"platform": platform, "tenant": tenant}
        return to_wallet((await self._connection.execute(_FIND_TEAM, where)).one())

    async def find_team(self, platform: str, tenant: str) -> Wallet | None:
        where = {"platform": platform, "tenant": tenant}
        row = (await self._connection.execute(_FIND_TEAM, where)).first()
        return None if row is None else to_wallet(row)

    async def rules(self, wallet_id: str) -> TeamRules:
        row = (await self._connection.execute(_RULES, {"wallet_id": wallet_id})).first()
        return TeamRules() if row is None else TeamRules(row.sharing, row.member_cap)

    async def set_rules(
        self, wallet_id: str, now: datetime, *, sharing: bool | None = None, cap: int | None = -1
    ) -> None:
        changed: dict[str, Any] = {"updated_at": now}
        if sharing is not None:
            changed["sharing"] = sharing
        if cap != -1:
            changed["member_cap"] = cap
        new = {"wallet_id": wallet_id, "sharing": False, "member_cap": None, **changed}
        await self._connection.execute(
            upsert(self._connection, team_settings, new, ("wallet_id",), changed)
        )

    async def source(self, account_id: str, platform: str, tenant: str) -> str:
        where = {"account_id": account_id, "platform": platform, "tenant": tenant}
        value = await self._connection.scalar(_SOURCE, where)
        return str(value or "personal")

    async def choose(
        self, account_id: str, platform: str, tenant: str, source: str, now: datetime
    ) -> None:
        changed = {"source": source, "updated_at": now}
        key = {"account_id": account_id, "platform": platform, "tenant": tenant}
        await self._connection.execute(
            upsert(self._connection, member_wallets, {**key, **changed}, tuple(key), changed)
        )

    async def spent(
        self, wallet_id: str, account_id: str, since: datetime, *, lock: bool = True
    ) -> int:
        """Holds minus returns: reserves are negative, releases positive, captures zero."""
        if lock and self._connection.dialect.name == "postgresql":
            # The person's lock on their spending from this wallet: concurrent spends queue
            # here, so none can slip past the cap (SQLite's writers queue already).
            await self._connection.execute(_LOCK, {"wallet_id": wallet_id})
        where = {"wallet_id": wallet_id, "account_id": account_id, "since": since}
        total = await self._connection.scalar(_SPENT, where)
        return -int(total or 0)
