"""A workspace's admins and owners manage its shared credits; Slack's users.info says who."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack.delivery import SlackWeb
from adapters.slack.installs import FixedToken
from adapters.slack.managers import WorkspaceManagers, needs_manager
from core.commands import (
    Buy,
    CapCredits,
    Command,
    Imagine,
    ShareCredits,
    ShowCredits,
    TeamCredits,
    UseCredits,
)
from core.identity import Requester
from tests.fakes.slack_server import FakeSlack, slack_server

TEAM, BOT = "T0001", "xoxb-T0001-test"
FIELDS = {"team": TEAM, "channel": "C0001", "user": "U0MEMBER1"}
MEMBER, ADMIN = "U0MEMBER1", "U0ADMIN01"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class NotInstalled:
    async def token_for(self, *, team_id: str | None, enterprise_id: str | None) -> str | None:
        return None


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with slack_server(tokens={TEAM: BOT}) as fake:
        fake.add_user(TEAM, MEMBER, name="bo")
        fake.add_user(TEAM, ADMIN, name="ada", role="admin")
        yield fake


def managers(slack: FakeSlack, token: str = BOT, clock: Clock | None = None) -> WorkspaceManagers:
    return WorkspaceManagers(SlackWeb(FixedToken(token), slack.api_url), clock=clock or Clock())


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        (ShareCredits(on=True), True),
        (CapCredits(limit=5), True),
        (CapCredits(limit=None), True),
        (Buy(item="starter", team=True), True),
        (Buy(item="starter"), False),
        (Buy(), False),
        (TeamCredits(), False),
        (UseCredits("team"), False),
        (ShowCredits(), False),
        (Imagine(prompt="a mug"), False),
    ],
)
def test_only_sharing_the_cap_and_buying_for_the_team_need_a_manager(
    command: Command, needs: bool
) -> None:
    assert needs_manager(command) is needs


@pytest.mark.parametrize(
    ("role", "manager"),
    [("member", False), ("admin", True), ("owner", True), ("primary_owner", True)],
)
async def test_admins_and_owners_are_managers_and_members_are_not(
    slack: FakeSlack, role: str, manager: bool
) -> None:
    slack.add_user(TEAM, "U0SOMEONE", role=role)
    assert await managers(slack).is_manager(FIELDS, "U0SOMEONE") is manager
    (call,) = slack.calls_to("users.info")
    assert (call.token, call.args["user"], call.ok) == (BOT, "U0SOMEONE", True)


async def test_a_manager_command_marks_the_requester_and_others_ask_nothing(
    slack: FakeSlack,
) -> None:
    asking = managers(slack)
    admin = Requester("slack", TEAM, ADMIN, "ada")
    member = Requester("slack", TEAM, MEMBER, "bo")

    assert (await asking.requester(admin, TeamCredits(), FIELDS)).manager is False
    assert (await asking.requester(admin, UseCredits("team"), FIELDS)).manager is False
    assert slack.calls_to("users.info") == []  # nobody was looked up for those

    marked = await asking.requester(admin, ShareCredits(on=True), FIELDS)
    assert marked == Requester("slack", TEAM, ADMIN, "ada", manager=True)
    assert (await asking.requester(member, CapCredits(limit=5), FIELDS)).manager is False
    bought = await asking.requester(admin, Buy(item="starter", team=True), FIELDS)
    assert bought.manager is True


async def test_an_answer_is_remembered_for_a_minute_per_person(slack: FakeSlack) -> None:
    clock = Clock()
    asking = managers(slack, clock=clock)
    assert await asking.is_manager(FIELDS, ADMIN)
    slack.add_user(TEAM, ADMIN, role="member")  # demoted
    clock.now += 59
    assert await asking.is_manager(FIELDS, ADMIN)  # remembered
    assert not await asking.is_manager(FIELDS, MEMBER)
    assert len(slack.calls_to("users.info")) == 2
    clock.now += 2
    assert not await asking.is_manager(FIELDS, ADMIN)  # asked again after a minute
    assert len(slack.calls_to("users.info")) == 3


async def test_an_unknown_person_is_no_manager(slack: FakeSlack) -> None:
    assert not await managers(slack).is_manager(FIELDS, "U0NOBODY1")
    (call,) = slack.calls_to("users.info")
    assert call.error == "user_not_found"


async def test_without_users_read_nobody_is_a_manager(slack: FakeSlack) -> None:
    slack.add_token(TEAM, "xoxb-T0001-old", scopes={"chat:write", "commands"})
    assert not await managers(slack, "xoxb-T0001-old").is_manager(FIELDS, ADMIN)
    (call,) = slack.calls_to("users.info")
    assert call.error == "missing_scope"


async def test_a_revoked_token_or_no_installation_is_no_manager(slack: FakeSlack) -> None:
    slack.revoke(BOT)
    assert not await managers(slack).is_manager(FIELDS, ADMIN)
    assert slack.calls_to("users.info")[0].error == "token_revoked"
    uninstalled = WorkspaceManagers(SlackWeb(NotInstalled(), slack.api_url))
    assert not await uninstalled.is_manager(FIELDS, ADMIN)


async def test_a_failure_is_not_remembered(slack: FakeSlack) -> None:
    asking = managers(slack)
    assert not await asking.is_manager(FIELDS, "U0NEWADMIN")  # user_not_found
    slack.add_user(TEAM, "U0NEWADMIN", role="admin")  # Slack knows them now
    assert await asking.is_manager(FIELDS, "U0NEWADMIN")  # so it is asked again
    assert [call.error for call in slack.calls_to("users.info")] == ["user_not_found", None]


async def test_slack_out_of_reach_is_no_manager(slack: FakeSlack) -> None:
    gone = WorkspaceManagers(SlackWeb(FixedToken(BOT), "http://127.0.0.1:9/api/"))
    assert not await gone.is_manager(FIELDS, ADMIN)
