"""The gateway side end to end: interactions from the fake Discord through discord.py and
``DiscordGateway`` into the real core, and the answers back on the fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.commands import application_commands
from adapters.discord.gateway import DiscordGateway
from adapters.discord.identity import NAMESPACE, PLATFORM
from adapters.discord.render import BUTTON, DANGER, NOTICE, render
from bot.bootstrap import App
from core import messages
from core.commands import DeleteMe, PrivacyInfo
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Document, Reply
from tests.adapters.discord.connect import connected
from tests.adapters.discord.documents import LONG_DOCUMENT
from tests.fakes.discord_server import (
    MANAGE_GUILD,
    FakeDiscord,
    Message,
    component_interaction,
    discord_server,
    slash_interaction,
)
from tests.harness import fund_team, product_photo

GUILD = 290926798626357250
CHANNEL = 645027906669510667
MASON = {"id": "53908232506183680", "username": "mason", "global_name": "Mason"}
NELLY = {"id": "80351110224678912", "username": "nelly", "global_name": "Nelly"}
OSCAR = {"id": "80351110224678999", "username": "oscar", "global_name": "Oscar"}
WITHIN = 5.0


class Gateway(discord.Client):
    """A discord.py client that hands every interaction to the adapter's gateway, as
    ``aioe discord run`` does."""

    def __init__(self, answering: DiscordGateway) -> None:
        super().__init__(intents=discord.Intents.none(), guild_ready_timeout=0.05)
        self.answering = answering
        self.readied = asyncio.Event()

    async def on_ready(self) -> None:
        self.readied.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.answering.handle(interaction)


@pytest.fixture
async def fake(app: App, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake with one guild where Mason and Nelly are, every command registered as
    ``aioe discord sync`` registers them, and discord.py pointed at it."""
    async with discord_server() as server:
        server.add_guild(GUILD, "Acme", channels=[CHANNEL], members=[MASON, NELLY])
        server.register_commands(application_commands(app.catalog))
        monkeypatch.setattr(Route, "BASE", server.api_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


@pytest.fixture
async def gateway(app: App, fake: FakeDiscord) -> AsyncIterator[Gateway]:
    async with connected(
        Gateway(DiscordGateway(bot=app.bot, catalog=app.catalog)), fake.bot_token
    ) as client:
        yield client


def requester(user: dict[str, str]) -> Requester:
    return Requester(PLATFORM, str(GUILD), user["id"], user["global_name"], namespace=NAMESPACE)


async def answer(fake: FakeDiscord, payload: dict[str, Any], count: int = 1) -> list[Message]:
    """Send an interaction; its answer once ``count`` messages show it: the deferred
    response, filled, and the follow-ups after it."""
    interaction = await fake.send_interaction(payload)

    def done() -> bool:
        original = fake.original_for(interaction)
        filled = original is not None and not original.loading
        return filled and len(fake.followups_for(interaction)) >= count - 1

    await fake.wait_until(done, within=WITHIN)
    original = fake.original_for(interaction)
    assert original is not None
    return [original, *fake.followups_for(interaction)]


async def answered(fake: FakeDiscord, payload: dict[str, Any]) -> Message:
    """The one private message an interaction is answered with."""
    (message,) = await answer(fake, payload)
    assert message.ephemeral
    return message


def buttons(message: Message) -> list[dict[str, Any]]:
    return [c for row in message.components for c in row["components"] if c["type"] == BUTTON]


def privacy(subcommand: str, **options: str) -> list[dict[str, Any]]:
    given = [{"name": name, "type": 3, "value": value} for name, value in options.items()]
    return [{"name": subcommand, "type": 1, "options": given}]


@pytest.mark.parametrize("path", [("delete-me",), ("privacy", "delete")])
async def test_delete_me_asks_with_a_danger_button_that_only_its_owner_can_press(
    app: App, fake: FakeDiscord, gateway: Gateway, path: tuple[str, ...]
) -> None:
    name, *sub = path
    options = privacy(sub[0]) if sub else []
    confirm = await answered(fake, slash_interaction(GUILD, CHANNEL, MASON, name, options))
    (button,) = buttons(confirm)
    assert (button["style"], button["label"]) == (DANGER, messages.ACTION_LABEL_ERASE)
    mason = await app.bot.open_account(requester(MASON))
    pressed = app.bot.actions.decode(button["custom_id"])
    assert pressed.owner == mason.id and isinstance(pressed.command, DeleteMe)
    assert pressed.command.code and pressed.command.code not in confirm.content

    on_the_message = fake.message_json(confirm.id)
    press = component_interaction(
        GUILD, CHANNEL, NELLY, button["custom_id"], message=on_the_message
    )
    refused = await answered(fake, press)
    assert refused.content == f"⚠️ {messages.ACTION_NOT_YOURS}"
    still = await app.bot.open_account(requester(MASON))
    assert still.id == mason.id  # nothing was erased

    press = component_interaction(
        GUILD, CHANNEL, MASON, button["custom_id"], message=on_the_message
    )
    erased = await answered(fake, press)
    assert erased.content == messages.ERASED
    again = await app.bot.open_account(requester(MASON))
    assert again.id != mason.id  # the old account is gone; a new one opens


async def test_privacy_show_is_the_whole_summary_privately_within_discords_limits(
    app: App, fake: FakeDiscord, gateway: Gateway
) -> None:
    document = await app.bot.handle(requester(MASON), PrivacyInfo(), address())
    assert isinstance(document, Document)
    count = len(render(document, app.bot.actions, private=True))
    payload = slash_interaction(GUILD, CHANNEL, MASON, "privacy", privacy("show"))
    shown = await answer(fake, payload, count)
    assert len(shown) == count and all(m.ephemeral for m in shown)
    fields = [f for m in shown for embed in m.embeds for f in embed.get("fields", ())]
    assert [word for f in fields for word in f["value"].split()] == [
        word for section in document.sections for word in section.body.split()
    ]
    assert shown[0].embeds[0]["title"] == document.title


async def test_history_and_consent_reach_core_and_answer_privately(
    fake: FakeDiscord, gateway: Gateway
) -> None:
    history = await answered(fake, slash_interaction(GUILD, CHANNEL, MASON, "history"))
    (embed,) = history.embeds
    assert embed["title"] == "Your images · page 1 of 1" and "/imagine" in embed["description"]
    page_zero = [{"name": "page", "type": 4, "value": 0}]
    refused = await answered(fake, slash_interaction(GUILD, CHANNEL, MASON, "history", page_zero))
    assert refused.content == f"⚠️ {messages.HISTORY_BAD_PAGE}"
    consent = privacy("consent", purpose="analytics", setting="on")
    turned_on = await answered(fake, slash_interaction(GUILD, CHANNEL, MASON, "privacy", consent))
    assert "analytics" in turned_on.content and not turned_on.content.startswith("⚠️")
    wrong = privacy("correct", field="email", value="not an address")
    bad_email = await answered(fake, slash_interaction(GUILD, CHANNEL, MASON, "privacy", wrong))
    assert bad_email.content == f"⚠️ {messages.CORRECT_BAD_EMAIL}"
    assert NOTICE.format(text="") not in bad_email.content  # a new account has nothing to be told


def address() -> ReplyAddress:
    return ReplyAddress(PLATFORM, fields={"channel": str(CHANNEL), "user": MASON["id"]})


async def test_an_answer_longer_than_one_message_continues_in_private_followups(
    app: App, fake: FakeDiscord, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = replace(LONG_DOCUMENT, notice="Our privacy policy changed on 2026-12-01.")

    async def answers_at_length(*given: Any, **named: Any) -> Reply:
        return long

    monkeypatch.setattr(app.bot, "handle", answers_at_length)
    count = len(render(long, app.bot.actions, private=True))
    payload = slash_interaction(GUILD, CHANNEL, MASON, "privacy", privacy("show"))
    shown = await answer(fake, payload, count)
    assert count > 1 and len(shown) == count and all(m.ephemeral for m in shown)
    assert shown[0].content == NOTICE.format(text=long.notice)
    fields = [f for m in shown for embed in m.embeds for f in embed.get("fields", ())]
    assert [word for f in fields for word in f["value"].split()] == [
        word for section in long.sections for word in section.body.split()
    ]
    assert [m.via for m in fake.messages_in(CHANNEL)] == ["callback"] + ["followup"] * (count - 1)


# --- the server's shared credits -----------------------------------------------------------
def team(subcommand: str, **options: str | int) -> list[dict[str, Any]]:
    given = [
        {"name": name, "type": 4 if isinstance(value, int) else 3, "value": value}
        for name, value in options.items()
    ]
    return [{"name": subcommand, "type": 1, "options": given}]


async def said(
    fake: FakeDiscord, user: dict[str, str], name: str, options: Any = (), **kw: Any
) -> str:
    """The private answer to a command: its text and its embeds' text."""
    message = await answered(fake, slash_interaction(GUILD, CHANNEL, user, name, options, **kw))
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", ())]
    return "\n".join(parts)


async def imagines(fake: FakeDiscord, user: dict[str, str], n: int) -> str:
    photo = fake.add_attachment(product_photo(), "box.png", "image/png", channel_id=CHANNEL)
    payload = slash_interaction(
        GUILD, CHANNEL, user, "imagine", {"n": n}, attachments={"image": photo}
    )
    return (await answered(fake, payload)).content


async def test_the_owner_shares_and_caps_and_a_member_is_refused_the_sixth_team_credit(
    app: App, fake: FakeDiscord, gateway: Gateway
) -> None:
    await fund_team(app, requester(MASON))
    refused = await said(fake, NELLY, "team", team("share", setting="on"))
    assert refused == f"⚠️ {messages.TEAM_ONLY_MANAGERS}"
    shared = await said(fake, MASON, "team", team("share", setting="on"))  # the owner
    assert shared == messages.TEAM_SHARING_NOW_ON
    capped = await said(fake, MASON, "team", team("cap", credits=5))
    assert capped == messages.TEAM_CAP_SET.format(cap=5)
    using = await said(fake, NELLY, "team", team("use", source="team"))
    assert not using.startswith("⚠️") and "the team's" in using

    assert "⚠️" not in await imagines(fake, NELLY, 4)
    assert "⚠️" not in await imagines(fake, NELLY, 1)
    sixth = await imagines(fake, NELLY, 1)
    assert sixth.startswith("⚠️") and "5 credits a month" in sixth and "used 5" in sixth

    own = await said(fake, NELLY, "credits")
    assert "10 credits" in own  # the team paid; Nelly's own credits are untouched
    shown = await said(fake, NELLY, "team", team("credits"))
    assert "45 credits" in shown and "used 5" in shown


async def test_manage_server_lets_a_member_change_the_rules_and_nothing_less_does(
    app: App, fake: FakeDiscord, gateway: Gateway
) -> None:
    plain = await said(fake, OSCAR, "team", team("cap"))
    assert plain == f"⚠️ {messages.TEAM_ONLY_MANAGERS}"
    managing = await said(fake, OSCAR, "team", team("cap"), permissions=MANAGE_GUILD)
    assert managing == messages.TEAM_CAP_OFF
