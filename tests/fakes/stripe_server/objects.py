"""Stripe's objects and events as its API and webhooks send them (test mode), and webhook
deliveries signed exactly as Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

JSON = dict[str, Any]

#: The API version of the webhook endpoint (what the installed SDK speaks).
API_VERSION: str = stripe.api_version
_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like Stripe's: ``cs_test_a1B2…``, ``pi_3Q…``, ``evt_1Q…``."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class Price:
    """A Price in the fake's catalogue: one-time, or recurring every month."""

    id: str
    unit_amount: int
    recurring: bool = False
    currency: str = "eur"
    product: str = ""

    def as_object(self) -> JSON:
        return {
            "id": self.id,
            "object": "price",
            "active": True,
            "currency": self.currency,
            "livemode": False,
            "product": self.product or f"prod_{self.id}",
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}
            if self.recurring
            else None,
            "type": "recurring" if self.recurring else "one_time",
            "unit_amount": self.unit_amount,
        }


#: The prices of config/billing.toml.
PRICES = (
    Price("price_starter_50", 500),
    Price("price_studio_250", 2000),
    Price("price_pro_monthly", 3000, recurring=True),
)

#: What Stripe collected from the person: it must never reach our database.
CUSTOMER_DETAILS: JSON = {
    "address": {"city": "London", "country": "GB", "line1": "1 Analytical Row"},
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "phone": None,
    "tax_exempt": "none",
    "tax_ids": [],
}


def checkout_session(params: Mapping[str, Any], amount: int, currency: str = "eur") -> JSON:
    """An open Checkout Session, as ``POST /v1/checkout/sessions`` answers."""
    session_id = new_id("cs_test", 58)
    invoice_creation = params.get("invoice_creation")
    return {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "created": now(),
        "currency": currency,
        "customer": params.get("customer"),
        "customer_creation": params.get("customer_creation"),
        "customer_details": None,
        "customer_email": None,
        "expires_at": now() + 24 * 3600,
        "invoice": None,
        "invoice_creation": {"enabled": True, "invoice_data": {"metadata": {}}}
        if invoice_creation
        else None,
        "livemode": False,
        "locale": None,
        "metadata": dict(params.get("metadata") or {}),
        "mode": params["mode"],
        "payment_intent": None,
        "payment_link": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
    }


def completed(
    session: Mapping[str, Any], *, paid: bool = True, customer: str | None = None
) -> JSON:
    """The session once the person has gone through the page: ``paid``, or (a bank
    debit) still ``unpaid`` until ``async_payment_succeeded``."""
    done = dict(session)
    done.update(
        status="complete",
        payment_status="paid" if paid else "unpaid",
        customer=session.get("customer") or customer or new_id("cus", 14),
        customer_details=CUSTOMER_DETAILS,
        url=None,
    )
    if session["mode"] == "payment":
        done["payment_intent"] = new_id("pi_3Q")
        if session.get("invoice_creation"):
            done["invoice"] = new_id("in_1Q")
    else:
        done["subscription"] = new_id("sub_1Q")
    return done


def async_paid(session: Mapping[str, Any]) -> JSON:
    """The same session when its delayed payment succeeded."""
    return {**session, "payment_status": "paid"}


