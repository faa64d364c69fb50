"""/history, /privacy and /delete-me through bolt and the fake Slack: signed slash commands
in, the command core receives, and what Slack is asked to show (and to whom)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.slack.delivery import SlackDelivery, slack_fields
from adapters.slack.http import mount
from adapters.slack.render import render
from adapters.slack.setup import SlackConfig, SlackSide
from core import messages
from core.commands import (
    Cancel,
    Command,
    DeleteMe,
    History,
    PrivacyExport,
    PrivacyInfo,
)
from core.identity import Identity, Requester
from core.model import ReplyAddress
from core.replies import Document, Private, Reply, Section, Text
from tests.adapters.replies import CATALOG, CODEC, OWNER
from tests.adapters.slack.samples import DELETE_ME, NOTICE, PRIVACY, gallery
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM, Message
from tests.fakes.slack_server import slack_server as fake_slack
from tests.integration.slack_harness import (
    SIGNING_SECRET,
    USER,
    SlackRig,
    SlackSender,
    eventually,
    slack_rig,
)

DEADLINE = 3.0  # Slack's: every request acknowledged within three seconds
MALLORY = "U0MALLORY"


# --- the Slack side in front of a stand-in for core -----------------------------------
@dataclass
class CoreStub:
    """Stands in for core's ``Bot``: records each command that reaches it and answers it
    as the test says (core's own answers are tested in tests/unit)."""

    answers: Mapping[type[Command], Reply]
    actions: Any = CODEC
    reached: list[Command] = field(default_factory=list)

    async def handle(
        self, requester: Requester, command: Command, address: ReplyAddress, key: str | None = None
    ) -> Reply:
        self.reached.append(command)
        return self.answers[type(command)]

    async def readdress(self, job_id: str, address: ReplyAddress) -> bool:
        return True


@dataclass
class StubRig(SlackSender):
    core: CoreStub = field(default_factory=lambda: CoreStub({}))
    delivery: SlackDelivery | None = None

    def answered(self, count: int) -> Callable[[], bool]:
        return lambda: len(self.responses()) >= count

    def responses(self) -> list[Message]:
        return [m for m in self.slack.messages if m.via == "response_url"]


@asynccontextmanager
async def stub_rig(answers: Mapping[type[Command], Reply]) -> AsyncIterator[StubRig]:
    async with fake_slack() as slack:
        channel = slack.add_channel(DEFAULT_TEAM, "marketing", members=(USER,)).id
        config = SlackConfig(
            api_url=slack.api_url,
            secret="test-secret",
            bot_token=DEFAULT_BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
        )
        side = SlackSide(config, engine=None, files=None)  # type: ignore[arg-type]
        core = CoreStub(answers)
        web_app = web.Application()
        mount(web_app.router, side.bolt_app(core, CATALOG))  # type: ignore[arg-type]
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            events = f"http://{host}:{port}/slack/events"
            yield StubRig(slack, events, channel, core=core, delivery=side.delivery)
        finally:
            await runner.cleanup()


def section_texts(message: Message) -> str:
    return "\n".join(
        block["text"]["text"] for block in message.blocks or () if block["type"] == "section"
    )


def buttons(message: Message) -> list[dict[str, Any]]:
    return [
        element
        for block in message.blocks or ()
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_privacy_export_reaches_core_and_its_link_comes_back_to_the_requester_alone() -> None:
    export = Private("Your data is ready for 24 hours.", link="https://aioe.example/x/zip.token")
    async with stub_rig({PrivacyExport: export}) as rig:
        status, took = await rig.command("/privacy", "export")
        assert status == 200 and took < DEADLINE
        await eventually(rig.answered(1))
        assert rig.core.reached == [PrivacyExport()]
        (answer,) = rig.responses()
        assert answer.ephemeral_to == USER
        assert "<https://aioe.example/x/zip.token|Open link>" in section_texts(answer)


async def test_history_2_reaches_core_as_page_2_and_the_page_comes_back_privately() -> None:
    async with stub_rig({History: gallery(page=2)}) as rig:
        status, took = await rig.command("/history", "2")
        assert status == 200 and took < DEADLINE
        await eventually(rig.answered(1))
        assert rig.core.reached == [History(page=2)]
        (answer,) = rig.responses()
        assert answer.ephemeral_to == USER
        shown = section_texts(answer)
        assert "page 2 of 3, 24 in all" in shown and "`/history 3`" in shown
        assert shown.count("|Open full size>") == 10


async def test_delete_me_reaches_core_and_its_confirmation_is_a_dangerous_private_button() -> None:
    async with stub_rig({DeleteMe: DELETE_ME}) as rig:
        status, took = await rig.command("/delete-me", "")
        assert status == 200 and took < DEADLINE
        await eventually(rig.answered(1))
        assert rig.core.reached == [DeleteMe()]
        (answer,) = rig.responses()
        assert answer.ephemeral_to == USER
        (button,) = buttons(answer)
        assert (button["action_id"], button["style"]) == ("aioe.confirm", "danger")
        assert button["confirm"]["confirm"]["text"] == "Delete my account"
        pressed = CODEC.decode(button["value"])
        assert (pressed.command, pressed.owner) == (DeleteMe(code="K3M9X2"), OWNER)


async def test_the_privacy_summary_reaches_the_requester_whole_within_slacks_limits() -> None:
    async with stub_rig({PrivacyInfo: PRIVACY}) as rig:
        await rig.command("/privacy", "")
        await eventually(rig.answered(1))
        assert rig.core.reached == [PrivacyInfo()]
        (answer,) = rig.responses()  # the fake refuses a section over 3,000 characters
        assert answer.ephemeral_to == USER
        assert answer.blocks is not None and answer.blocks[0]["type"] == "header"
        shown = section_texts(answer).split()
        assert shown.count("month.") == sum(s.body.count("month.") for s in PRIVACY.sections)


async def test_a_summary_too_long_for_one_message_arrives_in_order_in_several() -> None:
    long = Document("All of it", tuple(Section(f"Part {n}", f"Line {n}. " * 300) for n in range(8)))
    async with stub_rig({PrivacyInfo: long}) as rig:
        expected = 1 + len(render(long, CODEC).continued)
        assert expected >= 2
        await rig.command("/aioe", "privacy")
        await eventually(rig.answered(expected))
        answers = rig.responses()
        assert all(answer.ephemeral_to == USER for answer in answers)
        shown = "\n".join(section_texts(answer) for answer in answers)
        assert [f"*Part {n}*" in shown for n in range(8)] == [True] * 8
        assert shown.index("*Part 7*") > shown.index("*Part 0*")
        assert shown.count("Line 5.") == 300


async def test_a_public_replys_notice_goes_first_and_only_to_the_requester() -> None:
    cancelled = Text("Job job_a was cancelled; your 4 credits were returned.", notice=NOTICE)
    async with stub_rig({Cancel: cancelled}) as rig:
        await rig.command("/aioe", "cancel job_a")
        await eventually(rig.answered(2))
        told, public = rig.responses()
        assert told.ephemeral_to == USER and "privacy policy changed" in section_texts(told)
        assert public.ephemeral_to is None and "cancelled" in public.text
        assert "privacy policy" not in public.text + section_texts(public)


async def test_a_private_replys_notice_opens_the_same_message() -> None:
    empty = dataclasses.replace(gallery(page=1, pages=1, total=0), notice=NOTICE)
    async with stub_rig({History: empty}) as rig:
        await rig.command("/history", "")
        await eventually(rig.answered(1))
        (answer,) = rig.responses()
        assert answer.ephemeral_to == USER
        assert answer.blocks is not None
        assert answer.blocks[0]["text"]["text"].startswith(":information_source: Our privacy")
        assert section_texts(answer).endswith("You have no images yet; /imagine makes some.")


async def test_a_delivered_public_reply_posts_its_notice_ephemerally_before_it() -> None:
    async with stub_rig({}) as rig:
        assert rig.delivery is not None
        fields = slack_fields(team=DEFAULT_TEAM, channel=rig.channel, user=USER)
        await rig.delivery.deliver(
            ReplyAddress("slack", fields=fields), Text("Done.", notice=NOTICE)
        )
        methods = [c.method for c in rig.slack.calls if c.method.startswith("chat.")]
        assert methods == ["chat.postEphemeral", "chat.postMessage"]
        told, public = rig.slack.messages_in(rig.channel)
        assert told.ephemeral_to == USER and "privacy policy" in told.text
        assert public.ephemeral_to is None and public.text == "Done."


async def test_a_notice_for_someone_who_left_the_channel_goes_to_their_direct_messages() -> None:
    async with stub_rig({}) as rig:
        assert rig.delivery is not None
        rig.slack.channels[rig.channel].members.discard(USER)
        fields = slack_fields(team=DEFAULT_TEAM, channel=rig.channel, user=USER)
        await rig.delivery.deliver(
            ReplyAddress("slack", fields=fields), Text("Done.", notice=NOTICE)
        )
        direct = rig.slack.dm_with(DEFAULT_TEAM, USER)
        assert direct is not None
        (told,) = rig.slack.messages_in(direct.id)
        assert "privacy policy" in told.text and told.ephemeral_to is None
        (public,) = rig.slack.messages_in(rig.channel)
        assert public.text == "Done." and public.ephemeral_to is None


# --- the whole bot: core decides whose button it is -------------------------------------
@pytest.fixture
async def rig(tmp_path: Path, database_url: str) -> AsyncIterator[SlackRig]:
    async with slack_rig(tmp_path, database_url) as made:
        yield made


def press(rig: SlackRig, user: str, button: dict[str, Any], shown_in: Message) -> dict[str, Any]:
    """A ``block_actions`` payload as Slack sends it when ``user`` presses ``button``."""
    return {
        "type": "block_actions",
        "team": {"id": DEFAULT_TEAM, "domain": "example"},
        "enterprise": None,
        "user": {"id": user, "username": user, "name": user, "team_id": DEFAULT_TEAM},
        "api_app_id": rig.slack.app_id,
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": shown_in.ts,
            "channel_id": rig.channel,
            "is_ephemeral": True,
        },
        "trigger_id": rig.slack.trigger_id(DEFAULT_TEAM, user),
        "channel": {"id": rig.channel, "name": "marketing"},
        "response_url": rig.slack.response_url(
            DEFAULT_TEAM, rig.channel, user, message_ts=shown_in.ts
        ),
        "actions": [{**button, "block_id": "b", "action_ts": str(time.time())}],
    }


async def account_exists(rig: SlackRig, user: str) -> bool:
    async with rig.bot.uow_factory(readonly=True) as uow:
        return await uow.accounts.find(Identity("slack", DEFAULT_TEAM, user)) is not None


async def test_the_delete_me_button_works_for_the_requester_and_no_one_else(
    rig: SlackRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached: list[Command] = []
    handle = rig.bot.bot.handle

    async def recording(who: Requester, command: Command, *args: Any, **kwargs: Any) -> Reply:
        reached.append(command)
        return await handle(who, command, *args, **kwargs)

    monkeypatch.setattr(rig.bot.bot, "handle", recording)
    await rig.command("/delete-me", "")
    await eventually(lambda: any(buttons(m) for m in rig.slack.messages))
    (confirm,) = [m for m in rig.slack.messages if buttons(m)]
    assert confirm.ephemeral_to == USER  # only the requester sees the button
    (button,) = buttons(confirm)
    assert button["style"] == "danger" and "confirm" in button

    rig.slack.add_user(DEFAULT_TEAM, MALLORY, name="mallory")
    rig.slack.channels[rig.channel].members.add(MALLORY)
    status, took = await rig.interaction(press(rig, MALLORY, button, confirm))
    assert status == 200 and took < DEADLINE
    await eventually(lambda: any(m.ephemeral_to == MALLORY for m in rig.slack.messages))
    (refused,) = [m for m in rig.slack.messages if m.ephemeral_to == MALLORY]
    assert messages.ACTION_NOT_YOURS in refused.text
    assert reached == [DeleteMe()]  # Mallory's press never reached a command
    assert buttons(confirm) == [button]
    assert await account_exists(rig, USER)

    await rig.interaction(press(rig, USER, button, confirm))
    await eventually(lambda: messages.ERASED in confirm.text)  # the button gave way to it
    assert confirm.ephemeral_to == USER and not buttons(confirm)
    assert len(reached) == 2 and isinstance(reached[1], DeleteMe) and reached[1].code
    assert not await account_exists(rig, USER)


async def test_the_privacy_summary_from_core_passes_slacks_checks(rig: SlackRig) -> None:
    await rig.command("/privacy", "")
    await eventually(lambda: any(m.via == "response_url" for m in rig.slack.messages))
    answers = [m for m in rig.slack.messages if m.via == "response_url"]
    assert answers and all(m.ephemeral_to == USER for m in answers)
    assert answers[0].blocks is not None and answers[0].blocks[0]["type"] == "header"
    assert not [c for c in rig.slack.calls if c.error]


async def test_an_empty_history_says_so_privately(rig: SlackRig) -> None:
    await rig.command("/history", "")
    await eventually(lambda: any(m.via == "response_url" for m in rig.slack.messages))
    (answer,) = [m for m in rig.slack.messages if m.via == "response_url"]
    assert answer.ephemeral_to == USER
    assert "You have no images yet" in section_texts(answer)
