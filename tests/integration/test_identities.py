"""One person, one account per platform identity: Discord ids are global, Slack's are
per workspace (or per Enterprise Grid organisation)."""

from __future__ import annotations

from adapters.discord.identity import requester as discord_requester
from adapters.slack.identity import requester as slack_requester
from bot.bootstrap import App
from core.commands import ShowCredits
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Statement
from tests.adapters.payloads import payload


async def credits_of(app: App, requester: Requester) -> tuple[str, Statement]:
    account = await app.bot.open_account(requester)
    reply = await app.bot.handle(requester, ShowCredits(), ReplyAddress(requester.platform))
    assert isinstance(reply, Statement)
    return account.id, reply


async def test_the_same_discord_user_in_two_guilds_has_one_account_and_one_grant(
    app: App,
) -> None:
    in_one = discord_requester(payload("discord", "guild_command"))
    in_other = discord_requester(payload("discord", "guild_command", guild_id="8008"))
    in_dm = discord_requester(payload("discord", "dm_command"))
    assert in_one.tenant != in_other.tenant
    seen = [await credits_of(app, who) for who in (in_one, in_other, in_dm)]
    assert len({account for account, _ in seen}) == 1
    _, statement = seen[-1]
    assert statement.balance == 10
    assert [line.kind for line in statement.lines] == ["grant"]


async def test_a_slack_user_in_two_workspaces_has_two_accounts(app: App) -> None:
    here = slack_requester(payload("slack", "slash_command"))
    there = slack_requester(payload("slack", "slash_command", team_id="T0009"))
    (first, a), (second, b) = [await credits_of(app, who) for who in (here, there)]
    assert first != second
    assert a.balance == b.balance == 10


async def test_a_grid_user_has_one_account_across_the_organisations_workspaces(
    app: App,
) -> None:
    grid = payload("slack", "grid_message")
    elsewhere = {**grid, "team_id": "T0009", "event": {**grid["event"], "team": "T0009"}}
    (first, _), (second, statement) = [
        await credits_of(app, slack_requester(p)) for p in (grid, elsewhere)
    ]
    assert first == second
    assert [line.kind for line in statement.lines] == ["grant"]
