"""Stripe: Checkout and portal pages, customer erasure, and verified webhook deliveries
read into core's payment events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from core.billing import Catalogue, Pack, PaymentEvent, PaymentKind, Plan
from core.errors import ProviderFailed

log = logging.getLogger(__name__)

PROVIDER = "stripe"
#: Deliveries signed longer ago than this may be replays (Stripe's own default).
TOLERANCE_SECONDS = 300

#: What a person reads when Stripe fails; the log keeps the error's type and code.
STRIPE_UNAVAILABLE = "Stripe did not answer just now; please try again in a minute."
STRIPE_REFUSED = (
    "Payments are not working on this installation right now; please tell your operator."
)

JSON = Mapping[str, Any]
T = TypeVar("T")


class InvalidWebhook(Exception):
    """A delivery that is not provably Stripe's (no signature, a wrong one, or one signed
    more than five minutes ago) or that is no event at all: nothing of it is applied."""


class StripeCheckout:
    """Stripe's hosted Checkout and billing portal (``Checkout``), and the erasure of a
    person's Stripe customer (``PaymentRecords``)."""

    def __init__(
        self,
        *,
        api_key: str,
        public_url: str,
        api_url: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
    ) -> None:
        self._http = stripe.AIOHTTPClient(timeout=timeout)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_url.rstrip("/")} if api_url else None,
            http_client=self._http,
            max_network_retries=max_network_retries,
        )
        self._public_url = public_url.rstrip("/")

    async def close(self) -> None:
        await self._http.close_async()

    async def checkout(
        self, *, account_id: str, wallet_id: str, item: Pack | Plan, customer_id: str | None
    ) -> str:
        """A Checkout Session's URL: a pack is paid once (with an invoice), a plan
        subscribed to; both carry the account, wallet and item, which the webhook reads."""
        metadata = {"account_id": account_id, "wallet_id": wallet_id, "item": item.name}
        params: dict[str, Any] = {
            "line_items": [{"price": item.price_id, "quantity": 1}],
            "client_reference_id": account_id,
            "metadata": metadata,
            "success_url": f"{self._public_url}/checkout/done?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{self._public_url}/checkout/cancelled",
        }
        if customer_id:
            params["customer"] = customer_id
        if isinstance(item, Pack):
            params["mode"] = "payment"
            params["invoice_creation"] = {"enabled": True}
            params["payment_intent_data"] = {"metadata": metadata}
            if not customer_id:
                params["customer_creation"] = "always"
        else:
            params["mode"] = "subscription"
            params["subscription_data"] = {"metadata": metadata}
        session = await _call(
            "open a checkout page", lambda: self._client.v1.checkout.sessions.create_async(params)
        )
        if not session.url:
            raise ProviderFailed(STRIPE_UNAVAILABLE)
        return str(session.url)

    async def portal(self, customer_id: str) -> str:
        """A billing portal session's URL, returning to the "done" page."""
        params = {"customer": customer_id, "return_url": f"{self._public_url}/checkout/done"}
        session = await _call(
            "open the billing portal",
            lambda: self._client.v1.billing_portal.sessions.create_async(params),
        )
        return str(session.url)

    async def erase_customer(self, customer_id: str) -> None:
        """Delete the customer at Stripe (cards, addresses, e-mail); one that is gone
        already is fine."""
        try:
            await self._client.v1.customers.delete_async(customer_id)
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":
                raise _failed(error, "delete a customer") from None
            log.info("the Stripe customer to erase was gone already")
        except stripe.StripeError as error:
            raise _failed(error, "delete a customer") from None

    async def complete(self, event: PaymentEvent) -> PaymentEvent:
        """The event with what its delivery leaves out: the payment intent of a plan's
        invoice, which API versions since 2025-03-31 no longer put on invoices (refunds and
        disputes name it)."""
        if event.kind is not PaymentKind.PERIOD_PAID or event.charge or not event.purchase:
            return event
        payments = await _call(
            "list an invoice's payments",
            lambda: self._client.v1.invoice_payments.list_async(
                {"invoice": event.purchase, "status": "paid", "limit": 1}
            ),
        )
        for payment in payments.to_dict().get("data") or ():
            intent = _id(_map(payment.get("payment")).get("payment_intent"))
            if intent:
                return replace(event, charge=intent)
        return event


async def _call(doing: str, request: Callable[[], Awaitable[T]]) -> T:
    try:
        return await request()
    except stripe.StripeError as error:
        raise _failed(error, doing) from None


