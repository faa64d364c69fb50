"""Team credits: a workspace's shared wallet, spent by members when a manager lets them,
up to a monthly cap each; personal and team balances stay apart in the ledger."""

from __future__ import annotations

from pathlib import Path

from adapters.console.translate import translate
from bot.bootstrap import App
from core.errors import BadInput
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Document, Error, Private, Progress, Reply, Statement
from tests.harness import Chat, count_rows, fund_team, product_photo

TEAM = "T0TEAMS"
ADMIN = Requester("slack", TEAM, "U0ADMIN", "Ada", manager=True)
MEMBER = Requester("slack", TEAM, "U0MEMBER", "Bo")


async def say(chat: Chat, requester: Requester, line: str) -> Reply:
    try:
        command = await translate(line)
    except BadInput as error:
        return Error(error.message)
    address = ReplyAddress("console", endpoint=chat.endpoint, fields={"user_id": requester.user_id})
    return await chat.app.bot.handle(requester, command, address)


async def test_a_member_cap_refuses_the_sixth_credit_with_a_sentence_naming_it(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    team = await fund_team(app, ADMIN)
    photo = tmp_path / "mug.png"
    photo.write_bytes(product_photo())
    assert isinstance(await say(chat, ADMIN, "/credits share on"), Private)
    assert isinstance(await say(chat, ADMIN, "/credits cap 5"), Private)
    assert isinstance(await say(chat, MEMBER, "/credits use team"), Private)

    assert isinstance(await say(chat, MEMBER, f"/imagine --image {photo} --n 4"), Progress)
    assert isinstance(await say(chat, MEMBER, f"/imagine --image {photo}"), Progress)
    sixth = await say(chat, MEMBER, f"/imagine --image {photo}")
    assert isinstance(sixth, Error)
    assert "5 credits a month" in sixth.text and "used 5" in sixth.text
    await chat.run_jobs()

    # The team paid, the member's own credits are untouched, and the ledger keeps them apart.
    own = await say(chat, MEMBER, "/credits")
    assert isinstance(own, Statement) and own.balance == 10
    shown = await say(chat, MEMBER, "/credits team")
    assert isinstance(shown, Document)
    assert "45 credits" in shown.sections[0].body and "used 5" in shown.sections[2].body
    assert await count_rows(app, "ledger", f"wallet_id = '{team}' AND kind = 'purchase'") == 1
    # Back to personal: spending works again, from the person's own credits.
    await say(chat, MEMBER, "/credits use personal")
    assert isinstance(await say(chat, MEMBER, f"/imagine --image {photo}"), Progress)
    own = await say(chat, MEMBER, "/credits")
    assert isinstance(own, Statement) and own.balance == 9


async def test_members_spend_their_own_until_a_manager_shares(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    await fund_team(app, ADMIN)
    photo = tmp_path / "mug.png"
    photo.write_bytes(product_photo())
    waiting = await say(chat, MEMBER, "/credits use team")
    assert isinstance(waiting, Private) and "once a manager" in waiting.text
    await say(chat, MEMBER, f"/imagine --image {photo}")
    own = await say(chat, MEMBER, "/credits")
    assert isinstance(own, Statement) and own.balance == 9  # from their own, not the team's


async def test_only_managers_change_the_rules_or_buy_for_the_team(chat: Chat, app: App) -> None:
    for line in ("/credits share on", "/credits cap 3"):
        refused = await say(chat, MEMBER, line)
        assert isinstance(refused, Error) and "Only a workspace admin" in refused.text
    bad = await say(chat, ADMIN, "/credits use everyone")
    assert isinstance(bad, Error) and "team or personal" in bad.text


async def test_the_terminal_has_no_team(chat: Chat) -> None:
    answer = await chat.say("/credits team")
    assert isinstance(answer, Error) and "Slack workspace or Discord server" in answer.text
