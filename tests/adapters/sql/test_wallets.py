"""Personal and team wallets on every configured database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from adapters.sql.tables import accounts, wallets
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Movement, PostResult, Wallet, WalletKind
from tests.adapters.sql.builders import T0, at, new_account


async def _team(uows: SqlUnitOfWorkFactory, platform: str, tenant: str, now: float) -> Wallet:
    async with uows() as uow:
        wallet = await uow.wallets.team(platform, tenant, at(now))
        await uow.commit()
    return wallet


async def test_a_tenants_team_wallet_is_created_once_and_then_found(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    first = await _team(uow_factory, "slack", "T1", now=0)
    again = await _team(uow_factory, "slack", "T1", now=60)

    assert first == Wallet(
        id=first.id,
        kind=WalletKind.TEAM,
        balance=0,
        created_at=T0,
        platform="slack",
        tenant="T1",
    )
    assert first.id.startswith("wal_")
    assert again == first
    async with uow_factory(readonly=True) as uow:
        assert await uow.wallets.get(first.id) == first


async def test_each_tenant_of_each_platform_has_a_team_wallet_of_its_own(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    slack_t1 = await _team(uow_factory, "slack", "T1", now=0)
    slack_t2 = await _team(uow_factory, "slack", "T2", now=0)
    discord_t1 = await _team(uow_factory, "discord", "T1", now=0)

    assert len({slack_t1.id, slack_t2.id, discord_t1.id}) == 3
    assert (discord_t1.platform, discord_t1.tenant) == ("discord", "T1")


async def test_racing_first_uses_of_a_tenant_create_one_team_wallet(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    results = await asyncio.gather(*(_team(uow_factory, "discord", "G1", now=n) for n in range(20)))

    assert len({wallet.id for wallet in results}) == 1
    async with uow_factory.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(wallets)) == 1


async def test_an_unknown_wallet_is_none(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory(readonly=True) as uow:
        assert await uow.wallets.get("wal_nobody") is None


async def test_only_a_refunds_clawback_takes_a_balance_below_zero(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    account = await new_account(uow_factory, credits=3)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with uow_factory() as uow:
        spent = await uow.ledger.post(account.wallet_id, Movement.RESERVE, -4, "spend", now)
        clawed = await uow.ledger.post(
            account.wallet_id, Movement.REFUND, -5, "claw", now, allow_debt=True
        )
        again = await uow.ledger.post(account.wallet_id, Movement.RESERVE, -1, "spend2", now)
        topped = await uow.ledger.post(account.wallet_id, Movement.PURCHASE, 1, "buy", now)
        balance = await uow.ledger.balance(account.wallet_id)
        await uow.commit()
    assert (spent, clawed, again, topped) == (
        PostResult.INSUFFICIENT,
        PostResult.POSTED,
        PostResult.INSUFFICIENT,
        PostResult.POSTED,
    )
    assert balance == 3 - 5 + 1


@pytest.mark.parametrize(
    "owner",
    [
        pytest.param({"kind": "personal"}, id="personal-without-account"),
        pytest.param(
            {"kind": "personal", "account": True, "platform": "slack", "tenant": "T1"},
            id="personal-with-tenant",
        ),
        pytest.param({"kind": "team", "platform": "slack"}, id="team-without-tenant"),
        pytest.param(
            {"kind": "team", "account": True, "platform": "slack", "tenant": "T1"},
            id="team-with-account",
        ),
        pytest.param({"kind": "shared", "platform": "slack", "tenant": "T1"}, id="unknown-kind"),
    ],
)
async def test_the_database_itself_refuses_a_wallet_whose_owner_does_not_fit_its_kind(
    uow_factory: SqlUnitOfWorkFactory, owner: dict[str, Any]
) -> None:
    async with uow_factory.engine.begin() as connection:
        # An account without a wallet yet, so only the owner check can object.
        await connection.execute(
            insert(accounts).values(id="acc_bare", display_name="Bare", created_at=T0)
        )
    row = {
        "id": "wal_odd",
        "kind": owner["kind"],
        "account_id": "acc_bare" if owner.get("account") else None,
        "platform": owner.get("platform"),
        "tenant": owner.get("tenant"),
        "balance": 0,
        "created_at": T0,
    }

    with pytest.raises(IntegrityError, match="owner_fits_kind"):
        async with uow_factory.engine.begin() as connection:
            await connection.execute(insert(wallets).values(**row))


async def test_the_database_accepts_wallets_whose_owner_fits_their_kind(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory.engine.begin() as connection:
        await connection.execute(
            insert(accounts).values(id="acc_bare", display_name="Bare", created_at=T0)
        )
        await connection.execute(
            insert(wallets).values(
                id="wal_p", kind="personal", account_id="acc_bare", balance=3, created_at=T0
            )
        )
        await connection.execute(
            insert(wallets).values(
                id="wal_t", kind="team", platform="slack", tenant="T1", balance=0, created_at=T0
            )
        )

    async with uow_factory(readonly=True) as uow:
        personal = await uow.wallets.get("wal_p")
        team = await uow.wallets.get("wal_t")
    assert personal is not None
    assert (personal.kind, personal.account_id, personal.balance) == (
        WalletKind.PERSONAL,
        "acc_bare",
        3,
    )
    assert team is not None
    assert (team.kind, team.platform, team.tenant) == (WalletKind.TEAM, "slack", "T1")