def subscription(session: Mapping[str, Any], price: Price, *, status: str = "active") -> JSON:
    """The subscription a completed subscription-mode session created."""
    return {
        "id": session["subscription"],
        "object": "subscription",
        "cancel_at_period_end": False,
        "canceled_at": None if status != "canceled" else now(),
        "created": now(),
        "currency": price.currency,
        "customer": session["customer"],
        "items": {
            "object": "list",
            "data": [
                {
                    "id": new_id("si", 14),
                    "object": "subscription_item",
                    "current_period_end": now() + 30 * 86400,
                    "current_period_start": now(),
                    "price": price.as_object(),
                    "quantity": 1,
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "metadata": dict(session.get("metadata") or {}),
        "status": status,
    }


def subscription_invoice(
    sub: Mapping[str, Any],
    *,
    billing_reason: str = "subscription_cycle",
    payment_intent: str | None = None,
    shape: str = "current",
) -> JSON:
    """A paid invoice of a subscription. ``shape="current"``: as API versions since
    2025-03-31 send it (``parent.subscription_details``, ``pricing.price_details``, no
    ``payment_intent``); ``"2024"``: as older ones did."""
    item = sub["items"]["data"][0]
    price = item["price"]
    amount = price["unit_amount"]
    metadata = dict(sub.get("metadata") or {})
    line: JSON = {
        "id": new_id("il_1Q"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": f"1 × {price['product']} (at €{amount / 100:.2f} / month)",
        "livemode": False,
        "metadata": metadata,
        "period": {"end": now() + 30 * 86400, "start": now()},
        "quantity": 1,
    }
    invoice: JSON = {
        "id": new_id("in_1Q"),
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount,
        "amount_remaining": 0,
        "attempt_count": 1,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": now(),
        "currency": price["currency"],
        "customer": sub["customer"],
        "customer_email": CUSTOMER_DETAILS["email"],
        "customer_name": CUSTOMER_DETAILS["name"],
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1Q/test_YWNjdF8x",
        "lines": {"object": "list", "data": [line], "has_more": False},
        "livemode": False,
        "metadata": {},
        "status": "paid",
        "total": amount,
    }
    if shape == "current":
        line["pricing"] = {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(amount),
        }
        line["parent"] = {
            "type": "subscription_item_details",
            "subscription_item_details": {"subscription": sub["id"]},
        }
        invoice["parent"] = {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": metadata, "subscription": sub["id"]},
        }
    else:
        line["price"] = price
        line["subscription"] = sub["id"]
        invoice.update(
            subscription=sub["id"],
            subscription_details={"metadata": metadata},
            payment_intent=payment_intent or new_id("pi_3Q"),
            charge=new_id("ch_3Q"),
            paid=True,
        )
    return invoice


def one_time_invoice(session: Mapping[str, Any]) -> JSON:
    """The invoice Checkout makes for a paid pack (``invoice_creation``)."""
    return {
        "id": session["invoice"],
        "object": "invoice",
        "amount_paid": session["amount_total"],
        "billing_reason": "manual",
        "customer": session["customer"],
        "customer_email": CUSTOMER_DETAILS["email"],
        "lines": {"object": "list", "data": [], "has_more": False},
        "livemode": False,
        "metadata": {},
        "parent": None,
        "status": "paid",
    }


def charge(
    payment_intent: str,
    amount: int,
    amount_refunded: int = 0,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """The charge of a payment intent (carrying the intent's metadata, as Stripe copies it)."""
    return {
        "id": "ch_" + payment_intent.removeprefix("pi_"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "billing_details": {"email": CUSTOMER_DETAILS["email"], "name": CUSTOMER_DETAILS["name"]},
        "captured": True,
        "created": now(),
        "currency": "eur",
        "disputed": False,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }


def dispute(payment_intent: str, amount: int, status: str = "needs_response") -> JSON:
    return {
        "id": new_id("dp_1Q"),
        "object": "dispute",
        "amount": amount,
        "charge": "ch_" + payment_intent.removeprefix("pi_"),
        "created": now(),
        "currency": "eur",
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
    }


def event(type_: str, obj: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> JSON:
    """A snapshot event as Stripe delivers it to a webhook endpoint."""
    data: JSON = {"object": dict(obj)}
    if previous is not None:  # the fields an ``.updated`` event changed, as they were
        data["previous_attributes"] = dict(previous)
    return {
        "id": new_id("evt_1Q"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req", 14), "idempotency_key": new_id("ik", 16)},
        "type": type_,
    }


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` as Stripe writes it in test mode: ``t=…,v1=…`` (HMAC-SHA256 of
    ``f"{t}.{payload}"`` with the endpoint's secret) and a ``v0`` that nobody checks."""
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    t = header.split(",")[0].removeprefix("t=")
    v0 = hmac.new(b"whsec_legacy", f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"{header},v0={v0}"


def delivery(
    evt: Mapping[str, Any], secret: str, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one webhook delivery of ``evt``."""
    payload = json.dumps(evt, indent=2)
    return payload.encode(), {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature_header(payload, secret, timestamp),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
