"""Buying credits through Stripe, end to end: /buy opens a Checkout Session on a local
Stripe, and signed webhook deliveries to ``POST /stripe/webhook`` move the ledger exactly
once, whatever their number, order and concurrency; forged ones change nothing."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from adapters.payments.stripe import STRIPE_REFUSED
from bot.bootstrap import App
from bot.web import create_web_app
from core import messages
from core.identity import Requester
from core.model import Account
from core.replies import Error, Private, Progress
from tests.fakes.stripe_server import FakeStripe, serve_stripe
from tests.fakes.stripe_server import objects as o
from tests.harness import Chat, count_rows, running_app

SECRET = "whsec_test_aioe_integration"
PUBLIC = "https://aioe.example"
PRICES = {"starter": o.PRICES[0], "studio": o.PRICES[1], "pro": o.PRICES[2]}
CREDITS = {"starter": 50, "studio": 250, "pro": 500}
JSON = dict[str, Any]


@pytest.fixture
async def stripe_fake() -> AsyncIterator[FakeStripe]:
    async with serve_stripe() as fake:
        yield fake


@pytest.fixture
async def app(tmp_path: Path, database_url: str, stripe_fake: FakeStripe) -> AsyncIterator[App]:
    """The bot with Stripe configured against the local one (``chat`` drives it)."""
    async with running_app(
        tmp_path / "var",
        database_url,
        public_url=PUBLIC,
        stripe_api_key=stripe_fake.api_key,
        stripe_api_url=stripe_fake.base_url,
        stripe_webhook_secret=SECRET,
    ) as built:
        yield built


@pytest.fixture
async def web(app: App) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(app))) as client:
        yield client


async def deliver(
    web: TestClient, evt: JSON, *, secret: str = SECRET, timestamp: int | None = None
) -> ClientResponse:
    """One delivery as Stripe makes it: signed anew, at the time of sending."""
    body, headers = o.delivery(evt, secret, timestamp=timestamp)
    return await web.post("/stripe/webhook", data=body, headers=headers)


async def delivered(web: TestClient, *events: JSON) -> None:
    for evt in events:
        response = await deliver(web, evt)
        assert response.status == 200, await response.text()
        assert await response.json() == {"received": True}


async def open_account(app: App, user: str = "alice") -> Account:
    return await app.bot.open_account(Requester("console", "local", user, user))


def paid_pack(account: Account, pack: str = "starter", *, paid: bool = True) -> JSON:
    """A completed Checkout Session for ``pack``, as if /buy had opened it."""
    metadata = {"account_id": account.id, "wallet_id": account.wallet_id, "item": pack}
    params = {
        "mode": "payment",
        "client_reference_id": account.id,
        "metadata": metadata,
        "invoice_creation": {"enabled": "true"},
        "customer_creation": "always",
    }
    return o.completed(o.checkout_session(params, PRICES[pack].unit_amount), paid=paid)


def refund(session: JSON, cumulative: int, before: int = 0) -> JSON:
    charge = o.charge(
        session["payment_intent"], session["amount_total"], cumulative, session["metadata"]
    )
    return o.event("charge.refunded", charge, previous={"amount_refunded": before})


TABLES = ("payment_events", "payment_customers", "purchases", "ledger", "wallets")


async def snapshot(app: App) -> dict[str, list[str]]:
    """Every row of the tables payments touch."""
    async with app.engine.connect() as connection:
        return {
            table: sorted(
                repr(tuple(row)) for row in await connection.execute(text(f"SELECT * FROM {table}"))
            )
            for table in TABLES
        }


async def ledger(app: App, kind: str) -> list[int]:
    async with app.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT amount FROM ledger WHERE kind = :kind ORDER BY id"), {"kind": kind}
        )
        return [row[0] for row in result]


async def balances_match_ledgers(app: App) -> dict[str, int]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT w.id, w.balance, COALESCE(SUM(l.amount), 0) FROM wallets w"
                " LEFT JOIN ledger l ON l.wallet_id = w.id GROUP BY w.id, w.balance"
            )
        )
        found = {wallet: (cached, summed) for wallet, cached, summed in rows}
    assert all(cached == summed for cached, summed in found.values()), found
    return {wallet: cached for wallet, (cached, _) in found.items()}


# --- must-show 1 -------------------------------------------------------------------------
async def test_buy_opens_stripe_checkout_and_the_paid_webhook_grants_the_pack_once(
    chat: Chat, app: App, stripe_fake: FakeStripe, web: TestClient
) -> None:
    reply = await chat.say("/buy starter")
    assert isinstance(reply, Private), reply
    (session,) = stripe_fake.sessions.values()
    assert reply.link == session["url"]
    assert reply.link.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    account = await open_account(app)
    (call,) = stripe_fake.called("POST", "/v1/checkout/sessions")
    metadata = {"account_id": account.id, "wallet_id": account.wallet_id, "item": "starter"}
    assert call.params == {
        "mode": "payment",
        "line_items": [{"price": "price_starter_50", "quantity": "1"}],
        "client_reference_id": account.id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "invoice_creation": {"enabled": "true"},
        "customer_creation": "always",
        "success_url": f"{PUBLIC}/checkout/done?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{PUBLIC}/checkout/cancelled",
    }
    assert await chat.balance() == 10  # nothing before Stripe says it is paid

    completed = o.event("checkout.session.completed", o.completed(session))
    await delivered(web, completed, completed)
    assert await chat.balance() == 10 + 50
    assert await ledger(app, "purchase") == [50]
    assert await count_rows(app, "purchases") == 1
    assert await count_rows(app, "payment_events") == 1
    # What Stripe knows of the person stays at Stripe: only the customer id is kept.
    stored = repr(await snapshot(app))
    assert completed["data"]["object"]["customer"] in stored
    for detail in ("ada@example.com", "Ada Lovelace", "Analytical Row"):
        assert detail not in stored


# --- must-show 2 -------------------------------------------------------------------------
class Shop:
    """Two hundred events of several people's purchases, and what they must add up to,
    computed from the purchases themselves, not from the bot."""

    def __init__(self, rng: random.Random, fake: FakeStripe, accounts: list[Account]) -> None:
        self.rng, self.fake, self.accounts = rng, fake, accounts
        self.events: list[JSON] = []
        self.expected = {a.wallet_id: a.balance for a in accounts}
        self.grants = 0

    def pack(self, account: Account) -> None:
        name = self.rng.choice(["starter", "studio"])
        delayed = self.rng.random() < 0.25  # a bank debit: paid after the checkout
        session = paid_pack(account, name, paid=not delayed)
        self.events.append(o.event("checkout.session.completed", session))
        if delayed:
            paid = o.async_paid(session)
            self.events.append(o.event("checkout.session.async_payment_succeeded", paid))
        self.events.append(o.event("invoice.paid", o.one_time_invoice(session)))
        self.expected[account.wallet_id] += CREDITS[name]
        self.grants += 1
        if self.rng.random() < 0.5:  # one or two partial refunds, cumulative
            amount = session["amount_total"]
            cuts = sorted(self.rng.sample(range(1, amount), self.rng.randint(1, 2)))
            for before, cut in zip([0, *cuts], cuts, strict=False):
                self.events.append(refund(session, cut, before))
            self.expected[account.wallet_id] -= CREDITS[name] * cuts[-1] // amount

    def plan(self, account: Account) -> None:
        metadata = {"account_id": account.id, "wallet_id": account.wallet_id, "item": "pro"}
        params = {"mode": "subscription", "client_reference_id": account.id, "metadata": metadata}
        session = o.completed(o.checkout_session(params, PRICES["pro"].unit_amount))
        sub = o.subscription(session, PRICES["pro"])
        self.events.append(o.event("checkout.session.completed", session))
        for month in range(self.rng.randint(1, 3)):
            shape = self.rng.choice(["current", "2024"])
            reason = "subscription_create" if month == 0 else "subscription_cycle"
            invoice = o.subscription_invoice(sub, billing_reason=reason, shape=shape)
            if shape == "current":
                self.fake.paid_invoice(invoice["id"], o.new_id("pi_3Q"), invoice["amount_paid"])
            self.events.append(o.event("invoice.paid", invoice))
            self.expected[account.wallet_id] += CREDITS["pro"]
            self.grants += 1

    def fill(self, total: int) -> None:
        while len(self.events) < total - 5:
            account = self.rng.choice(self.accounts)
            (self.pack if self.rng.random() < 0.7 else self.plan)(account)
        while len(self.events) < total:  # the rest: events that change nothing
            self.events.append(o.event("payment_intent.created", {"id": o.new_id("pi_3Q")}))


async def test_two_hundred_events_redelivered_shuffled_and_concurrent_grant_everything_once(
    app: App, stripe_fake: FakeStripe, web: TestClient
) -> None:
    rng = random.Random(20261201)
    accounts = [await open_account(app, f"buyer{i}") for i in range(6)]
    shop = Shop(rng, stripe_fake, accounts)
    shop.fill(200)
    # Each event delivered one to ten times; each delivery is retried until answered 200.
    queue = deque((copy, evt) for evt in shop.events for copy in range(rng.randint(1, 10)))
    rng.shuffle(queue)
    statuses: Counter[int] = Counter()
    attempts: Counter[tuple[str, int]] = Counter()

    async def stripe_sender() -> None:
        while queue:
            copy, evt = queue.popleft()
            attempts[evt["id"], copy] += 1
            assert attempts[evt["id"], copy] < 60, evt["type"]  # no delivery retried forever
            response = await deliver(web, evt)
            statuses[response.status] += 1
            if response.status != 200:  # Stripe sends it again later
                queue.append((copy, evt))

    await asyncio.gather(*(stripe_sender() for _ in range(20)))
    assert set(statuses) <= {200, 409}, statuses
    assert await count_rows(app, "payment_events") == 200
    assert await count_rows(app, "purchases") == shop.grants
    assert len(await ledger(app, "purchase")) == shop.grants
    balances = await balances_match_ledgers(app)
    assert {wallet: balances[wallet] for wallet in shop.expected} == shop.expected


# --- must-show 3 -------------------------------------------------------------------------
async def test_a_plan_invoice_before_its_checkout_grants_the_plan_once(
    chat: Chat, app: App, stripe_fake: FakeStripe, web: TestClient
) -> None:
    assert isinstance(await chat.say("/buy pro"), Private)
    (session,) = stripe_fake.sessions.values()
    done = o.completed(session)
    stripe_fake.add_customer(done["customer"])
    sub = o.subscription(done, PRICES["pro"])
    invoice = o.subscription_invoice(sub, billing_reason="subscription_create")
    stripe_fake.paid_invoice(invoice["id"], "pi_3Qplan", invoice["amount_paid"])
    first_invoice = o.event("invoice.paid", invoice)
    await delivered(
        web,
        first_invoice,
        o.event("customer.subscription.created", sub),
        o.event("checkout.session.completed", done),
        first_invoice,
    )
    assert await chat.balance() == 10 + 500
    assert await ledger(app, "purchase") == [500]

    portal = await chat.say("/buy portal")
    assert isinstance(portal, Private) and portal.text == messages.BUY_PORTAL
    assert portal.link and portal.link.startswith("https://billing.stripe.com/p/session/")
    (call,) = stripe_fake.called("POST", "/v1/billing_portal/sessions")
    assert call.params["customer"] == done["customer"]

    # The invoice's payment intent came from Stripe, so refunding it takes the plan back.
    await delivered(web, o.event("charge.refunded", o.charge("pi_3Qplan", 3000, 3000)))
    assert await chat.balance() == 10


async def test_our_own_failure_answers_500_so_stripe_sends_the_event_again(
    app: App, web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    evt = o.event("checkout.session.completed", paid_pack(await open_account(app)))
    before = await snapshot(app)

    async def database_down(event: Any) -> Any:
        raise ConnectionError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(app.bot.billing, "apply", database_down)
        assert (await deliver(web, evt)).status == 500
    assert await snapshot(app) == before
    await delivered(web, evt)  # the retry
    assert await ledger(app, "purchase") == [50]


# --- must-show 4 -------------------------------------------------------------------------
def _resign(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    v1 = headers["Stripe-Signature"].split("v1=")[1].split(",")[0]
    forged = v1[:-1] + ("0" if v1[-1] != "0" else "1")
    return body, {**headers, "Stripe-Signature": headers["Stripe-Signature"].replace(v1, forged)}


SPOILS: dict[str, Callable[[JSON], tuple[bytes, dict[str, str]]]] = {
    "bad signature": lambda evt: _resign(*o.delivery(evt, SECRET)),
    "stale timestamp": lambda evt: o.delivery(evt, SECRET, timestamp=int(time.time()) - 301),
    "wrong secret": lambda evt: o.delivery(evt, "whsec_someone_else"),
    "missing header": lambda evt: (
        o.delivery(evt, SECRET)[0],
        {"Content-Type": "application/json"},
    ),
    "altered body": lambda evt: (
        o.delivery(evt, SECRET)[0].replace(b'"amount_total": 500', b'"amount_total": 5'),
        o.delivery(evt, SECRET)[1],
    ),
    "unparsable": lambda evt: (
        b"{not json",
        {"Stripe-Signature": o.signature_header("{not json", SECRET)},
    ),
}


@pytest.mark.parametrize("spoil", SPOILS)
async def test_a_delivery_that_is_not_stripes_is_refused_and_changes_nothing(
    app: App, web: TestClient, spoil: str
) -> None:
    evt = o.event("checkout.session.completed", paid_pack(await open_account(app)))
    before = await snapshot(app)
    body, headers = SPOILS[spoil](evt)
    response = await web.post("/stripe/webhook", data=body, headers=headers)
    assert response.status == 400
    assert await snapshot(app) == before
    # The same event, genuinely signed, is applied: the refusal was the signature's doing.
    await delivered(web, evt)
    assert await snapshot(app) != before


# --- must-show 5 -------------------------------------------------------------------------
async def test_partial_refunds_take_back_their_share_and_a_debt_stops_spending(
    chat: Chat, app: App, web: TestClient, photo: Path
) -> None:
    account = await open_account(app)
    session = paid_pack(account)
    await delivered(web, o.event("checkout.session.completed", session))
    async with app.uow_factory() as uow:  # 45 of the 60 credits spent meanwhile
        await app.credits.adjust(uow, account.wallet_id, -45, "test:spent", "spent")
        await uow.commit()
    first, second = refund(session, 200), refund(session, 350, before=200)

    await delivered(web, first)
    assert await chat.balance() == 15 - 20
    refused = await chat.say(f"/imagine --image {photo}")
    assert isinstance(refused, Error)
    assert refused.text == messages.IN_DEBT.format(balance=-5)

    await delivered(web, second, second, refund(session, 350, before=200))
    assert await ledger(app, "refund") == [-20, -15]
    assert await chat.balance() == 15 - 35
    await balances_match_ledgers(app)


async def test_a_refund_before_its_purchase_waits_for_it(
    chat: Chat, app: App, web: TestClient
) -> None:
    session = paid_pack(await open_account(app))
    early = refund(session, 500)
    response = await deliver(web, early)
    assert response.status == 409  # Stripe sends it again later
    assert await count_rows(app, "payment_events") == 0
    await delivered(web, o.event("checkout.session.completed", session), early)
    assert await chat.balance() == 10


# --- disputes ----------------------------------------------------------------------------
async def test_a_dispute_freezes_spending_until_it_is_won(
    chat: Chat, app: App, web: TestClient, photo: Path
) -> None:
    session = paid_pack(await open_account(app))
    intent = session["payment_intent"]
    await delivered(web, o.event("checkout.session.completed", session))
    await delivered(web, o.event("charge.dispute.created", o.dispute(intent, 500)))
    frozen = await chat.say(f"/imagine --image {photo}")
    assert isinstance(frozen, Error) and frozen.text == messages.WALLET_FROZEN

    await delivered(web, o.event("charge.dispute.closed", o.dispute(intent, 500, "won")))
    assert isinstance(await chat.say(f"/imagine --image {photo}"), Progress)
    assert await chat.balance() == 60 - 1


async def test_a_lost_dispute_takes_back_what_refunds_left(
    chat: Chat, app: App, web: TestClient
) -> None:
    session = paid_pack(await open_account(app))
    intent = session["payment_intent"]
    await delivered(
        web,
        o.event("checkout.session.completed", session),
        refund(session, 200),
        o.event("charge.dispute.created", o.dispute(intent, 300)),
        o.event("charge.dispute.closed", o.dispute(intent, 300, "lost")),
    )
    assert await ledger(app, "refund") == [-20, -30]
    assert await chat.balance() == 10


# --- /buy without Stripe, and with a Stripe that refuses ----------------------------------
async def test_without_a_plan_there_is_no_portal(chat: Chat, stripe_fake: FakeStripe) -> None:
    reply = await chat.say("/buy portal")
    assert isinstance(reply, Error) and reply.text == messages.BUY_NO_PLAN
    assert not stripe_fake.calls


async def test_without_stripe_keys_buying_is_not_configured(
    tmp_path: Path, database_url: str
) -> None:
    async with running_app(tmp_path / "plain", database_url) as plain:
        reply = await Chat(plain).say("/buy starter")
        async with TestClient(TestServer(create_web_app(plain))) as client:
            webhook = await client.post("/stripe/webhook", data=b"{}")
    assert isinstance(reply, Error) and reply.text == messages.BILLING_NOT_CONFIGURED
    assert webhook.status in (404, 405)


async def test_a_stripe_that_refuses_the_key_gets_one_sentence(
    tmp_path: Path, database_url: str, stripe_fake: FakeStripe
) -> None:
    async with running_app(
        tmp_path / "wrong",
        database_url,
        stripe_api_key="sk_test_revoked",
        stripe_api_url=stripe_fake.base_url,
    ) as wrong:
        reply = await Chat(wrong).say("/buy starter")
    assert isinstance(reply, Error) and reply.text == STRIPE_REFUSED


# --- the pages Stripe sends people back to -------------------------------------------------
@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/checkout/done?session_id=cs_test_a1Secret", "Thank you"),
        ("/checkout/cancelled", "Nothing was charged"),
    ],
)
async def test_the_checkout_pages_say_what_happened_and_are_not_cached(
    web: TestClient, path: str, says: str
) -> None:
    response = await web.get(path)
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert says in page and "back to the chat" in page
    assert "cs_test_a1Secret" not in page
