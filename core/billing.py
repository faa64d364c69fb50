"""Buying credits: the catalogue, checkout links, and payment events applied to the ledger
exactly once, whatever a payment provider delivers, however often, in whatever order."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from core import messages
from core.commands import Buy
from core.context import Context
from core.errors import BadInput
from core.model import Movement, PostResult, Purchase, WalletKind
from core.ports import Checkout, Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Offer, OfferItem, Private, Reply
from core.teams import Teams

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pack:
    """Credits bought once."""

    name: str
    credits: int
    price: str  # as people read it: "€5"
    price_id: str  # Stripe
    sku_id: str = ""  # Discord's store (a consumable SKU)


@dataclass(frozen=True, slots=True)
class Plan:
    """Credits every month while the subscription lasts."""

    name: str
    credits: int  # per billing period
    price: str  # "€15 a month"
    price_id: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    packs: Mapping[str, Pack]
    plans: Mapping[str, Plan]

    def item(self, name: str) -> Pack | Plan | None:
        return self.packs.get(name) or self.plans.get(name)

    def by_sku(self, sku: str) -> Pack | None:
        """The pack sold as this Discord SKU."""
        return next((p for p in self.packs.values() if sku and p.sku_id == sku), None)


def load_catalogue(path: Path) -> Catalogue:
    """Packs and plans from a TOML file; raises ``ValueError`` naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        packs = {
            str(p["name"]): Pack(
                str(p["name"]),
                int(p["credits"]),
                str(p["price"]),
                str(p["stripe_price"]),
                str(p.get("discord_sku", "")),
            )
            for p in data.get("packs", ())
        }
        plans = {
            str(p["name"]): Plan(
                str(p["name"]), int(p["credits"]), str(p["price"]), str(p["stripe_price"])
            )
            for p in data.get("plans", ())
        }
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: not a valid billing catalogue ({error})") from None
    if set(packs) & set(plans):
        raise ValueError(f"{path}: a pack and a plan share a name")
    return Catalogue(packs, plans)


class PaymentKind(StrEnum):
    """What a verified payment event means for the ledger."""

    PAID = "paid"  # a one-time purchase is paid (checkout completed, or its async payment)
    PAYMENT_FAILED = "payment_failed"  # an async payment or a renewal failed
    PERIOD_PAID = "period_paid"  # a plan's invoice is paid: its credits for the period
    SUBSCRIPTION = "subscription"  # a subscription's status changed (or it started)
    REFUNDED = "refunded"  # a charge was refunded (cumulatively ``amount_refunded``)
    DISPUTED = "disputed"  # a charge is disputed: spending freezes
    DISPUTE_CLOSED = "dispute_closed"  # resolved: won thaws, lost keeps the clawback
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A payment provider's event, verified and read by its adapter.

    ``purchase`` names what was paid once (a checkout session, an invoice, an
    entitlement): the ledger key of its grant, so a grant happens once whatever the
    number of events that report it. ``charge`` links refunds and disputes to it."""

    id: str  # the provider's event id: each is applied once
    kind: PaymentKind
    provider: str  # stripe, discord
    account_id: str = ""
    wallet_id: str = ""  # where the credits go (a team's wallet); the account's own if empty
    item: str = ""  # a pack or plan name
    purchase: str = ""  # checkout session, invoice or entitlement id
    charge: str = ""  # the payment (Stripe: payment intent) that refunds and disputes name
    amount: int = 0  # smallest currency unit, as paid
    amount_refunded: int = 0  # cumulative, as Stripe reports it
    customer: str = ""
    subscription: str = ""
    status: str = ""  # subscription status, or dispute status
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying an event did."""

    duplicate: bool = False
    credits: int = 0  # granted (positive) or clawed back (negative)
    note: str = ""
    # The event names a purchase of ours not applied yet (delivered out of order): it
    # was neither applied nor remembered, so the provider's redelivery applies it.
    later: bool = False


