"""Accounts, the platform identities that lead to them, and their personal wallets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conflicts import insert_unless_conflict
from adapters.sql.tables import accounts, identities, wallets
from core.identity import Identity
from core.model import Account, WalletKind


def new_id() -> str:
    """A fresh opaque id (32 hex digits, safe inside blob keys and URLs)."""
    return uuid.uuid4().hex


def personal_wallet_id(account_id: str) -> str:
    return f"wal_{account_id}"


def _with_wallet() -> Select[Any]:
    return select(
        accounts.c.id,
        accounts.c.display_name,
        accounts.c.created_at,
        accounts.c.email,
        accounts.c.restricted,
        accounts.c.objected,
        accounts.c.analytics,
        accounts.c.policy_version,
        wallets.c.id.label("wallet_id"),
        wallets.c.balance,
    ).join(wallets, wallets.c.account_id == accounts.c.id)


def to_account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        display_name=row.display_name,
        balance=row.balance,
        created_at=row.created_at,
        wallet_id=row.wallet_id,
        email=row.email,
        restricted=row.restricted,
        objected=row.objected,
        analytics=row.analytics,
        policy_version=row.policy_version,
    )


class SqlAccountRepository:
    """Accounts over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def ensure(
        self,
        identity: Identity,
        display_name: str,
        now: datetime,
        *,
        policy_version: str | None = None,
    ) -> tuple[Account, bool]:
        """The identity's account, created with its identity and wallet if new (``True``).

        Two first commands racing for one identity create one account: the loser's
        identity insert hits the unique constraint, so it drops its own rows and reads
        the winner's.
        """
        found = await self.find(identity)
        if found is not None:
            return found, False
        account_id = new_id()
        wallet_id = personal_wallet_id(account_id)
        await self._connection.execute(
            insert(accounts).values(
                id=account_id,
                display_name=display_name,
                created_at=now,
                policy_version=policy_version,
            )
        )
        await self._connection.execute(
            insert(wallets).values(
                id=wallet_id,
                kind=WalletKind.PERSONAL.value,
                account_id=account_id,
                balance=0,
                created_at=now,
            )
        )
        added = insert_unless_conflict(
            self._connection,
            identities,
            {
                "id": new_id(),
                "account_id": account_id,
                "platform": identity.platform,
                "namespace": identity.namespace,
                "user_id": identity.user_id,
                "display_name": display_name,
                "created_at": now,
            },
            ("platform", "namespace", "user_id"),
        ).returning(identities.c.id)
        if (await self._connection.execute(added)).first() is not None:
            return (
                Account(account_id, display_name, 0, now, wallet_id, policy_version=policy_version),
                True,
            )
        await self._connection.execute(delete(wallets).where(wallets.c.id == wallet_id))
        await self._connection.execute(delete(accounts).where(accounts.c.id == account_id))
        found = await self.find(identity)
        if found is None:
            raise LookupError(f"identity {identity.key} vanished while being created")
        return found, False

    async def get(self, account_id: str) -> Account | None:
        row = (
            await self._connection.execute(_with_wallet().where(accounts.c.id == account_id))
        ).first()
        return None if row is None else to_account(row)

    async def find(self, identity: Identity) -> Account | None:
        """The identity's account, or ``None``: never creates anything."""
        query = (
            _with_wallet()
            .join(identities, identities.c.account_id == accounts.c.id)
            .where(
                identities.c.platform == identity.platform,
                identities.c.namespace == identity.namespace,
                identities.c.user_id == identity.user_id,
            )
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else to_account(row)
