"""A local Stripe API for the endpoints AIOE calls, checking what Stripe checks: the secret
key, the form encoding (``a[b][0][c]=``), required and mode-specific parameters, prices
and customers that exist, and idempotency keys."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.stripe_server.objects import (
    JSON,
    PRICES,
    Price,
    checkout_session,
    new_id,
    now,
)

FORM = "application/x-www-form-urlencoded"
_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 40, 500
#: What Stripe itself does not require but every checkout of this integration must send.
INTEGRATION_REQUIRED = ("cancel_url", "client_reference_id")


class StripeError(Exception):
    """An API error, answered as Stripe does: ``{"error": {...}}`` with its status."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.body = (
            status,
            {
                "error": {
                    "code": code,
                    "doc_url": f"https://stripe.com/docs/error-codes/{code}" if code else None,
                    "message": message,
                    "param": param,
                    "request_log_url": "https://dashboard.stripe.com/test/logs/req_fake",
                    "type": kind,
                }
            },
        )


def missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def parse_form(body: str) -> JSON:
    """Stripe's form encoding back into objects: ``line_items[0][price]=p`` is
    ``{"line_items": [{"price": "p"}]}``; ``expand[]=a`` appends."""
    root: JSON = {}
    try:
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:
        raise StripeError("Invalid request body: not form-encoded.") from None
    for key, value in pairs:
        match = _KEY.fullmatch(key)
        if match is None:
            raise StripeError(f"Invalid param name: {key}.", param=key)
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: Any = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":
                node.setdefault("", []).append(value if last else {})
                node = node[""][-1]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "" in value and len(value) == 1:
        return [_listify(v) for v in value[""]]
    if value and all(k.isdigit() for k in value):
        return [_listify(value[k]) for k in sorted(value, key=int)]
    return {k: _listify(v) for k, v in value.items()}


@dataclass(frozen=True)
class Call:
    """One API request as the fake received it."""

    method: str
    path: str
    params: JSON
    headers: dict[str, str]