class Billing:
    """Answers /buy and applies payment events to the ledger."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        catalogue: Catalogue,
        checkout: Checkout | None,
        teams: Teams,
        clock: Clock,
    ) -> None:
        self._uow = uow_factory
        self._teams = teams
        self.catalogue = catalogue
        self._checkout = checkout
        self._clock = clock

    # --- /buy --------------------------------------------------------------------------
    async def buy(self, context: Context, command: Buy) -> Reply:
        name = command.item.strip().lower()
        in_store = any(p.sku_id for p in self.catalogue.packs.values())
        if not name and (self._checkout is not None or in_store):
            return self._offer()  # Discord's store buttons work without Stripe
        if self._checkout is None:
            raise BadInput(messages.BILLING_NOT_CONFIGURED)
        account = context.account
        async with self._uow(readonly=True) as uow:
            customer = await uow.payments.customer(account.id)
        if name == "portal":
            if customer is None or not customer.subscription:
                raise BadInput(messages.BUY_NO_PLAN)
            link = await self._checkout.portal(customer.customer_id)
            return Private(messages.BUY_PORTAL, link=link)
        item = self.catalogue.item(name)
        if item is None:
            raise BadInput(messages.BUY_UNKNOWN.format(name=name, known=self._names()))
        wallet_id = account.wallet_id
        if command.team:
            if not isinstance(item, Pack):
                raise BadInput(messages.BUY_TEAM_PACKS_ONLY)
            wallet_id = await self._teams.team_wallet(context)
        link = await self._checkout.checkout(
            account_id=account.id,
            wallet_id=wallet_id,
            item=item,
            customer_id=customer.customer_id if customer else None,
        )
        text = (
            messages.BUY_PACK.format(credits=item.credits, name=item.name, price=item.price)
            if isinstance(item, Pack)
            else messages.BUY_PLAN.format(credits=item.credits, name=item.name, price=item.price)
        )
        return Private(text, link=link)

    def _names(self) -> str:
        return ", ".join([*self.catalogue.packs, *self.catalogue.plans])

    def _offer(self) -> Reply:
        return Offer(
            items=(
                *(
                    OfferItem(p.name, p.credits, p.price, sku=p.sku_id)
                    for p in self.catalogue.packs.values()
                ),
                *(
                    OfferItem(p.name, p.credits, p.price, monthly=True)
                    for p in self.catalogue.plans.values()
                ),
            )
        )

    # --- events ------------------------------------------------------------------------
    async def apply(self, event: PaymentEvent) -> Applied:
        """Apply one verified event, once: a repeat of its id changes nothing, and each
        effect is keyed by what it is about, so repeats under other ids change nothing
        either."""
        now = self._clock()
        async with self._uow() as uow:
            if not await uow.payments.first_sight(event.provider, event.id, event.kind.value, now):
                return Applied(duplicate=True)
            applied = await self._apply(uow, event, now)
            if applied.later:  # rolled back, first sight included
                return applied
            await uow.commit()
        if applied.credits:
            log.info(
                "%s event %s: %+d credits (%s)",
                event.provider,
                event.id,
                applied.credits,
                event.kind,
            )
        return applied

    async def _apply(self, uow: UnitOfWork, event: PaymentEvent, now: datetime) -> Applied:
        known = bool(event.account_id) and await uow.accounts.get(event.account_id) is not None
        if event.customer and known:
            await uow.payments.set_customer(event.account_id, event.provider, event.customer, now)
        if event.kind is PaymentKind.SUBSCRIPTION and known:
            await uow.payments.set_subscription(
                event.account_id, event.subscription, event.status, now, event.created
            )
            return Applied(note=event.status)
        if event.kind in (PaymentKind.PAID, PaymentKind.PERIOD_PAID):
            return await self._grant(uow, event, now)
        if event.kind is PaymentKind.REFUNDED:
            return await self._refunded(uow, event, now)
        if event.kind in (PaymentKind.DISPUTED, PaymentKind.DISPUTE_CLOSED):
            return await self._disputed(uow, event, now)
        return Applied(note=event.kind.value)

    async def _grant(self, uow: UnitOfWork, event: PaymentEvent, now: datetime) -> Applied:
        item = self.catalogue.item(event.item)
        if item is None or not event.account_id or not event.purchase:
            log.warning("%s event %s names no known purchase", event.provider, event.id)
            return Applied(note="unknown purchase")
        account = await uow.accounts.get(event.account_id)
        if account is None:  # erased since: its money is the operator's to refund
            log.warning(
                "%s event %s is for an account that no longer exists", event.provider, event.id
            )
            return Applied(note="no such account")
        wallet = account.wallet_id
        if event.wallet_id and event.wallet_id != wallet:
            team = await uow.wallets.get(event.wallet_id)
            if team is not None and team.kind is WalletKind.TEAM:
                wallet = team.id
        result = await uow.ledger.post(
            wallet,
            Movement.PURCHASE,
            item.credits,
            f"{event.provider}:purchase:{event.purchase}",
            now,
            account_id=account.id,
            reason=messages.LEDGER_BOUGHT.format(credits=item.credits, name=item.name),
        )
        await uow.payments.record_purchase(
            purchase=event.purchase,
            provider=event.provider,
            account_id=account.id,
            wallet_id=wallet,
            charge=event.charge,
            credits=item.credits,
            amount=event.amount,
            now=now,
        )
        if result is PostResult.DUPLICATE:
            return Applied(note="granted before")
        return Applied(credits=item.credits)

    async def _refunded(self, uow: UnitOfWork, event: PaymentEvent, now: datetime) -> Applied:
        purchase = await uow.payments.purchase_by_charge(event.provider, event.charge)
        if purchase is None or purchase.amount <= 0:
            log.warning("%s refund %s matches no purchase", event.provider, event.id)
            # A refund naming one of our accounts is for a purchase still to come.
            later = purchase is None and bool(event.account_id)
            if later and await uow.accounts.get(event.account_id) is None:
                later = False  # erased: its purchase will never be granted
            return Applied(note="unknown charge", later=later)
        return await self._claw_back(uow, event.provider, purchase, event.amount_refunded, now)

    async def _claw_back(
        self, uow: UnitOfWork, provider: str, purchase: Purchase, refunded: int, now: datetime
    ) -> Applied:
        """Take back the credits of the newly refunded part: the cumulative refunded
        amount minus what earlier refund events took back already."""
        refunded = min(refunded, purchase.amount)
        if refunded <= purchase.refunded:
            return Applied(note="refunded before")
        owed = purchase.credits * refunded // purchase.amount
        take = owed - purchase.credits_back
        await uow.payments.set_refunded(purchase.purchase, refunded, owed)
        if take <= 0:
            return Applied()
        await uow.ledger.post(
            purchase.wallet_id,
            Movement.REFUND,
            -take,
            f"{provider}:refund:{purchase.purchase}:{refunded}",
            now,
            account_id=purchase.account_id,
            reason=messages.LEDGER_REFUNDED.format(credits=take),
            allow_debt=True,
        )
        return Applied(credits=-take)

    async def _disputed(self, uow: UnitOfWork, event: PaymentEvent, now: datetime) -> Applied:
        """A dispute freezes spending from the wallet the payment went to; closed, it
        thaws, and a lost one takes back what refunds left (the bank took it all back)."""
        purchase = await uow.payments.purchase_by_charge(event.provider, event.charge)
        if purchase is None:
            return Applied(note="unknown charge")
        frozen = event.kind is PaymentKind.DISPUTED
        await uow.payments.set_frozen(purchase.wallet_id, frozen, now)
        if not frozen and event.status == "lost":
            return await self._claw_back(uow, event.provider, purchase, purchase.amount, now)
        return Applied(note="frozen" if frozen else "thawed")
