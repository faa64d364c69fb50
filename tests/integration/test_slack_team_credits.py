"""Team credits in Slack end to end: signed commands and mentions in, users.info asked for
the admin's settings only, the answers out through the fake Slack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import messages
from core.identity import Requester
from tests.fakes.slack_server import DEFAULT_TEAM, Message
from tests.harness import count_rows, fund_team
from tests.integration.slack_harness import USER, SlackRig, eventually, photo_event, slack_rig

MEMBER = USER  # the harness's person, who sends the photos
ADMIN = "U0ADMIN01"


@pytest.fixture
async def rig(tmp_path: Path, database_url: str) -> AsyncIterator[SlackRig]:
    async with slack_rig(tmp_path, database_url) as made:
        made.slack.add_user(DEFAULT_TEAM, ADMIN, name="ada", role="admin")
        made.slack.channels[made.channel].members.add(ADMIN)
        yield made


def answers_to(rig: SlackRig, user: str) -> list[Message]:
    return [m for m in rig.slack.messages if m.via == "response_url" and m.ephemeral_to == user]


async def says(rig: SlackRig, user: str, command: str, text: str) -> str:
    """A slash command's private answer, text and blocks as one string."""
    before = len(answers_to(rig, user))
    status, _ = await rig.command(command, text, user)
    assert status == 200
    await eventually(lambda: len(answers_to(rig, user)) > before)
    answer = answers_to(rig, user)[-1]
    return answer.text + json.dumps(answer.blocks or [])


async def mentions(rig: SlackRig, text: str, event_id: str) -> str:
    """The member mentions the bot with a photo; the thread it is answered in."""
    bot = rig.slack.bot_user_id(DEFAULT_TEAM)
    event, thread = photo_event(rig.slack, rig.channel, f"<@{bot}> {text}")
    status, _ = await rig.event(event, event_id)
    assert status == 200
    await eventually(lambda: any(m.thread_ts == thread for m in rig.slack.messages))
    return thread


def said_in(rig: SlackRig, thread: str) -> str:
    return "\n".join(m.text for m in rig.slack.messages if m.thread_ts == thread)


async def test_an_admin_shares_and_caps_and_a_member_is_refused_the_sixth_team_credit(
    rig: SlackRig,
) -> None:
    team = await fund_team(rig.bot, Requester("slack", DEFAULT_TEAM, ADMIN, "ada"))
    refused = await says(rig, MEMBER, "/credits", "share on")
    assert messages.TEAM_ONLY_MANAGERS in refused
    assert messages.TEAM_SHARING_NOW_ON in await says(rig, ADMIN, "/credits", "share on")
    capped = await says(rig, ADMIN, "/aioe", "credits cap 5")
    assert messages.TEAM_CAP_SET.format(cap=5) in capped
    assert "the team's" in await says(rig, MEMBER, "/credits", "use team")

    first = await mentions(rig, "--n 4", "EvTeam1")
    second = await mentions(rig, "", "EvTeam2")
    sixth = await mentions(rig, "", "EvTeam3")
    await eventually(lambda: "5 credits a month" in said_in(rig, sixth))
    assert "used 5" in said_in(rig, sixth)
    assert "5 credits a month" not in said_in(rig, first) + said_in(rig, second)
    assert await rig.count("jobs") == 2

    # Only the admin's settings asked Slack who someone is, and the admin's answer was
    # remembered between share and cap.
    asked = [call.args["user"] for call in rig.slack.calls_to("users.info")]
    assert asked == [MEMBER, ADMIN]
    # The team paid; the member's own credits are untouched.
    assert "10" in await says(rig, MEMBER, "/credits", "")
    shown = await says(rig, MEMBER, "/credits", "team")
    assert "45 credits" in shown and "used 5" in shown
    assert await count_rows(rig.bot, "ledger", f"wallet_id = '{team}' AND amount < 0") == 2


async def test_without_users_read_an_admin_is_told_cores_sentence(rig: SlackRig) -> None:
    """An app installed before the scope was added: nobody can be recognised as an admin,
    and the admin reads why not rather than nothing."""
    rig.slack.tokens[rig.slack.bot_token(DEFAULT_TEAM)].scopes -= {"users:read"}
    refused = await says(rig, ADMIN, "/credits", "cap 3")
    assert messages.TEAM_ONLY_MANAGERS in refused
    assert [call.error for call in rig.slack.calls_to("users.info")] == ["missing_scope"]
