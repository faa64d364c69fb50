"""Slack installs over OAuth: the install page, the redirect that keeps a workspace's token
encrypted, mentions answered with that token, and uninstalls that forget it."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack.setup import SCOPES
from adapters.sql.tables import slack_bots, slack_installations
from bot.bootstrap import App
from core.messages import LEDGER_GONE
from tests.fakes.slack_server import FakeSlack, SlackFile, slack_server
from tests.harness import count_rows, product_photo
from tests.integration.slack_harness import (
    eventually,
    serving,
    signed_headers,
)

CLIENT_ID = "4110000000001.5220000000002"
CLIENT_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
ACME, GLOBEX = "T0ACME001", "T0GLOBEX1"
ADMIN, USER = "U0ADMIN01", "U0STEVE01"
STATE_COOKIE = "slack-app-oauth-state"
AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
DEADLINE = 3.0

#: slack_sdk sends oauth.v2.access's client credentials with ``aiohttp.BasicAuth``, which
#: aiohttp 3.14 deprecates; the header it makes is still HTTP Basic, as Slack wants.
pytestmark = pytest.mark.filterwarnings(
    "ignore:BasicAuth is deprecated:DeprecationWarning:slack_sdk.web.async_base_client"
)


@dataclass
class InstallPage:
    """What ``GET /slack/install`` gave the installer's browser."""

    status: int
    body: str
    link: str
    state: str
    cookie: str

    @property
    def asked(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.link).query, keep_blank_values=True)


@dataclass
class OAuthRig:
    """The bot installed by OAuth (no bot token), behind its HTTP server, and a fake Slack
    with two workspaces where the app is not installed yet."""

    slack: FakeSlack
    url: str
    app: App
    channels: dict[str, str]

    async def install_page(self) -> InstallPage:
        async with (
            aiohttp.ClientSession() as browser,
            browser.get(f"{self.url}/slack/install", allow_redirects=False) as page,
        ):
            body = await page.text()
            found = re.search(r'<a href="([^"]+)"', body)
            link = html.unescape(found.group(1)) if found else ""
            cookie = page.cookies.get(STATE_COOKIE)
            state = parse_qs(urlsplit(link).query).get("state", [""])[0]
            return InstallPage(page.status, body, link, state, cookie.value if cookie else "")

    async def redirect(self, code: str, state: str, cookie: str | None) -> tuple[int, str]:
        """The installer's browser back from Slack's authorize page."""
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
        query = {"code": code, "state": state}
        async with (
            aiohttp.ClientSession() as browser,
            browser.get(
                f"{self.url}/slack/oauth_redirect", params=query, headers=headers
            ) as answer,
        ):
            return answer.status, await answer.text()

    async def install(self, team: str) -> str:
        """The whole flow, as an admin of ``team`` who approves what the link asks for;
        returns the bot token Slack granted."""
        page = await self.install_page()
        scopes = page.asked["scope"][0].split(",")
        code = self.slack.oauth_code(team, ADMIN, scopes)
        status, body = await self.redirect(code, page.state, page.cookie)
        assert status == 200, body
        return self.slack.grants[-1].bot_token

    async def event(self, team: str, event: dict[str, Any], event_id: str) -> int:
        """An Events API request from ``team``, signed as Slack signs it."""
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": self.slack.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": team,
                        "user_id": self.slack.bot_user_id(team),
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
            }
        )
        started = time.perf_counter()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.url}/slack/events",
                data=body.encode(),
                headers=signed_headers(body, "application/json"),
            ) as answer,
        ):
            await answer.read()
        assert time.perf_counter() - started < DEADLINE
        return answer.status

    async def mention_with_photo(self, team: str, event_id: str) -> str:
        """A member of ``team`` mentions the bot on a photo; returns the thread's ``ts``."""
        channel = self.channels[team]
        text = f"<@{self.slack.bot_user_id(team)}> --format square"
        asked = self.slack.add_user_message(team, channel, USER, text)
        photo = self.slack.add_user_file(team, product_photo(), "box.png", "image/png", user=USER)
        event = {
            "type": "app_mention",
            "team": team,
            "user": USER,
            "text": text,
            "ts": asked.ts,
            "channel": channel,
            "event_ts": asked.ts,
            "files": [photo],
        }
        assert await self.event(team, event, event_id) == 200
        return asked.ts

    def bot_said(self, team: str, thread: str) -> bool:
        bot = self.slack.bot_user_id(team)
        return any(
            m.user == bot for m in self.slack.messages_in(self.channels[team], thread_ts=thread)
        )

    def uploads_in(self, team: str, thread: str) -> list[SlackFile]:
        channel = self.channels[team]
        return [
            u
            for u in self.slack.uploads
            if u.completed and (u.channel, u.thread_ts) == (channel, thread)
        ]

    async def finish_jobs(self) -> int:
        return await self.app.worker("installs-test-worker").drain()

    async def rows(self, table: str, team: str) -> int:
        return await count_rows(self.app, table, f"team_id = '{team}'")


