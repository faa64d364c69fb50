"""Payment events, as core applies them: each once, each purchase once, refunds by their
delta, disputes freezing spending; whatever the provider that verified them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.bootstrap import App, utcnow
from core import messages
from core.billing import PaymentEvent, PaymentKind
from core.identity import Requester
from core.replies import Error, Progress, Statement
from core.sweep import Sweeper
from tests.harness import Chat, count_rows, product_photo


async def account_of(chat: Chat, user: str = "alice") -> str:
    await chat.say("/credits", user)
    return (await chat.app.bot.open_account(chat_requester(user))).id


def chat_requester(user: str) -> Requester:
    return Requester("console", "local", user, user)


def paid(account: str, event: str, purchase: str, **fields: object) -> PaymentEvent:
    values: dict[str, object] = {
        "id": event,
        "kind": PaymentKind.PAID,
        "provider": "stripe",
        "account_id": account,
        "item": "starter",
        "purchase": purchase,
        "charge": f"pi_{purchase}",
        "amount": 500,
        "customer": "cus_test",
    }
    values.update(fields)
    return PaymentEvent(**values)  # type: ignore[arg-type]


async def balance(chat: Chat, user: str = "alice") -> int:
    reply = await chat.say("/credits", user)
    assert isinstance(reply, Statement)
    return reply.balance


async def ledger_balances(app: App) -> None:
    """Every wallet's balance is the sum of its ledger."""
    from sqlalchemy import text

    async with app.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT w.id, w.balance, COALESCE(SUM(l.amount), 0) FROM wallets w"
                " LEFT JOIN ledger l ON l.wallet_id = w.id GROUP BY w.id, w.balance"
            )
        )
        for wallet, cached, summed in rows:
            assert cached == summed, wallet


async def test_a_purchase_is_granted_once_whatever_events_report_it(chat: Chat, app: App) -> None:
    alice = await account_of(chat)
    first = await app.bot.billing.apply(paid(alice, "evt_1", "cs_1"))
    again = await app.bot.billing.apply(paid(alice, "evt_1", "cs_1"))
    other_event = await app.bot.billing.apply(
        paid(alice, "evt_2", "cs_1", kind=PaymentKind.PAID)  # async_payment_succeeded
    )
    assert (first.credits, again.duplicate, other_event.credits) == (50, True, 0)
    assert await balance(chat) == 10 + 50
    assert await count_rows(app, "purchases") == 1
    await ledger_balances(app)


async def test_unknown_items_and_erased_accounts_are_granted_nothing(chat: Chat, app: App) -> None:
    alice = await account_of(chat)
    odd = await app.bot.billing.apply(paid(alice, "evt_odd", "cs_odd", item="mystery"))
    gone = await app.bot.billing.apply(paid("acc_gone", "evt_gone", "cs_gone"))
    assert (odd.credits, gone.credits) == (0, 0)
    assert await balance(chat) == 10


