"""Stripe's webhook deliveries read into core's payment events: verified first, then each
event type mapped by its documented shape (today's and the 2024 one)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from adapters.payments.stripe import InvalidWebhook, read_event
from bot.settings import CONFIG_DIR
from core.billing import Catalogue, PaymentEvent, PaymentKind, Plan, load_catalogue
from tests.fakes.stripe_server import objects as o

SECRET = "whsec_test_events"
CATALOGUE = load_catalogue(CONFIG_DIR / "billing.toml")
STARTER, PRO = o.PRICES[0], o.PRICES[2]
METADATA = {"account_id": "acc_ada", "wallet_id": "wal_ada", "item": "starter"}


def read(evt: dict[str, Any], catalogue: Catalogue = CATALOGUE) -> PaymentEvent:
    body, headers = o.delivery(evt, SECRET)
    return read_event(body, headers["Stripe-Signature"], SECRET, catalogue)


def pack_session(**params: Any) -> dict[str, Any]:
    return o.checkout_session(
        {
            "mode": "payment",
            "client_reference_id": "acc_ada",
            "metadata": METADATA,
            "invoice_creation": {"enabled": "true"},
            **params,
        },
        STARTER.unit_amount,
    )


def plan_subscription() -> tuple[dict[str, Any], dict[str, Any]]:
    metadata = {**METADATA, "item": "pro"}
    session = o.completed(
        o.checkout_session(
            {"mode": "subscription", "client_reference_id": "acc_ada", "metadata": metadata},
            PRO.unit_amount,
        )
    )
    return session, o.subscription(session, PRO)


def test_a_paid_checkout_is_a_paid_purchase_named_by_its_session() -> None:
    session = o.completed(pack_session())
    event = read(o.event("checkout.session.completed", session))
    assert event.kind is PaymentKind.PAID
    assert (event.provider, event.account_id, event.wallet_id, event.item) == (
        "stripe",
        "acc_ada",
        "wal_ada",
        "starter",
    )
    assert (event.purchase, event.charge, event.amount) == (
        session["id"],
        session["payment_intent"],
        500,
    )
    assert event.customer == session["customer"] and event.id.startswith("evt_")
    assert event.created is not None


def test_a_delayed_payment_is_paid_only_when_stripe_says_so() -> None:
    pending = o.completed(pack_session(), paid=False)
    first = read(o.event("checkout.session.completed", pending))
    later = read(o.event("checkout.session.async_payment_succeeded", o.async_paid(pending)))
    failed = read(o.event("checkout.session.async_payment_failed", pending))
    assert first.kind is PaymentKind.IGNORED
    assert (first.account_id, first.customer) == ("acc_ada", pending["customer"])
    assert (later.kind, later.purchase) == (PaymentKind.PAID, pending["id"])
    assert (failed.kind, failed.purchase) == (PaymentKind.PAYMENT_FAILED, pending["id"])


def test_a_subscription_checkout_records_the_plan_and_grants_nothing() -> None:
    session, _ = plan_subscription()
    event = read(o.event("checkout.session.completed", session))
    assert event.kind is PaymentKind.SUBSCRIPTION
    assert (event.subscription, event.status, event.purchase) == (
        session["subscription"],
        "active",
        "",
    )


@pytest.mark.parametrize("shape", ["current", "2024"])
def test_a_plan_invoice_pays_a_period_whatever_the_api_version(shape: str) -> None:
    _, sub = plan_subscription()
    invoice = o.subscription_invoice(sub, shape=shape, payment_intent="pi_3Qold")
    event = read(o.event("invoice.paid", invoice))
    assert event.kind is PaymentKind.PERIOD_PAID
    assert (event.account_id, event.item, event.purchase, event.amount) == (
        "acc_ada",
        "pro",
        invoice["id"],
        3000,
    )
    assert event.subscription == sub["id"]
    # Since 2025-03-31 invoices no longer name their payment intent: the webhook asks.
    assert event.charge == ("" if shape == "current" else "pi_3Qold")


def test_a_plan_changed_in_the_portal_is_named_by_its_price() -> None:
    _, sub = plan_subscription()  # metadata still says "pro"
    bigger = Catalogue(
        packs=CATALOGUE.packs,
        plans={**CATALOGUE.plans, "max": Plan("max", 2000, "€90 a month", "price_max")},
    )
    sub["items"]["data"][0]["price"] = {**PRO.as_object(), "id": "price_max"}
    event = read(o.event("invoice.paid", o.subscription_invoice(sub)), bigger)
    assert event.item == "max"


def test_the_invoice_of_a_pack_is_not_a_second_grant() -> None:
    session = o.completed(pack_session())
    assert read(o.event("invoice.paid", o.one_time_invoice(session))).kind is PaymentKind.IGNORED


def test_a_failed_renewal_is_a_failed_payment() -> None:
    _, sub = plan_subscription()
    invoice = o.subscription_invoice(sub)
    event = read(o.event("invoice.payment_failed", {**invoice, "status": "open"}))
    assert (event.kind, event.purchase) == (PaymentKind.PAYMENT_FAILED, invoice["id"])


@pytest.mark.parametrize(
    ("type_", "status"),
    [
        ("customer.subscription.updated", "past_due"),
        ("customer.subscription.deleted", "canceled"),
    ],
)
def test_subscription_changes_carry_their_status(type_: str, status: str) -> None:
    session, _ = plan_subscription()
    sub = o.subscription(session, PRO, status=status)
    event = read(o.event(type_, sub, previous={"status": "active"}))
    assert (event.kind, event.status, event.subscription) == (
        PaymentKind.SUBSCRIPTION,
        status,
        sub["id"],
    )
    assert (event.account_id, event.item, event.customer) == ("acc_ada", "pro", sub["customer"])


def test_a_refund_names_the_payment_intent_and_the_cumulative_amount() -> None:
    charge = o.charge("pi_3Qabc", 500, amount_refunded=350, metadata=METADATA)
    event = read(o.event("charge.refunded", charge, previous={"amount_refunded": 200}))
    assert (event.kind, event.charge, event.amount, event.amount_refunded) == (
        PaymentKind.REFUNDED,
        "pi_3Qabc",
        500,
        350,
    )
    assert event.account_id == "acc_ada"


@pytest.mark.parametrize(
    ("type_", "status", "kind"),
    [
        ("charge.dispute.created", "needs_response", PaymentKind.DISPUTED),
        ("charge.dispute.closed", "won", PaymentKind.DISPUTE_CLOSED),
        ("charge.dispute.closed", "lost", PaymentKind.DISPUTE_CLOSED),
    ],
)
def test_disputes_name_the_payment_intent(type_: str, status: str, kind: PaymentKind) -> None:
    event = read(o.event(type_, o.dispute("pi_3Qabc", 500, status)))
    assert (event.kind, event.charge, event.status) == (kind, "pi_3Qabc", status)


@pytest.mark.parametrize(
    "type_", ["payment_intent.created", "customer.updated", "invoice.finalized"]
)
def test_other_events_are_ignored(type_: str) -> None:
    event = read(o.event(type_, {"id": "x_1", "object": type_.split(".")[0]}))
    assert event.kind is PaymentKind.IGNORED


def delivered(**changes: Any) -> tuple[bytes, str | None, str]:
    """One delivery, with its body, signature header or secret spoilt as asked."""
    evt = o.event("checkout.session.completed", o.completed(pack_session()))
    body, headers = o.delivery(evt, changes.pop("signed_with", SECRET), **changes)
    return body, headers["Stripe-Signature"], SECRET


def test_a_genuine_delivery_from_almost_five_minutes_ago_is_read() -> None:
    body, header, secret = delivered(timestamp=int(time.time()) - 290)
    assert read_event(body, header, secret, CATALOGUE).kind is PaymentKind.PAID


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda b, h, s: (b, None, s), id="no header"),
        pytest.param(lambda b, h, s: (b, "", s), id="empty header"),
        pytest.param(lambda b, h, s: (b, "t=soon,v1=abc", s), id="garbled header"),
        pytest.param(lambda b, h, s: (b, h, "whsec_other"), id="wrong secret"),
        pytest.param(lambda b, h, s: (b, h, ""), id="no secret"),
        pytest.param(lambda b, h, s: (b.replace(b"500", b"900"), h, s), id="altered body"),
        pytest.param(lambda b, h, s: (b, h.split(",v1=")[0] + ",v0=x", s), id="only v0"),
    ],
)
def test_a_delivery_that_is_not_provably_stripes_is_refused(spoil: Any) -> None:
    body, header, secret = spoil(*delivered())
    with pytest.raises(InvalidWebhook):
        read_event(body, header, secret, CATALOGUE)


def test_a_delivery_signed_more_than_five_minutes_ago_is_refused() -> None:
    body, header, secret = delivered(timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidWebhook, match="five minutes"):
        read_event(body, header, secret, CATALOGUE)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"object": "event", "id": "evt_1", "type": "charge.refunded"}),
        json.dumps({"object": "v2.core.event", "id": "evt_1", "type": "x"}),
    ],
)
def test_a_signed_body_that_is_no_event_is_refused(payload: str) -> None:
    header = o.signature_header(payload, SECRET)
    with pytest.raises(InvalidWebhook):
        read_event(payload.encode(), header, SECRET, CATALOGUE)
