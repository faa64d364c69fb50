"""Payment events applied once, customers, purchases and frozen wallets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.conflicts import insert_unless_conflict, upsert
from adapters.sql.tables import payment_customers, payment_events, purchases, wallets
from core.model import Customer, Purchase


def to_purchase(row: Row[Any]) -> Purchase:
    return Purchase(
        purchase=row.purchase,
        provider=row.provider,
        account_id=row.account_id,
        wallet_id=row.wallet_id,
        charge=row.charge,
        credits=row.credits,
        amount=row.amount,
        refunded=row.refunded,
        credits_back=row.credits_back,
    )


class SqlPaymentRepository:
    """Implements ``PaymentRepository`` over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def first_sight(self, provider: str, event_id: str, kind: str, now: datetime) -> bool:
        added = insert_unless_conflict(
            self._connection,
            payment_events,
            {"provider": provider, "event_id": event_id, "kind": kind, "received_at": now},
            ("provider", "event_id"),
        ).returning(payment_events.c.event_id)
        return (await self._connection.execute(added)).first() is not None

    async def set_customer(
        self, account_id: str, provider: str, customer_id: str, now: datetime
    ) -> None:
        changed = {"provider": provider, "customer_id": customer_id, "updated_at": now}
        await self._connection.execute(
            upsert(
                self._connection,
                payment_customers,
                {"account_id": account_id, **changed},
                ("account_id",),
                changed,
            )
        )

    async def set_subscription(
        self,
        account_id: str,
        subscription: str,
        status: str,
        now: datetime,
        at: datetime | None = None,
    ) -> None:
        conditions = [payment_customers.c.account_id == account_id]
        if at is not None:
            conditions.append(
                or_(payment_customers.c.status_at.is_(None), payment_customers.c.status_at <= at)
            )
        await self._connection.execute(
            update(payment_customers)
            .where(*conditions)
            .values(
                subscription_id=subscription,
                subscription_status=status,
                status_at=at,
                updated_at=now,
            )
        )

    async def customer(self, account_id: str) -> Customer | None:
        row = (
            await self._connection.execute(
                select(payment_customers).where(payment_customers.c.account_id == account_id)
            )
        ).first()
        if row is None:
            return None
        return Customer(
            row.account_id,
            row.provider,
            row.customer_id,
            row.subscription_id,
            row.subscription_status,
        )

    async def record_purchase(
        self,
        *,
        purchase: str,
        provider: str,
        account_id: str,
        wallet_id: str,
        charge: str,
        credits: int,
        amount: int,
        now: datetime,
    ) -> None:
        added = insert_unless_conflict(
            self._connection,
            purchases,
            {
                "purchase": purchase,
                "provider": provider,
                "account_id": account_id,
                "wallet_id": wallet_id,
                "charge": charge,
                "credits": credits,
                "amount": amount,
                "created_at": now,
            },
            ("purchase",),
        ).returning(purchases.c.purchase)
        if (await self._connection.execute(added)).first() is None and charge:
            await self._connection.execute(
                update(purchases)
                .where(purchases.c.purchase == purchase, purchases.c.charge == "")
                .values(charge=charge, amount=amount)
            )

    async def purchase_by_charge(self, provider: str, charge: str) -> Purchase | None:
        if not charge:
            return None
        row = (
            await self._connection.execute(
                select(purchases)
                .where(purchases.c.provider == provider, purchases.c.charge == charge)
                # Two refunds of one payment queue here, so each takes back only its delta.
                .with_for_update()
            )
        ).first()
        return None if row is None else to_purchase(row)

    async def set_refunded(self, purchase: str, refunded: int, credits_back: int) -> None:
        await self._connection.execute(
            update(purchases)
            .where(purchases.c.purchase == purchase, purchases.c.refunded < refunded)
            .values(refunded=refunded, credits_back=credits_back)
        )

    async def set_frozen(self, wallet_id: str, frozen: bool, now: datetime) -> None:
        await self._connection.execute(
            update(wallets)
            .where(wallets.c.id == wallet_id)
            .values(frozen_at=now if frozen else None)
        )

    async def purge_events(self, before: datetime) -> int:
        gone = await self._connection.execute(
            delete(payment_events).where(payment_events.c.received_at < before)
        )
        return int(gone.rowcount or 0)

    async def frozen(self, wallet_id: str) -> bool:
        value = await self._connection.scalar(
            select(wallets.c.frozen_at).where(wallets.c.id == wallet_id)
        )
        return value is not None