async def test_partial_refunds_take_back_their_delta_and_may_leave_a_debt(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    alice = await account_of(chat)
    await app.bot.billing.apply(paid(alice, "evt_p", "cs_p"))
    photo = tmp_path / "mug.png"
    photo.write_bytes(product_photo())
    for _ in range(3):  # 12 credits spent, four images at a time (the cheapest to render)
        imagined = await chat.say(f"/imagine --image {photo} --format landscape --n 4")
        assert isinstance(imagined, Progress)
    await chat.run_jobs()
    assert await balance(chat) == 60 - 12

    def refunded(event: str, total: int) -> PaymentEvent:
        return PaymentEvent(
            id=event,
            kind=PaymentKind.REFUNDED,
            provider="stripe",
            charge="pi_cs_p",
            amount=500,
            amount_refunded=total,
        )

    first = await app.bot.billing.apply(refunded("evt_r1", 200))
    second = await app.bot.billing.apply(refunded("evt_r2", 350))
    repeated = await app.bot.billing.apply(refunded("evt_r3", 350))
    assert (first.credits, second.credits, repeated.credits) == (-20, -15, 0)
    full = await app.bot.billing.apply(refunded("evt_r4", 500))
    assert full.credits == -15
    assert await balance(chat) == 60 - 12 - 50
    refused = await chat.say(f"/imagine --image {photo}")
    assert isinstance(refused, Error)
    assert refused.text == messages.IN_DEBT.format(balance=-2)
    await ledger_balances(app)


async def test_a_dispute_freezes_spending_until_it_is_won(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    alice = await account_of(chat)
    await app.bot.billing.apply(paid(alice, "evt_d", "cs_d"))
    photo = tmp_path / "mug.png"
    photo.write_bytes(product_photo())

    def dispute(event: str, kind: PaymentKind, status: str = "") -> PaymentEvent:
        return PaymentEvent(
            id=event, kind=kind, provider="stripe", charge="pi_cs_d", amount=500, status=status
        )

    await app.bot.billing.apply(dispute("evt_d1", PaymentKind.DISPUTED))
    frozen = await chat.say(f"/imagine --image {photo}")
    assert isinstance(frozen, Error) and frozen.text == messages.WALLET_FROZEN
    await app.bot.billing.apply(dispute("evt_d2", PaymentKind.DISPUTE_CLOSED, "won"))
    assert isinstance(await chat.say(f"/imagine --image {photo}"), Progress)
    assert await balance(chat) == 60 - 1


async def test_a_lost_dispute_takes_back_the_rest(chat: Chat, app: App) -> None:
    alice = await account_of(chat)
    await app.bot.billing.apply(paid(alice, "evt_l", "cs_l"))
    await app.bot.billing.apply(
        PaymentEvent(
            id="evt_l1",
            kind=PaymentKind.DISPUTE_CLOSED,
            provider="stripe",
            charge="pi_cs_l",
            status="lost",
        )
    )
    assert await balance(chat) == 10


async def test_plan_periods_are_granted_per_invoice(chat: Chat, app: App) -> None:
    alice = await account_of(chat)
    for month in ("in_1", "in_2", "in_2"):
        await app.bot.billing.apply(
            paid(alice, f"evt_{month}_{id(month)}", month, kind=PaymentKind.PERIOD_PAID, item="pro")
        )
    assert await balance(chat) == 10 + 2 * 500


async def test_payment_event_ids_are_forgotten_after_thirty_days(chat: Chat, app: App) -> None:
    alice = await account_of(chat)
    await app.bot.billing.apply(paid(alice, "evt_old", "cs_old"))
    later = Sweeper(
        uow_factory=app.uow_factory, blobs=app.blobs, clock=lambda: utcnow() + timedelta(days=31)
    )
    assert (await later.sweep()).payment_events == 1
    assert (await later.sweep()).payment_events == 0
    # The purchase itself still stops a second grant.
    assert (await app.bot.billing.apply(paid(alice, "evt_old", "cs_old"))).credits == 0


async def test_a_late_older_subscription_status_does_not_overwrite_a_newer_one(
    chat: Chat, app: App
) -> None:
    alice = await account_of(chat)
    now = utcnow()

    def status(event: str, value: str, minutes_ago: int) -> PaymentEvent:
        return PaymentEvent(
            id=event,
            kind=PaymentKind.SUBSCRIPTION,
            provider="stripe",
            account_id=alice,
            customer="cus_alice",
            subscription="sub_1",
            status=value,
            created=now - timedelta(minutes=minutes_ago),
        )

    await app.bot.billing.apply(status("evt_s2", "canceled", 1))
    await app.bot.billing.apply(status("evt_s1", "active", 5))  # older, arriving late
    async with app.uow_factory(readonly=True) as uow:
        customer = await uow.payments.customer(alice)
    assert customer is not None and customer.status == "canceled"
