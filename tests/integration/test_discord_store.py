"""Packs bought in Discord's store, end to end: the fake Discord sells a SKU and tells the
bot (ENTITLEMENT_CREATE, the entitlements on an interaction, the list read on READY);
discord.py and the adapter credit the ledger once and consume the entitlement."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.client import AioeClient
from adapters.discord.commands import application_commands
from adapters.discord.gateway import DiscordGateway
from adapters.discord.identity import NAMESPACE, PLATFORM
from adapters.discord.purchases import StorePurchases
from bot.bootstrap import App
from core import messages
from core.billing import Catalogue
from core.identity import Requester
from tests.adapters.discord.connect import connected
from tests.fakes.discord_server import FakeDiscord, discord_server, slash_interaction
from tests.harness import count_rows

GUILD = 290926798626357250
CHANNEL = 645027906669510667
MASON = {"id": "53908232506183680", "username": "mason", "global_name": "Mason"}
STARTER_SKU = 1088510058284990888  # the starter pack, also sold in the app's store
OTHER_SKU = 1088510058284990999  # a SKU of the app's that the catalogue does not sell
CONSUME = "POST /applications/*/entitlements/*/consume"
WITHIN = 5.0


class Watched(StorePurchases):
    """The adapter's purchases, counting the entitlements it has finished with."""

    def __init__(self, app: App) -> None:
        super().__init__(app.bot)
        self.done = 0
        self._changed = asyncio.Condition()

    async def fulfil_quietly(self, entitlement: discord.Entitlement, *, current: bool) -> bool:
        try:
            return await super().fulfil_quietly(entitlement, current=current)
        finally:
            async with self._changed:
                self.done += 1
                self._changed.notify_all()

    async def finished(self, count: int) -> None:
        async with asyncio.timeout(WITHIN), self._changed:
            await self._changed.wait_for(lambda: self.done >= count)


class Client(AioeClient):
    """What ``aioe discord run`` connects, without the pauses meant for production."""

    def __init__(self, app: App) -> None:
        self.purchases = Watched(app)
        answering = DiscordGateway(bot=app.bot, catalog=app.catalog, purchases=self.purchases)
        super().__init__(bot=app.bot, answering=answering, guild_ready_timeout=0.05)
        self.readied = asyncio.Event()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause before identifying again."""

    async def on_ready(self) -> None:
        await super().on_ready()  # the catch-up, then ready for the test
        self.readied.set()


@pytest.fixture
async def store(app: App, monkeypatch: pytest.MonkeyPatch) -> App:
    """The app with its starter pack also sold in Discord's store."""
    catalogue = app.bot.billing.catalogue
    starter = replace(catalogue.packs["starter"], sku_id=str(STARTER_SKU))
    monkeypatch.setattr(
        app.bot.billing, "catalogue", Catalogue({**catalogue.packs, "starter": starter}, {})
    )
    return app


