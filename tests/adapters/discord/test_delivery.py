"""Replies reach Discord over REST: follow-ups while the interaction's token lives, the
bot's own messages after, and the requester's DMs for what only they may read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.console.translate import translate
from adapters.discord.delivery import DiscordDelivery, DiscordUnavailable, discord_fields
from adapters.discord.gateway import address_of
from adapters.discord.identity import NAMESPACE, PLATFORM
from adapters.discord.render import BUTTON, NOTICE, STRING_SELECT, render
from bot.bootstrap import App
from core import messages
from core.actions import ActionCodec
from core.commands import Reformat, Reroll
from core.errors import RateLimited
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Error, Images, Reply, Text
from tests.adapters.discord.connect import connected
from tests.adapters.discord.documents import LONG_DOCUMENT
from tests.fakes.discord_server import (
    DEFAULT_APPLICATION_ID,
    EPHEMERAL,
    FakeDiscord,
    Message,
    discord_server,
    slash_interaction,
)

GUILD = 290926798626357250
CHANNEL = 645027906669510667
NO_SUCH_CHANNEL = 645027906669519999
MASON = {"id": "53908232506183680", "username": "mason", "global_name": "Mason"}
MASON_ID = int(MASON["id"])
STRANGER_ID = 80351110224678912
WITHIN = 5.0
FAILED = Error(messages.JOB_FAILED.format(reason=messages.PROVIDER_UNAVAILABLE, cost=4))
WORKING = "Working on it…"
POLICY_CHANGED = "Our privacy policy changed on 2026-12-01: /privacy show has the new summary."
TOLD = NOTICE.format(text=POLICY_CHANGED)


class Recording:
    """A delivery that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        self.sent.append(reply)


class Gateway(discord.Client):
    """The gateway side cut to what a delivery needs: each command is deferred privately,
    the deferral filled with a progress note, and the interaction's address kept (as the
    adapter hands it to the job once the progress shows)."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.none(), guild_ready_timeout=0.05)
        self.readied = asyncio.Event()
        self.addresses: asyncio.Queue[ReplyAddress] = asyncio.Queue()

    async def on_ready(self) -> None:
        self.readied.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=WORKING)
        address = address_of(interaction, datetime.now(UTC))
        self.addresses.put_nowait(replace(address, final=True))


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake with one guild (#general, where Mason is), /imagine registered, and
    discord.py's REST base and gateway pointed at it."""
    async with discord_server() as server:
        server.add_guild(GUILD, "Acme", channels=[CHANNEL], members=[MASON])
        server.register_commands([{"name": "imagine", "description": "Make images", "type": 1}])
        monkeypatch.setattr(Route, "BASE", server.api_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


@pytest.fixture
def delivery(app: App, fake: FakeDiscord) -> DiscordDelivery:
    """Built as the Discord side builds it: the app's files, a codec on the app's secret."""
    return DiscordDelivery(
        api_url=fake.api_url,
        bot_token=fake.bot_token,
        files=app.image_files,
        codec=ActionCodec(app.settings.resolved_secret_key()),
    )


@pytest.fixture
async def images(app: App, photo: Path) -> Images:
    """What a finished /imagine job delivers: stored images, each with its actions."""
    recording = Recording()
    app.deliveries.register(PLATFORM, recording)
    requester = Requester(PLATFORM, str(GUILD), MASON["id"], "Mason", namespace=NAMESPACE)
    command = await translate(f"/imagine --image {photo} --format square")
    await app.bot.handle(requester, command, channel_address())
    assert await app.worker("discord-worker", routes=(PLATFORM,)).drain() == 1
    (reply,) = recording.sent
    assert isinstance(reply, Images)
    return reply


@pytest.fixture
async def gateway(fake: FakeDiscord) -> AsyncIterator[Gateway]:
    async with connected(Gateway(), fake.bot_token) as client:
        yield client


def channel_address(user: int = MASON_ID, channel: int = CHANNEL) -> ReplyAddress:
    """An address with no interaction token (a reply delivered after 15 minutes)."""
    fields = discord_fields(
        application=str(DEFAULT_APPLICATION_ID),
        channel=str(channel),
        user=str(user),
        guild=str(GUILD),
    )
    return ReplyAddress(PLATFORM, fields=fields)


async def command_address(fake: FakeDiscord, gateway: Gateway) -> tuple[int, ReplyAddress]:
    """Mason runs /imagine in #general; the interaction's id and the address the gateway
    kept, once its deferral shows the progress note."""
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "imagine")
    )
    address = await asyncio.wait_for(gateway.addresses.get(), WITHIN)
    return interaction_id, address