@pytest.fixture
async def rig(tmp_path: Path, database_url: str) -> AsyncIterator[OAuthRig]:
    async with slack_server(tokens={}) as slack:
        slack.add_oauth_client(CLIENT_ID, CLIENT_SECRET)
        channels = {}
        for team in (ACME, GLOBEX):
            slack.add_workspace(team)
            channels[team] = slack.add_channel(team, "marketing", members=(USER,)).id
        async with serving(
            tmp_path,
            database_url,
            slack,
            slack_bot_token=None,
            slack_client_id=CLIENT_ID,
            slack_client_secret=CLIENT_SECRET,
        ) as (app, url):
            yield OAuthRig(slack, url, app, channels)


async def test_the_install_page_links_to_slacks_authorize_page_with_a_state_in_a_cookie(
    rig: OAuthRig,
) -> None:
    page = await rig.install_page()
    assert page.status == 200 and 'alt="Add to Slack"' in page.body
    assert page.link.startswith(AUTHORIZE_URL + "?")
    assert page.asked["client_id"] == [CLIENT_ID]
    assert sorted(page.asked["scope"][0].split(",")) == sorted(SCOPES)
    assert page.state and page.cookie == page.state
    assert await count_rows(rig.app, "slack_oauth_states") == 1


async def test_an_approved_install_keeps_the_workspaces_bot_token_encrypted(
    rig: OAuthRig,
) -> None:
    page = await rig.install_page()
    code = rig.slack.oauth_code(ACME, ADMIN, page.asked["scope"][0].split(","))
    status, body = await rig.redirect(code, page.state, page.cookie)

    assert status == 200 and "Thank you!" in body
    assert f"slack://app?team={ACME}&amp;id={rig.slack.app_id}" in body
    (grant,) = rig.slack.grants
    assert (grant.team_id, grant.user_id, grant.client_id) == (ACME, ADMIN, CLIENT_ID)
    (exchange,) = rig.slack.calls_to("oauth.v2.access")
    assert exchange.ok and exchange.token is None  # the client authenticated, not a token
    assert [c.token for c in rig.slack.calls_to("auth.test")] == [grant.bot_token]
    assert await rig.rows("slack_bots", ACME) == 1
    assert await rig.rows("slack_installations", ACME) == 1
    assert await count_rows(rig.app, "slack_oauth_states") == 0  # the state was used up
    async with rig.app.engine.connect() as connection:
        stored = [
            row._asdict()
            for table in (slack_bots, slack_installations)
            for row in await connection.execute(select(table))
        ]
    assert len(stored) == 2
    assert all(row["bot_user_id"] == rig.slack.bot_user_id(ACME) for row in stored)
    assert grant.bot_token not in repr(stored)


async def test_a_mention_from_an_installed_workspace_is_answered_with_that_workspaces_token(
    rig: OAuthRig,
) -> None:
    acme_token = await rig.install(ACME)
    await rig.install(GLOBEX)

    thread = await rig.mention_with_photo(ACME, "EvInstall01")
    await eventually(lambda: rig.bot_said(ACME, thread))
    assert await rig.finish_jobs() == 1

    (upload,) = rig.uploads_in(ACME, thread)
    assert upload.team_id == ACME and upload.data.startswith(b"\x89PNG")
    (download,) = rig.slack.downloads
    assert download.token == acme_token and download.served
    team_calls = [c for c in rig.slack.calls if c.method.startswith(("chat.", "files."))]
    assert team_calls and {c.token for c in team_calls} == {acme_token}


async def test_a_redirect_without_the_installers_cookie_installs_nothing(rig: OAuthRig) -> None:
    page = await rig.install_page()
    code = rig.slack.oauth_code(ACME, ADMIN)

    status, body = await rig.redirect(code, page.state, cookie=None)
    assert status == 400 and "invalid_browser" in body
    status, body = await rig.redirect(code, page.state, cookie="someone-elses-state")
    assert status == 400 and "invalid_browser" in body

    assert rig.slack.calls_to("oauth.v2.access") == []
    assert await count_rows(rig.app, "slack_bots") == 0