@pytest.fixture
async def fake(store: App, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with discord_server() as server:
        server.add_guild(GUILD, "Acme", channels=[CHANNEL], members=[MASON])
        server.register_commands(application_commands(store.catalog))
        monkeypatch.setattr(Route, "BASE", server.api_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


@contextlib.asynccontextmanager
async def running(app: App, fake: FakeDiscord) -> AsyncIterator[Client]:
    """A client through READY and its catch-up, closed at the end (a restart is two)."""
    async with connected(Client(app), fake.bot_token) as client:
        yield client


@pytest.fixture
async def client(store: App, fake: FakeDiscord) -> AsyncIterator[Client]:
    async with running(store, fake) as started:
        yield started


async def balance(app: App) -> int:
    mason = Requester(PLATFORM, str(GUILD), MASON["id"], "Mason", namespace=NAMESPACE)
    return (await app.bot.open_account(mason)).balance


async def purchases(app: App) -> int:
    return await count_rows(app, "ledger", "kind = 'purchase'")


async def test_an_entitlement_delivered_twice_credits_its_pack_once_and_is_consumed_once(
    store: App, fake: FakeDiscord, client: Client
) -> None:
    before = await balance(store)
    bought = await fake.buy(STARTER_SKU, user_id=int(MASON["id"]))
    await client.purchases.finished(1)
    await fake.dispatch("ENTITLEMENT_CREATE", bought)  # again, as a RESUME replays it
    await client.purchases.finished(2)
    assert await balance(store) == before + 50
    assert await purchases(store) == 1
    assert len(fake.requests_to(CONSUME)) == 1
    assert fake.consumed == [int(bought["id"])]
    await fake.buy(STARTER_SKU, user_id=int(MASON["id"]))  # consumed: Discord sells it again
    await client.purchases.finished(3)
    assert await balance(store) == before + 100


async def test_an_entitlement_to_a_sku_the_catalogue_does_not_sell_is_left_alone(
    store: App, fake: FakeDiscord, client: Client
) -> None:
    before = await balance(store)
    bought = await fake.buy(OTHER_SKU, user_id=int(MASON["id"]))
    await client.purchases.finished(1)
    assert await balance(store) == before
    assert await purchases(store) == 0
    assert fake.requests_to(CONSUME) == []
    assert fake.entitlements[int(bought["id"])].consumed is False


async def test_a_failed_consume_is_tried_again_on_the_next_ready_without_crediting_twice(
    store: App, fake: FakeDiscord
) -> None:
    before = await balance(store)
    fake.fail(CONSUME, status=503)
    async with running(store, fake) as first:
        bought = await fake.buy(STARTER_SKU, user_id=int(MASON["id"]))
        await first.purchases.finished(1)
    assert await balance(store) == before + 50
    assert [r.status for r in fake.requests_to(CONSUME)] == [503]
    assert not fake.entitlements[int(bought["id"])].consumed
    async with running(store, fake):  # a restart: READY lists it, still unconsumed
        pass
    assert [r.status for r in fake.requests_to(CONSUME)] == [503, 204]
    assert fake.consumed == [int(bought["id"])]
    assert await balance(store) == before + 50
    assert await purchases(store) == 1


async def test_a_purchase_made_while_the_bot_was_away_is_credited_on_ready(
    store: App, fake: FakeDiscord
) -> None:
    before = await balance(store)
    missed = fake.add_entitlement(STARTER_SKU, user_id=int(MASON["id"]), type=1)
    ignored = fake.add_entitlement(OTHER_SKU, user_id=int(MASON["id"]), type=1)
    async with running(store, fake):
        pass
    assert await balance(store) == before + 50
    assert fake.consumed == [int(missed["id"])]
    assert fake.entitlements[int(ignored["id"])].consumed is False
    listed = fake.requests_to("GET /applications/*/entitlements")
    assert len(listed) == 1 and listed[0].status == 200


async def test_an_unconsumed_purchase_on_an_interaction_is_credited_before_the_command(
    store: App, fake: FakeDiscord, client: Client
) -> None:
    before = await balance(store)
    unheard = fake.add_entitlement(STARTER_SKU, user_id=int(MASON["id"]), type=1)
    interaction = await fake.send_interaction(slash_interaction(GUILD, CHANNEL, MASON, "credits"))
    assert fake.interactions[interaction].payload["entitlements"] == [unheard]

    def answered() -> bool:
        original = fake.original_for(interaction)
        return original is not None and not original.loading

    await fake.wait_until(answered, within=WITHIN)
    original = fake.original_for(interaction)
    assert original is not None
    summary = messages.CREDITS_SUMMARY.format(balance=before + 50)
    assert original.embeds[0]["title"] == summary
    assert fake.consumed == [int(unheard["id"])]
    assert await purchases(store) == 1


class Unreached:
    """Stripe's checkout, configured; /buy alone never reaches it."""

    async def checkout(self, **given: Any) -> str:
        raise AssertionError("/buy alone opens no checkout")

    async def portal(self, customer_id: str) -> str:
        raise AssertionError("/buy alone opens no portal")


async def test_buy_shows_discords_purchase_button_for_the_pack_in_its_store(
    store: App, fake: FakeDiscord, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.bot.billing, "_checkout", Unreached())
    interaction = await fake.send_interaction(slash_interaction(GUILD, CHANNEL, MASON, "buy"))

    def answered() -> bool:
        original = fake.original_for(interaction)
        return original is not None and not original.loading

    await fake.wait_until(answered, within=WITHIN)
    original = fake.original_for(interaction)
    assert original is not None and original.ephemeral
    (embed,) = original.embeds
    assert embed["title"] == messages.BUY_TITLE
    assert "• starter: 50 credits for €5" in embed["description"]
    (row,) = original.components  # as discord.py sends it, and the fake's checks took it
    assert row["components"] == [
        {"type": 2, "style": 6, "disabled": False, "sku_id": str(STARTER_SKU)}
    ]
