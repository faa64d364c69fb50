"""Credits bought in Discord's store: an entitlement to a pack's consumable SKU is credited
to its buyer once, then consumed, so that they may buy the pack again.

Where entitlements come from, and how far each is to be believed:

- ``ENTITLEMENT_CREATE`` on the gateway, when someone buys. A gateway event can arrive
  twice (a RESUME replays what a dropped connection missed) and says what was true when
  it was sent, so its ``consumed: false`` may be stale.
- An interaction's ``entitlements``: the person's unconsumed entitlements as Discord
  holds them now.
- ``GET /applications/{id}/entitlements``, read on READY (``catch_up``): Discord's own
  list, for purchases made while no gateway session was there to hear of them.

Each entitlement is one payment event (``entitlement:<id>``) and one purchase (its id):
core's ``Billing.apply`` credits it once however often it is seen. It is consumed only
after it was credited, so nothing is lost if this process dies in between: the next READY
or the buyer's next interaction finds it still unconsumed. A gateway event whose credit
was a repeat consumes nothing (it is the same news again, and its first delivery
consumed it); an unconsumed entitlement that Discord lists now, or that an interaction
carries, is consumed even when its credit was a repeat: that is a consume that failed
before, tried again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable
from datetime import timedelta

import discord

from adapters.discord.identity import DIRECT, NAMESPACE, PLATFORM
from core.app import Bot
from core.billing import Pack, PaymentEvent, PaymentKind
from core.identity import Requester

log = logging.getLogger(__name__)

#: Entitlements to a consumable SKU; a subscription is never consumed.
ONE_TIME = frozenset(
    {
        discord.EntitlementType.purchase,
        discord.EntitlementType.developer_gift,
        discord.EntitlementType.test_mode_purchase,
        discord.EntitlementType.free_purchase,
        discord.EntitlementType.user_gift,
        discord.EntitlementType.premium_purchase,
    }
)
#: How far back READY looks for unconsumed entitlements. Older ones still come, with the
#: buyer's next interaction, which carries every entitlement they hold unconsumed.
CATCH_UP = timedelta(days=30)


class StorePurchases:
    """Fulfils entitlements to the catalogue's packs: credit once, then consume."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._busy: set[int] = set()  # entitlements being fulfilled in this process

    def skus(self) -> list[int]:
        """The SKU ids of the packs sold in Discord's store."""
        ids = (pack.sku_id for pack in self._bot.billing.catalogue.packs.values())
        return [int(sku) for sku in ids if sku.isascii() and sku.isdigit()]

    async def fulfil(self, entitlement: discord.Entitlement, *, current: bool) -> bool:
        """Credit a pack bought in the store to its buyer, once, and consume the
        entitlement; whether it was consumed now. ``current``: Discord said just now that
        it is unconsumed (an interaction's or a listed entitlement), rather than a gateway
        event that may be a repeat. Anything else (another app's SKU, a subscription, a
        guild's entitlement) is left alone, unconsumed."""
        pack = self._bot.billing.catalogue.by_sku(str(entitlement.sku_id))
        if (
            pack is None
            or entitlement.consumed
            or entitlement.deleted
            or entitlement.type not in ONE_TIME
            or entitlement.user_id is None
            or entitlement.id in self._busy
        ):
            return False
        self._busy.add(entitlement.id)
        try:
            if not await self._credit(entitlement, pack) and not current:
                return False  # a repeat of the news: its first delivery consumed it
            return await self._consume(entitlement)
        finally:
            self._busy.discard(entitlement.id)

    async def _credit(self, entitlement: discord.Entitlement, pack: Pack) -> bool:
        """The pack's credits to the buyer's own balance; whether this was the first time
        the entitlement was applied."""
        buyer = Requester(
            PLATFORM,
            str(entitlement.guild_id or DIRECT),
            str(entitlement.user_id),
            namespace=NAMESPACE,
        )
        account = await self._bot.open_account(buyer)
        applied = await self._bot.billing.apply(
            PaymentEvent(
                id=f"entitlement:{entitlement.id}",
                kind=PaymentKind.PAID,
                provider=PLATFORM,
                account_id=account.id,
                item=pack.name,
                purchase=str(entitlement.id),
            )
        )
        return not applied.duplicate

    async def _consume(self, entitlement: discord.Entitlement) -> bool:
        try:
            await entitlement.consume()
        except discord.HTTPException as error:
            log.warning(
                "entitlement %s is credited but could not be consumed (%s %s); the next "
                "READY or the buyer's next interaction tries again",
                entitlement.id,
                error.status,
                error.text,
            )
            return False
        log.info("entitlement %s is credited and consumed", entitlement.id)
        return True

    async def catch_up(self, listed: AsyncIterable[discord.Entitlement]) -> int:
        """Fulfil every unconsumed entitlement Discord lists; how many were consumed."""
        consumed = 0
        async for entitlement in listed:
            if not entitlement.consumed and await self.fulfil_quietly(entitlement, current=True):
                consumed += 1
        return consumed

    async def fulfil_quietly(self, entitlement: discord.Entitlement, *, current: bool) -> bool:
        """``fulfil``, logging what went wrong instead of raising it: what was not
        credited stays unconsumed, and is tried again."""
        try:
            return await self.fulfil(entitlement, current=current)
        except Exception:
            log.exception("could not fulfil entitlement %s", entitlement.id)
            return False
