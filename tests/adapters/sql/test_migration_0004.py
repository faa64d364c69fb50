"""Revision 0004 replaces identities kept in welcome-grant keys by keyed hashes: the grant
still counts (no second one), and the identity is no longer in the ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from adapters.sql.engine import alembic_config, create_engine, migrate_async
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.credits import Credits, welcome_key
from core.identity import IdentityHasher, Requester

SECRET = "the-servers-secret"
T0 = datetime(2026, 11, 20, tzinfo=UTC)
ADA = Requester("slack", "T0ACME", "U0ADA", "Ada")


def _to_0003(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "0003")


#: What the previous release wrote for one person who got the welcome grant.
_ROWS = (
    "INSERT INTO accounts (id, display_name, created_at) VALUES ('a1', 'Ada', :t)",
    "INSERT INTO identities (id, account_id, platform, namespace, user_id, display_name,"
    " created_at) VALUES ('i1', 'a1', 'slack', 'T0ACME', 'U0ADA', 'Ada', :t)",
    "INSERT INTO wallets (id, kind, account_id, balance, created_at)"
    " VALUES ('wal_a1', 'personal', 'a1', 10, :t)",
    "INSERT INTO ledger (wallet_id, account_id, kind, amount, idempotency_key, reason,"
    " created_at) VALUES ('wal_a1', 'a1', 'grant', 10, 'grant:welcome:slack:T0ACME:U0ADA',"
    " 'welcome credits', :t)",
)


async def _at_0003_with_a_welcome_grant(database_url: str) -> None:
    """A database as the previous release left it: one account that got its grant."""
    engine = create_engine(database_url)
    when = T0.replace(tzinfo=None) if engine.dialect.name == "sqlite" else T0
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to_0003)
            for row in _ROWS:
                await connection.execute(sa.text(row), {"t": when})
    finally:
        await engine.dispose()


async def test_welcome_keys_become_keyed_hashes_that_still_stop_a_second_grant(
    empty_database_url: str,
) -> None:
    await _at_0003_with_a_welcome_grant(empty_database_url)
    await migrate_async(empty_database_url, SECRET)
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            keys = (await connection.execute(sa.text("SELECT idempotency_key FROM ledger"))).all()
        hasher = IdentityHasher(SECRET)
        assert [k for (k,) in keys] == [welcome_key(hasher.digest(ADA.identity))]
        assert "U0ADA" not in keys[0][0]
        # The identity, back after erasing its account, gets a new account and no grant.
        uow_factory = SqlUnitOfWorkFactory(engine)
        credits = Credits(lambda: T0, 10, hasher)
        async with engine.begin() as connection:
            await connection.execute(sa.text("DELETE FROM identities"))
        async with uow_factory() as uow:
            back = await credits.open_account(uow, ADA)
            await uow.commit()
        assert back.id != "a1" and back.balance == 0
    finally:
        await engine.dispose()


async def test_without_the_secret_the_upgrade_stops_and_says_how(empty_database_url: str) -> None:
    await _at_0003_with_a_welcome_grant(empty_database_url)
    with pytest.raises(RuntimeError, match="aioe migrate"):
        await migrate_async(empty_database_url)