async def stored_files(app: App, reply: Images) -> dict[str, bytes]:
    return {image.filename: (await app.image_files.read(image.id)).data for image in reply.images}


def posted(fake: FakeDiscord, channel: int = CHANNEL) -> list[Message]:
    """The bot's own messages in a channel (not interaction responses or follow-ups)."""
    return [message for message in fake.messages_in(channel) if message.via == "channel"]


# --- without a token: the bot's own message -------------------------------------------


async def test_an_images_reply_without_a_token_is_a_bot_message_with_its_files(
    app: App, fake: FakeDiscord, delivery: DiscordDelivery, images: Images
) -> None:
    await delivery.deliver(channel_address(), images)
    (message,) = posted(fake)
    files = {a.filename: (a.data, a.content_type) for a in message.attachments}
    stored = await stored_files(app, images)
    assert files == {name: (data, "image/png") for name, data in stored.items()}
    assert [embed["image"]["url"] for embed in message.embeds] == [
        f"attachment://{image.filename}" for image in images.images
    ]
    assert message.content == images.text
    assert (message.author["id"], message.flags) == (str(fake.application_id), 0)
    assert [r.authorization for r in fake.requests_to("POST /channels/*/messages")] == [
        f"Bot {fake.bot_token}"
    ]


async def test_the_messages_buttons_and_selects_come_back_as_the_replys_actions(
    app: App, fake: FakeDiscord, delivery: DiscordDelivery, images: Images
) -> None:
    await delivery.deliver(channel_address(), images)
    (message,) = posted(fake)
    controls = [item for row in message.components for item in row["components"]]
    pressed = []
    for control in controls:
        if control["type"] == BUTTON:
            pressed.append(app.bot.actions.decode(control["custom_id"]))
        else:
            assert control["type"] == STRING_SELECT
            choice = control["options"][0]["value"]
            pressed.append(app.bot.actions.decode(control["custom_id"], choice))
    rerolls = {Reroll(image.id) for image in images.images}
    reformats = {
        Reformat(image.id, action.choices[0].value)
        for image in images.images
        for action in image.actions
        if action.choices
    }
    assert {press.command for press in pressed} == rerolls | reformats
    assert len(pressed) == len(rerolls) + len(reformats)