async def test_a_code_used_once_installs_nothing_the_second_time(rig: OAuthRig) -> None:
    page = await rig.install_page()
    code = rig.slack.oauth_code(ACME, ADMIN)
    assert (await rig.redirect(code, page.state, page.cookie))[0] == 200

    again = await rig.install_page()
    status, body = await rig.redirect(code, again.state, again.cookie)

    assert status == 401 and "invalid_code" in body
    assert [c.error for c in rig.slack.calls_to("oauth.v2.access")] == [None, "invalid_code"]
    assert await count_rows(rig.app, "slack_bots") == 1


async def test_a_state_is_used_once(rig: OAuthRig) -> None:
    page = await rig.install_page()
    first, second = rig.slack.oauth_code(ACME, ADMIN), rig.slack.oauth_code(ACME, ADMIN)
    assert (await rig.redirect(first, page.state, page.cookie))[0] == 200

    status, body = await rig.redirect(second, page.state, page.cookie)

    assert status == 401 and "invalid_state" in body
    assert len(rig.slack.calls_to("oauth.v2.access")) == 1


# --- uninstalls and revoked tokens ------------------------------------------------------


async def forgotten(rig: OAuthRig, team: str, *tables: str) -> bool:
    """Whether ``tables`` hold no row of ``team`` (bolt's listener deletes them after the
    ack, like any event listener)."""
    return all([await rig.rows(table, team) == 0 for table in tables])


async def pending_reply(rig: OAuthRig, team: str, event_id: str) -> str:
    """A photo mention from ``team`` whose job is queued and whose progress message is
    posted; returns its thread."""
    thread = await rig.mention_with_photo(team, event_id)
    await eventually(lambda: rig.bot_said(team, thread))
    return thread


async def its_job_is_cancelled_and_refunded(rig: OAuthRig, team: str, thread: str) -> None:
    """The workspace removed the bot: its queued job is cancelled, its credits returned,
    and nothing more is made or sent there."""
    await eventually(
        lambda: count_rows(rig.app, "jobs", "status = 'cancelled' AND undeliverable_at IS NOT NULL")
    )
    assert (
        await count_rows(rig.app, "ledger", f"kind = 'release' AND reason = '{LEDGER_GONE}'") == 1
    )
    assert await rig.finish_jobs() == 0
    assert rig.uploads_in(team, thread) == []
    assert [c for c in rig.slack.calls if c.error == "token_revoked"] == []  # not even tried


async def test_an_uninstall_forgets_that_workspace_and_cancels_its_jobs(
    rig: OAuthRig,
) -> None:
    await rig.install(ACME)
    await rig.install(GLOBEX)
    thread = await pending_reply(rig, GLOBEX, "EvUninstall1")

    rig.slack.uninstall(GLOBEX)
    event = {"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}
    assert await rig.event(GLOBEX, event, "EvUninstall2") == 200

    await eventually(lambda: forgotten(rig, GLOBEX, "slack_bots", "slack_installations"))
    assert await rig.rows("slack_bots", ACME) == 1
    assert await rig.rows("slack_installations", ACME) == 1
    await its_job_is_cancelled_and_refunded(rig, GLOBEX, thread)


async def test_a_revoked_bot_token_is_forgotten_and_the_workspaces_jobs_cancelled(
    rig: OAuthRig,
) -> None:
    await rig.install(ACME)
    globex_token = await rig.install(GLOBEX)
    thread = await pending_reply(rig, GLOBEX, "EvRevoked01")

    rig.slack.revoke(globex_token)
    bot = rig.slack.bot_user_id(GLOBEX)
    event = {"type": "tokens_revoked", "tokens": {"bot": [bot]}, "event_ts": f"{time.time():.6f}"}
    assert await rig.event(GLOBEX, event, "EvRevoked02") == 200

    await eventually(lambda: forgotten(rig, GLOBEX, "slack_bots"))
    assert await rig.rows("slack_bots", ACME) == 1
    assert await rig.rows("slack_installations", ACME) == 1
    await its_job_is_cancelled_and_refunded(rig, GLOBEX, thread)


# --- the fake's oauth.v2.access, checked as Slack checks it -------------------------------


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with slack_server(tokens={}) as fake:
        fake.add_oauth_client(CLIENT_ID, CLIENT_SECRET)
        fake.add_workspace(ACME, name="Acme")
        yield fake


async def test_the_fake_exchanges_a_code_for_a_bot_token_in_slacks_shape(slack: FakeSlack) -> None:
    client = AsyncWebClient(base_url=slack.api_url)
    code = slack.oauth_code(ACME, ADMIN, ["chat:write", "commands"])

    answer = await client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
    )

    token = answer["access_token"]
    assert token.startswith("xoxb-") and token == slack.bot_token(ACME)
    assert answer.data == {
        "ok": True,
        "access_token": token,
        "token_type": "bot",
        "scope": "chat:write,commands",
        "bot_user_id": slack.bot_user_id(ACME),
        "app_id": slack.app_id,
        "team": {"id": ACME, "name": "Acme"},
        "enterprise": None,
        "authed_user": {"id": ADMIN},
        "is_enterprise_install": False,
    }
    who = await client.auth_test(token=token)
    assert (who["team_id"], who["user_id"], who["bot_id"]) == (
        ACME,
        slack.bot_user_id(ACME),
        slack.workspaces[ACME].bot_id,
    )