@dataclass
class FakeStripe:
    """The state of the fake Stripe account, and what it was asked."""

    api_key: str = "sk_test_51FakeAIOEkey"
    prices: dict[str, Price] = field(default_factory=lambda: {p.id: p for p in PRICES})
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    sessions: dict[str, JSON] = field(default_factory=dict)
    customers: dict[str, JSON] = field(default_factory=dict)
    invoice_payments: dict[str, JSON] = field(default_factory=dict)  # by invoice id
    _replies: dict[str, tuple[JSON, int, JSON]] = field(default_factory=dict)

    def called(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    def add_customer(self, customer_id: str | None = None) -> str:
        customer_id = customer_id or new_id("cus", 14)
        self.customers[customer_id] = {"id": customer_id, "object": "customer", "created": now()}
        return customer_id

    def paid_invoice(self, invoice_id: str, payment_intent: str, amount: int) -> None:
        """Record that ``payment_intent`` paid ``invoice_id`` (what /v1/invoice_payments lists)."""
        self.invoice_payments[invoice_id] = {
            "id": new_id("inpay_1Q"),
            "object": "invoice_payment",
            "amount_paid": amount,
            "amount_requested": amount,
            "created": now(),
            "currency": "eur",
            "invoice": invoice_id,
            "is_default": True,
            "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": payment_intent},
            "status": "paid",
            "status_transitions": {"canceled_at": None, "paid_at": now()},
        }

    # --- HTTP ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        try:
            self._authenticate(request)
            params = await self._params(request)
            self.calls.append(Call(request.method, request.path, params, dict(request.headers)))
            key = request.headers.get("Idempotency-Key")
            if key and key in self._replies:  # a retry: the first answer again
                first_params, status, body = self._replies[key]
                if first_params != params:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        kind="idempotency_error",
                    )
                return _answer(body, status)
            body = self._route(request, params)
            if key:
                self._replies[key] = (params, 200, body)
            return _answer(body)
        except StripeError as error:
            return _answer(error.body, error.status)

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            raise StripeError(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth.",
                status=401,
            )
        if header != f"Bearer {self.api_key}":
            shown = header.removeprefix("Bearer ")[-4:]
            raise StripeError(f"Invalid API Key provided: sk_test_****{shown}", status=401)

    async def _params(self, request: web.Request) -> JSON:
        if request.method in ("GET", "DELETE"):
            return parse_form(request.rel_url.raw_query_string)
        if request.content_type != FORM:
            raise StripeError(
                f"Invalid request: unsupported Content-Type {request.content_type}. If error "
                f"persists and you need assistance, please contact support@stripe.com."
            )
        return parse_form((await request.read()).decode())

    def _route(self, request: web.Request, params: JSON) -> JSON:
        method, path = request.method, request.path
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self._create_session(params)
        if (method, path) == ("POST", "/v1/billing_portal/sessions"):
            return self._portal(params)
        if (method, path) == ("GET", "/v1/invoice_payments"):
            return self._list_invoice_payments(params)
        if method == "DELETE" and path.startswith("/v1/customers/"):
            return self._delete_customer(path.removeprefix("/v1/customers/"))
        raise StripeError(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            status=404,
        )

    # --- endpoints ----------------------------------------------------------------------
    def _create_session(self, params: JSON) -> JSON:
        mode = params.get("mode")
        if mode is None:
            raise missing("mode")
        if mode not in ("payment", "subscription", "setup"):
            raise StripeError("Invalid mode: must be one of payment, setup, or subscription.")
        for name in ("success_url", *INTEGRATION_REQUIRED):
            if not params.get(name):
                raise missing(name)
        for name in ("success_url", "cancel_url"):
            if not re.match(r"https?://[^/\s]+", params[name]):
                raise StripeError("Not a valid URL", code="url_invalid", param=name)
        if len(params["client_reference_id"]) > 200:
            raise StripeError("client_reference_id is too long.", param="client_reference_id")
        _check_metadata(params.get("metadata"), "metadata")
        prices = self._line_prices(params.get("line_items"))
        self._check_mode(mode, params, prices)
        customer = params.get("customer")
        if customer is not None:
            if "customer_creation" in params:
                raise StripeError(
                    "You may only specify one of these parameters: customer, customer_creation."
                )
            self._customer(customer, "customer")
        amount = sum(p.unit_amount for p in prices)
        session = checkout_session(params, amount)
        self.sessions[session["id"]] = session
        return session

    def _line_prices(self, line_items: Any) -> list[Price]:
        if not line_items:
            raise missing("line_items")
        if not isinstance(line_items, list):
            raise StripeError("Invalid array", param="line_items")
        prices = []
        for i, line in enumerate(line_items):
            price_id = line.get("price") if isinstance(line, dict) else None
            if not price_id:
                raise missing(f"line_items[{i}][price]")
            if price_id not in self.prices:
                raise StripeError(
                    f"No such price: '{price_id}'",
                    code="resource_missing",
                    param=f"line_items[{i}][price]",
                )
            if line.get("quantity") != "1":  # this integration always buys one
                raise StripeError("Invalid quantity", param=f"line_items[{i}][quantity]")
            prices.append(self.prices[price_id])
        return prices

    def _check_mode(self, mode: str, params: JSON, prices: list[Price]) -> None:
        recurring = [p for p in prices if p.recurring]
        if mode == "payment":
            if recurring:
                raise StripeError(
                    "You specified `payment` mode but passed a recurring price. Either switch "
                    "to `subscription` mode or use only one-time prices.",
                    param="line_items",
                )
            for name in ("subscription_data",):
                if name in params:
                    raise StripeError(f"You can not pass `{name}` in `payment` mode.", param=name)
            creation = params.get("invoice_creation")
            if creation is not None and creation.get("enabled") not in ("true", "false"):
                raise StripeError("Invalid boolean", param="invoice_creation[enabled]")
            if params.get("customer_creation", "always") not in ("always", "if_required"):
                raise StripeError("Invalid customer_creation", param="customer_creation")
            _check_metadata(
                (params.get("payment_intent_data") or {}).get("metadata"),
                "payment_intent_data[metadata]",
            )
        elif mode == "subscription":
            if not recurring:
                raise StripeError(
                    "You must provide at least one recurring price in `subscription` mode "
                    "when using prices.",
                    param="line_items",
                )
            for name in ("payment_intent_data", "invoice_creation", "customer_creation"):
                if name in params:
                    raise StripeError(f"`{name}` can only be used in `payment` mode.", param=name)
            _check_metadata(
                (params.get("subscription_data") or {}).get("metadata"),
                "subscription_data[metadata]",
            )

    def _portal(self, params: JSON) -> JSON:
        customer = params.get("customer")
        if not customer:
            raise missing("customer")
        self._customer(customer, "customer")
        return_url = params.get("return_url")
        if return_url is not None and not re.match(r"https?://[^/\s]+", return_url):
            raise StripeError("Not a valid URL", code="url_invalid", param="return_url")
        session_id = new_id("bps_1Q")
        return {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": "bpc_1QfakeConfiguration",
            "created": now(),
            "customer": customer,
            "flow": None,
            "livemode": False,
            "locale": None,
            "on_behalf_of": None,
            "return_url": return_url,
            "url": f"https://billing.stripe.com/p/session/test_{session_id[4:]}",
        }

    def _list_invoice_payments(self, params: JSON) -> JSON:
        invoice = params.get("invoice")
        found = [p for p in self.invoice_payments.values() if p["invoice"] == invoice]
        if "status" in params:
            found = [p for p in found if p["status"] == params["status"]]
        return {
            "object": "list",
            "data": found[: int(params.get("limit", 10))],
            "has_more": False,
            "url": "/v1/invoice_payments",
        }

    def _delete_customer(self, customer_id: str) -> JSON:
        self._customer(customer_id, "id")
        del self.customers[customer_id]
        return {"id": customer_id, "object": "customer", "deleted": True}

    def _customer(self, customer_id: str, param: str) -> JSON:
        if customer_id not in self.customers:
            raise StripeError(
                f"No such customer: '{customer_id}'",
                status=404 if param == "id" else 400,
                code="resource_missing",
                param=param,
            )
        return self.customers[customer_id]


def _check_metadata(metadata: Any, param: str) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict) or len(metadata) > METADATA_KEYS:
        raise StripeError("Invalid metadata.", param=param)
    for key, value in metadata.items():
        if len(key) > METADATA_KEY_LENGTH or not isinstance(value, str):
            raise StripeError(f"Invalid metadata key: {key}.", param=f"{param}[{key}]")
        if len(value) > METADATA_VALUE_LENGTH:
            raise StripeError(
                "Metadata values can have up to 500 characters.", param=f"{param}[{key}]"
            )


def _answer(body: JSON, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/json",
        headers={"Request-Id": new_id("req", 14), "Stripe-Version": "fake"},
    )


@asynccontextmanager
async def serve_stripe(
    *, api_key: str = "sk_test_51FakeAIOEkey", prices: Iterable[Price] = PRICES
) -> AsyncIterator[FakeStripe]:
    """Run the fake on 127.0.0.1 for the duration of the block (``.base_url`` has no
    ``/v1``: the SDK adds it, as to ``https://api.stripe.com``)."""
    fake = FakeStripe(api_key=api_key, prices={p.id: p for p in prices})
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.base_url = f"http://{host}:{port}"
        yield fake
    finally:
        await runner.cleanup()