def _failed(error: stripe.StripeError, doing: str) -> ProviderFailed:
    """One sentence for people; the log names the error, never its message (which may
    quote a customer)."""
    transient = isinstance(
        error, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError
    )
    log.warning(
        "Stripe failed to %s: %s (HTTP %s, code %s, request %s)",
        doing,
        type(error).__name__,
        error.http_status,
        error.code or "-",
        error.request_id or "-",
    )
    return ProviderFailed(STRIPE_UNAVAILABLE if transient else STRIPE_REFUSED, transient=transient)


# --- webhook deliveries -------------------------------------------------------------------
def read_event(
    payload: bytes, signature_header: str | None, secret: str, catalogue: Catalogue
) -> PaymentEvent:
    """The payment event a delivery reports, once its ``Stripe-Signature`` proves it is
    Stripe's and at most five minutes old; raises ``InvalidWebhook`` otherwise. Event
    types that change nothing are read as ``IGNORED``."""
    try:
        verified = stripe.Webhook.construct_event(
            payload, signature_header, secret, tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError:
        raise InvalidWebhook("no valid Stripe signature from the last five minutes") from None
    except (ValueError, TypeError, AttributeError, KeyError):  # not JSON, not an event
        raise InvalidWebhook("not a Stripe event") from None
    data = verified.to_dict()
    event_id, thing = data.get("id"), _map(data.get("data")).get("object")
    if not isinstance(event_id, str) or not event_id or not isinstance(thing, Mapping):
        raise InvalidWebhook("not a Stripe event")
    created = data.get("created")
    base = PaymentEvent(
        id=event_id,
        kind=PaymentKind.IGNORED,
        provider=PROVIDER,
        created=datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None,
    )
    reader = READERS.get(str(data.get("type", "")))
    return base if reader is None else reader(base, thing, catalogue)


Reader = Callable[[PaymentEvent, JSON, Catalogue], PaymentEvent]


def _session(base: PaymentEvent, session: JSON) -> PaymentEvent:
    metadata = _map(session.get("metadata"))
    return replace(
        base,
        account_id=_text(session.get("client_reference_id")) or _text(metadata.get("account_id")),
        wallet_id=_text(metadata.get("wallet_id")),
        item=_text(metadata.get("item")),
        purchase=_id(session),
        charge=_id(session.get("payment_intent")),
        amount=_int(session.get("amount_total")),
        customer=_id(session.get("customer")),
    )


def _is_paid_purchase(session: JSON) -> bool:
    return session.get("mode") == "payment" and session.get("payment_status") == "paid"


def _session_completed(base: PaymentEvent, session: JSON, catalogue: Catalogue) -> PaymentEvent:
    """A pack paid now; a plan subscribed to (its invoice brings the credits); or a
    payment still on its way (async methods): then only the customer is recorded."""
    event = _session(base, session)
    if session.get("mode") == "subscription":
        return replace(
            event,
            kind=PaymentKind.SUBSCRIPTION,
            subscription=_id(session.get("subscription")),
            status="active",
            purchase="",
            charge="",
            amount=0,
        )
    return replace(event, kind=PaymentKind.PAID) if _is_paid_purchase(session) else event


def _async_paid(base: PaymentEvent, session: JSON, catalogue: Catalogue) -> PaymentEvent:
    event = _session(base, session)
    return replace(event, kind=PaymentKind.PAID) if _is_paid_purchase(session) else event


def _async_failed(base: PaymentEvent, session: JSON, catalogue: Catalogue) -> PaymentEvent:
    return replace(_session(base, session), kind=PaymentKind.PAYMENT_FAILED)


def _invoice(base: PaymentEvent, invoice: JSON, catalogue: Catalogue) -> PaymentEvent | None:
    """A subscription's invoice, or ``None`` for any other (a one-time purchase's).

    The subscription's metadata is on ``parent.subscription_details`` (API versions since
    2025-03-31), ``subscription_details`` before, and on its subscription lines."""
    details = _map(_map(invoice.get("parent")).get("subscription_details")) or _map(
        invoice.get("subscription_details")
    )
    subscription = _id(details.get("subscription")) or _id(invoice.get("subscription"))
    if not subscription or invoice.get("billing_reason") == "manual":
        return None
    lines = [_map(line) for line in _map(invoice.get("lines")).get("data") or ()]
    metadata = _map(details.get("metadata")) or next(
        (_map(line.get("metadata")) for line in lines if _map(line.get("metadata"))), {}
    )
    return replace(
        base,
        account_id=_text(metadata.get("account_id")),
        wallet_id=_text(metadata.get("wallet_id")),
        item=_plan_of([_line_price(line) for line in lines], catalogue)
        or _text(metadata.get("item")),
        purchase=_id(invoice),
        charge=_id(invoice.get("payment_intent")) or _paid_intent(invoice),
        amount=_int(invoice.get("amount_paid")),
        customer=_id(invoice.get("customer")),
        subscription=subscription,
    )


def _invoice_paid(base: PaymentEvent, invoice: JSON, catalogue: Catalogue) -> PaymentEvent:
    event = _invoice(base, invoice, catalogue)
    return base if event is None else replace(event, kind=PaymentKind.PERIOD_PAID)


def _invoice_failed(base: PaymentEvent, invoice: JSON, catalogue: Catalogue) -> PaymentEvent:
    event = _invoice(base, invoice, catalogue)
    return base if event is None else replace(event, kind=PaymentKind.PAYMENT_FAILED)


def _subscription(base: PaymentEvent, subscription: JSON, catalogue: Catalogue) -> PaymentEvent:
    metadata = _map(subscription.get("metadata"))
    items = [_map(item) for item in _map(subscription.get("items")).get("data") or ()]
    return replace(
        base,
        kind=PaymentKind.SUBSCRIPTION,
        account_id=_text(metadata.get("account_id")),
        item=_plan_of([_id(item.get("price")) for item in items], catalogue)
        or _text(metadata.get("item")),
        customer=_id(subscription.get("customer")),
        subscription=_id(subscription),
        status=_text(subscription.get("status")),
    )


def _refunded(base: PaymentEvent, charge: JSON, catalogue: Catalogue) -> PaymentEvent:
    """A refund, as the charge's cumulative ``amount_refunded``. A pack's charge carries
    the account (Stripe copies the payment intent's metadata onto its charge)."""
    return replace(
        base,
        kind=PaymentKind.REFUNDED,
        account_id=_text(_map(charge.get("metadata")).get("account_id")),
        charge=_id(charge.get("payment_intent")) or _id(charge),
        amount=_int(charge.get("amount")),
        amount_refunded=_int(charge.get("amount_refunded")),
    )


def _dispute(kind: PaymentKind) -> Reader:
    def read(base: PaymentEvent, dispute: JSON, catalogue: Catalogue) -> PaymentEvent:
        return replace(
            base,
            kind=kind,
            charge=_id(dispute.get("payment_intent")) or _id(dispute.get("charge")),
            amount=_int(dispute.get("amount")),
            status=_text(dispute.get("status")),
        )

    return read


#: The Stripe event types that mean something to the ledger; all others are ignored.
READERS: Mapping[str, Reader] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _async_paid,
    "checkout.session.async_payment_failed": _async_failed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
    "charge.refunded": _refunded,
    "charge.dispute.created": _dispute(PaymentKind.DISPUTED),
    "charge.dispute.closed": _dispute(PaymentKind.DISPUTE_CLOSED),
}


def _plan_of(price_ids: list[str], catalogue: Catalogue) -> str:
    """The catalogue's plan for the first price that is one (a plan changed in the portal
    is named by its price, while the subscription's metadata keeps the first plan)."""
    plans = {plan.price_id: plan.name for plan in catalogue.plans.values()}
    return next((plans[price] for price in price_ids if price in plans), "")


def _line_price(line: JSON) -> str:
    """An invoice line's price: ``pricing.price_details.price`` since 2025-03-31,
    ``price`` (an object) before."""
    details = _map(_map(line.get("pricing")).get("price_details"))
    return _id(details.get("price")) or _id(line.get("price")) or _id(line.get("plan"))


def _paid_intent(invoice: JSON) -> str:
    """The payment intent among an invoice's payments, when they are included."""
    for payment in _map(invoice.get("payments")).get("data") or ():
        if _map(payment).get("status") == "paid":
            return _id(_map(_map(payment).get("payment")).get("payment_intent"))
    return ""


def _map(value: Any) -> JSON:
    return value if isinstance(value, Mapping) else {}


def _id(value: Any) -> str:
    """An object's id, whether Stripe sent the id or (expanded) the object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