async def test_the_fake_takes_the_client_secret_in_a_form_too_and_grants_user_scopes(
    slack: FakeSlack,
) -> None:
    code = slack.oauth_code(ACME, ADMIN, ["commands"], user_scopes=["search:read"])
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack.api_url + "oauth.v2.access", data=form) as answer,
    ):
        body = await answer.json()

    installer = body["authed_user"]
    assert body["ok"] and installer["id"] == ADMIN and installer["scope"] == "search:read"
    assert installer["token_type"] == "user" and installer["access_token"].startswith("xoxp-")
    who = await AsyncWebClient(base_url=slack.api_url).auth_test(token=installer["access_token"])
    assert who["user_id"] == ADMIN and "bot_id" not in who.data


@pytest.mark.parametrize(
    ("client_id", "client_secret", "error"),
    [
        (CLIENT_ID, "not-the-secret", "bad_client_secret"),
        ("9999.9999", CLIENT_SECRET, "invalid_client_id"),
    ],
)
async def test_the_fake_refuses_a_client_it_does_not_know(
    slack: FakeSlack, client_id: str, client_secret: str, error: str
) -> None:
    code = slack.oauth_code(ACME, ADMIN)
    client = AsyncWebClient(base_url=slack.api_url)
    with pytest.raises(SlackApiError) as refused:
        await client.oauth_v2_access(client_id=client_id, client_secret=client_secret, code=code)
    assert refused.value.response["error"] == error
    # the code is still good for the app that can prove who it is
    await client.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)


async def test_the_fake_takes_a_code_once_before_it_expires_and_with_its_redirect_uri(
    slack: FakeSlack,
) -> None:
    client = AsyncWebClient(base_url=slack.api_url)

    async def error_of(code: str, redirect_uri: str | None = None) -> str:
        try:
            await client.oauth_v2_access(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                code=code,
                redirect_uri=redirect_uri,
            )
        except SlackApiError as refused:
            return str(refused.response["error"])
        return "ok"

    used = slack.oauth_code(ACME, ADMIN)
    assert [await error_of(used), await error_of(used)] == ["ok", "invalid_code"]
    expired = slack.oauth_code(ACME, ADMIN)
    slack.expire_oauth_code(expired)
    assert await error_of(expired) == "invalid_code"
    assert await error_of("made-up-code") == "invalid_code"
    redirected = slack.oauth_code(
        ACME, ADMIN, redirect_uri="https://bot.example/slack/oauth_redirect"
    )
    assert await error_of(redirected, "https://evil.example/") == "bad_redirect_uri"
    assert await error_of(redirected, "https://bot.example/slack/oauth_redirect") == "ok"


async def test_a_reinstall_keeps_the_token_and_an_uninstall_revokes_it(slack: FakeSlack) -> None:
    client = AsyncWebClient(base_url=slack.api_url)

    async def install(scopes: list[str]) -> str:
        code = slack.oauth_code(ACME, ADMIN, scopes)
        answer = await client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
        )
        return str(answer["access_token"])

    first = await install(["commands"])
    again = await install(["chat:write"])
    assert again == first and slack.tokens[first].scopes == {"commands", "chat:write"}

    assert slack.uninstall(ACME) == [first]
    with pytest.raises(SlackApiError) as refused:
        await client.auth_test(token=first)
    assert refused.value.response["error"] == "token_revoked"
    assert await install(["commands"]) not in (first, "")