async def test_a_private_reply_without_a_token_arrives_in_the_requesters_dm(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    await delivery.deliver(channel_address(), FAILED)
    await delivery.deliver(channel_address(), Error(messages.INTERNAL_FAILURE))
    dm = fake.dm_with(MASON_ID)
    assert dm is not None and dm.recipient["id"] == MASON["id"]
    assert [m.content for m in fake.messages_in(dm.id)] == [
        f"⚠️ {FAILED.text}",
        f"⚠️ {messages.INTERNAL_FAILURE}",
    ]
    assert [m.guild_id for m in fake.messages_in(dm.id)] == [None, None]
    assert fake.messages_in(CHANNEL) == []
    assert [r.status for r in fake.requests_to("POST /users/@me/channels")] == [200, 200]
    assert len(fake.direct_channels) == 1  # opened once, found again


# --- with a live token: a follow-up of the interaction -------------------------------------


async def test_with_a_live_token_the_images_are_a_followup_of_the_interaction(
    app: App, fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery, images: Images
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    await delivery.deliver(address, images)
    (followup,) = fake.followups_for(interaction_id)
    original = fake.original_for(interaction_id)
    stored = await stored_files(app, images)
    assert followup.via == "followup" and not followup.ephemeral
    assert {a.filename: a.data for a in followup.attachments} == stored
    assert [embed["image"]["url"] for embed in followup.embeds] == [
        f"attachment://{name}" for name in stored
    ]
    assert original is not None and original.content == WORKING  # the progress note stays
    assert posted(fake) == []


async def test_a_private_reply_with_a_live_token_is_an_ephemeral_followup(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    await delivery.deliver(address, FAILED)
    (followup,) = fake.followups_for(interaction_id)
    assert followup.content == f"⚠️ {FAILED.text}"
    assert followup.flags & EPHEMERAL and followup.ephemeral
    assert posted(fake) == [] and fake.dm_with(MASON_ID) is None


async def test_an_interaction_older_than_fifteen_minutes_falls_back_to_the_channel(
    app: App, fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery, images: Images
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    fake.age_interaction(interaction_id, 15 * 60 + 1)
    await delivery.deliver(address, images)
    (message,) = posted(fake)
    assert {a.filename: a.data for a in message.attachments} == await stored_files(app, images)
    assert [r.status for r in fake.requests_to("POST /webhooks/*")] == [401]
    assert fake.followups_for(interaction_id) == []


async def test_an_address_past_its_token_expiry_posts_to_the_channel_without_trying_it(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery, images: Images
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    expired = replace(address, secrets_expire_at=datetime.now(UTC) - timedelta(seconds=1))
    await delivery.deliver(expired, images)
    assert len(posted(fake)) == 1
    assert fake.requests_to("POST /webhooks/*") == []
    assert fake.followups_for(interaction_id) == []


async def test_a_private_reply_whose_token_died_goes_to_the_dm_not_the_channel(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    fake.age_interaction(interaction_id, 15 * 60 + 1)
    await delivery.deliver(address, FAILED)
    dm = fake.dm_with(MASON_ID)
    assert dm is not None
    assert [m.content for m in fake.messages_in(dm.id)] == [f"⚠️ {FAILED.text}"]
    assert posted(fake) == [] and fake.followups_for(interaction_id) == []


async def test_the_bot_token_never_goes_to_the_webhook_or_the_cdn(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery, images: Images
) -> None:
    _, live = await command_address(fake, gateway)
    dying_id, dying = await command_address(fake, gateway)
    fake.age_interaction(dying_id, 15 * 60 + 1)
    await delivery.deliver(live, images)
    await delivery.deliver(dying, images)
    webhook = fake.requests_to("POST /webhooks/*")
    assert [(r.status, r.authorization) for r in webhook] == [(204, ""), (401, "")]
    assert [r for r in fake.cdn_requests if fake.bot_token in r.authorization] == []
    assert [r.authorization for r in fake.requests_to("POST /channels/*/messages")] == [
        f"Bot {fake.bot_token}"
    ]


# --- failures keep the reply in the outbox ----------------------------------------------


async def test_a_rate_limited_post_raises_rate_limited_with_the_retry_after(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    fake.rate_limit("POST /channels/*/messages", retry_after=2.5)
    with pytest.raises(RateLimited) as raised:
        await delivery.deliver(channel_address(), Text("Here you are."))
    assert raised.value.retry_after == 2.5
    assert posted(fake) == []


async def test_a_rate_limited_followup_raises_rate_limited_rather_than_posting_elsewhere(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    fake.rate_limit("POST /webhooks/*", retry_after=1.25)
    with pytest.raises(RateLimited) as raised:
        await delivery.deliver(address, Text("Here you are."))
    assert raised.value.retry_after == 1.25
    assert posted(fake) == [] and fake.followups_for(interaction_id) == []


async def test_a_rate_limited_dm_open_raises_rate_limited(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    fake.rate_limit("POST /users/@me/channels", retry_after=0.75)
    with pytest.raises(RateLimited) as raised:
        await delivery.deliver(channel_address(), FAILED)
    assert raised.value.retry_after == 0.75
    assert fake.dm_with(MASON_ID) is None


async def test_an_unknown_channel_raises_discord_unavailable(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    with pytest.raises(DiscordUnavailable, match="404"):
        await delivery.deliver(channel_address(channel=NO_SUCH_CHANNEL), Text("Here you are."))
    assert [r.status for r in fake.requests_to("POST /channels/*/messages")] == [404]


async def test_a_private_reply_to_someone_discord_cannot_dm_raises_discord_unavailable(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    with pytest.raises(DiscordUnavailable):
        await delivery.deliver(channel_address(user=STRANGER_ID), FAILED)
    assert [r.status for r in fake.requests_to("POST /users/@me/channels")] == [400]
    assert fake.messages == {}


# --- notices and replies of several messages ----------------------------------------------


async def test_a_public_replys_notice_is_an_ephemeral_followup_before_it(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    await delivery.deliver(address, Text("Here you are.", notice=POLICY_CHANGED))
    notice, reply = fake.followups_for(interaction_id)
    assert (notice.content, notice.ephemeral) == (TOLD, True)
    assert (reply.content, reply.ephemeral) == ("Here you are.", False)


async def test_without_a_token_a_public_replys_notice_goes_to_the_dm_only(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    await delivery.deliver(channel_address(), Text("Here you are.", notice=POLICY_CHANGED))
    dm = fake.dm_with(MASON_ID)
    assert dm is not None and [m.content for m in fake.messages_in(dm.id)] == [TOLD]
    assert [m.content for m in posted(fake)] == ["Here you are."]


async def test_a_notice_discord_will_not_dm_is_left_out_and_the_reply_still_arrives(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    reply = Text("Here you are.", notice=POLICY_CHANGED)
    await delivery.deliver(channel_address(user=STRANGER_ID), reply)
    assert [m.content for m in fake.messages.values()] == ["Here you are."]
    assert [r.status for r in fake.requests_to("POST /users/@me/channels")] == [400]


async def test_a_private_replys_notice_opens_it(
    fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    await delivery.deliver(address, replace(FAILED, notice=POLICY_CHANGED))
    (followup,) = fake.followups_for(interaction_id)
    assert followup.ephemeral and followup.content == f"{TOLD}\n\n⚠️ {FAILED.text}"


async def test_a_long_document_arrives_whole_as_ephemeral_followups_in_order(
    app: App, fake: FakeDiscord, gateway: Gateway, delivery: DiscordDelivery
) -> None:
    interaction_id, address = await command_address(fake, gateway)
    await delivery.deliver(address, LONG_DOCUMENT)
    followups = fake.followups_for(interaction_id)
    assert len(followups) == len(render(LONG_DOCUMENT, app.bot.actions)) > 1
    assert all(m.ephemeral for m in followups) and posted(fake) == []
    fields = [f for m in followups for embed in m.embeds for f in embed["fields"]]
    assert [word for f in fields for word in f["value"].split()] == [
        word for section in LONG_DOCUMENT.sections for word in section.body.split()
    ]


async def test_a_long_document_without_a_token_arrives_whole_in_the_dm(
    fake: FakeDiscord, delivery: DiscordDelivery
) -> None:
    await delivery.deliver(channel_address(), LONG_DOCUMENT)
    dm = fake.dm_with(MASON_ID)
    assert dm is not None and posted(fake) == []
    shown = fake.messages_in(dm.id)
    assert len(shown) > 1
    assert [m.embeds[0]["title"] for m in shown][:2] == [
        LONG_DOCUMENT.title,
        f"{LONG_DOCUMENT.title} (continued)",
    ]
