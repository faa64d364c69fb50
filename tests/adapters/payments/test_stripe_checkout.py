"""Stripe's hosted pages and customer erasure, against a local Stripe that checks what
Stripe checks; and that fake's own honesty."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import stripe

from adapters.payments.stripe import STRIPE_REFUSED, StripeCheckout
from core.billing import Pack, PaymentEvent, PaymentKind, Plan
from core.errors import ProviderFailed
from tests.fakes.stripe_server import FakeStripe, parse_form, serve_stripe

STARTER = Pack("starter", 50, "€5", "price_starter_50")
PRO = Plan("pro", 500, "€30 a month", "price_pro_monthly")
PUBLIC = "https://aioe.example"
METADATA = {"account_id": "acc_ada", "wallet_id": "wal_ada", "item": "starter"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeStripe]:
    async with serve_stripe() as running:
        yield running


@pytest.fixture
async def stripe_checkout(fake: FakeStripe) -> AsyncIterator[StripeCheckout]:
    checkout = StripeCheckout(api_key=fake.api_key, api_url=fake.base_url, public_url=PUBLIC)
    try:
        yield checkout
    finally:
        await checkout.close()


async def test_a_pack_is_a_one_time_payment_with_an_invoice(
    fake: FakeStripe, stripe_checkout: StripeCheckout
) -> None:
    url = await stripe_checkout.checkout(
        account_id="acc_ada", wallet_id="wal_ada", item=STARTER, customer_id=None
    )
    (call,) = fake.called("POST", "/v1/checkout/sessions")
    (session,) = fake.sessions.values()
    assert url == session["url"] and url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert call.params == {
        "mode": "payment",
        "line_items": [{"price": "price_starter_50", "quantity": "1"}],
        "client_reference_id": "acc_ada",
        "metadata": METADATA,
        "payment_intent_data": {"metadata": METADATA},
        "invoice_creation": {"enabled": "true"},
        "customer_creation": "always",
        "success_url": f"{PUBLIC}/checkout/done?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{PUBLIC}/checkout/cancelled",
    }
    assert call.headers["Authorization"] == f"Bearer {fake.api_key}"
    assert call.headers["Idempotency-Key"] and call.headers["Stripe-Version"]


async def test_a_plan_is_a_subscription_for_a_known_customer(
    fake: FakeStripe, stripe_checkout: StripeCheckout
) -> None:
    customer = fake.add_customer()
    await stripe_checkout.checkout(
        account_id="acc_ada", wallet_id="wal_ada", item=PRO, customer_id=customer
    )
    (call,) = fake.called("POST", "/v1/checkout/sessions")
    metadata = {**METADATA, "item": "pro"}
    assert call.params["mode"] == "subscription"
    assert call.params["customer"] == customer
    assert call.params["subscription_data"] == {"metadata": metadata}
    assert "customer_creation" not in call.params and "payment_intent_data" not in call.params


async def test_the_portal_returns_to_the_done_page(
    fake: FakeStripe, stripe_checkout: StripeCheckout
) -> None:
    customer = fake.add_customer()
    url = await stripe_checkout.portal(customer)
    (call,) = fake.called("POST", "/v1/billing_portal/sessions")
    assert url.startswith("https://billing.stripe.com/p/session/test_")
    assert call.params == {"customer": customer, "return_url": f"{PUBLIC}/checkout/done"}


async def test_erasing_a_customer_deletes_it_and_a_missing_one_is_fine(
    fake: FakeStripe, stripe_checkout: StripeCheckout
) -> None:
    customer = fake.add_customer()
    await stripe_checkout.erase_customer(customer)
    await stripe_checkout.erase_customer(customer)
    assert customer not in fake.customers
    assert len(fake.called("DELETE", f"/v1/customers/{customer}")) == 2


async def test_a_refused_key_is_one_sentence_and_a_log_line_without_personal_data(
    fake: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = StripeCheckout(api_key="sk_test_wrong", api_url=fake.base_url, public_url=PUBLIC)
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(ProviderFailed) as failed:
            await wrong.portal("cus_Ada")
        with pytest.raises(ProviderFailed):
            await wrong.erase_customer("cus_Ada")
    finally:
        await wrong.close()
    assert str(failed.value) == STRIPE_REFUSED and not failed.value.transient
    assert "AuthenticationError" in caplog.text and "401" in caplog.text
    assert "cus_Ada" not in caplog.text and "sk_test" not in caplog.text


def period(**changes: Any) -> PaymentEvent:
    fields: dict[str, Any] = {
        "id": "evt_1",
        "kind": PaymentKind.PERIOD_PAID,
        "provider": "stripe",
        "purchase": "in_1",
    }
    return PaymentEvent(**{**fields, **changes})


async def test_a_plan_invoice_gets_its_payment_intent_from_stripe(
    fake: FakeStripe, stripe_checkout: StripeCheckout
) -> None:
    fake.paid_invoice("in_1", "pi_3Qpaid", 3000)
    assert (await stripe_checkout.complete(period())).charge == "pi_3Qpaid"
    (call,) = fake.called("GET", "/v1/invoice_payments")
    assert call.params == {"invoice": "in_1", "status": "paid", "limit": "1"}
    # Named already, or not a plan invoice, or nothing paid it: unchanged, and no call.
    assert (await stripe_checkout.complete(period(charge="pi_x"))).charge == "pi_x"
    assert (await stripe_checkout.complete(period(kind=PaymentKind.PAID))).charge == ""
    assert (await stripe_checkout.complete(period(purchase="in_2"))).charge == ""
    assert len(fake.called("GET", "/v1/invoice_payments")) == 2


GOOD: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_starter_50", "quantity": 1}],
    "client_reference_id": "acc_ada",
    "success_url": f"{PUBLIC}/checkout/done",
    "cancel_url": f"{PUBLIC}/checkout/cancelled",
}


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"mode": None}, "Missing required param: mode"),
        ({"success_url": None}, "Missing required param: success_url"),
        ({"client_reference_id": None}, "Missing required param: client_reference_id"),
        ({"success_url": "checkout/done"}, "Not a valid URL"),
        ({"line_items": [{"quantity": 1}]}, "line_items[0][price]"),
        ({"line_items": [{"price": "price_nope", "quantity": 1}]}, "No such price"),
        ({"line_items": [{"price": "price_pro_monthly", "quantity": 1}]}, "recurring price"),
        ({"mode": "subscription"}, "at least one recurring price"),
        ({"subscription_data": {"metadata": {"a": "b"}}}, "`subscription_data` in `payment`"),
        ({"customer": "cus_nobody"}, "No such customer"),
        ({"customer": "cus_x", "customer_creation": "always"}, "only specify one"),
        ({"metadata": {"k" * 41: "v"}}, "Invalid metadata key"),
        (
            {
                "mode": "subscription",
                "line_items": [{"price": "price_pro_monthly", "quantity": 1}],
                "customer_creation": "always",
            },
            "`customer_creation` can only be used in `payment` mode",
        ),
    ],
)
async def test_the_fake_refuses_what_stripe_refuses(
    fake: FakeStripe, changes: dict[str, Any], complaint: str
) -> None:
    params = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    http = stripe.AIOHTTPClient()
    client = stripe.StripeClient(
        fake.api_key, base_addresses={"api": fake.base_url}, http_client=http
    )
    try:
        await client.v1.checkout.sessions.create_async(GOOD)  # the baseline is accepted
        with pytest.raises(stripe.InvalidRequestError) as refused:
            await client.v1.checkout.sessions.create_async(params)
    finally:
        await http.close_async()
    assert complaint in str(refused.value)


async def test_the_fake_wants_stripes_form_encoding_and_key(fake: FakeStripe) -> None:
    import aiohttp

    url = f"{fake.base_url}/v1/checkout/sessions"
    async with aiohttp.ClientSession() as session:
        as_json = await session.post(
            url, json=GOOD, headers={"Authorization": f"Bearer {fake.api_key}"}
        )
        no_key = await session.post(url, data={"mode": "payment"})
        unknown = await session.get(
            f"{fake.base_url}/v1/charges", headers={"Authorization": f"Bearer {fake.api_key}"}
        )
        assert (as_json.status, no_key.status, unknown.status) == (400, 401, 404)
        assert "Content-Type" in (await as_json.json())["error"]["message"]


def test_the_fake_reads_nested_form_keys() -> None:
    body = (
        "line_items[0][price]=p1&line_items[0][quantity]=1&line_items[1][price]=p2"
        "&metadata[account_id]=acc_1&expand[]=a&expand[]=b&invoice_creation[enabled]=true"
    )
    assert parse_form(body) == {
        "line_items": [{"price": "p1", "quantity": "1"}, {"price": "p2"}],
        "metadata": {"account_id": "acc_1"},
        "expand": ["a", "b"],
        "invoice_creation": {"enabled": "true"},
    }
