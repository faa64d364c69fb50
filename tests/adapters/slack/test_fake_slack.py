"""The local Slack answers slack_sdk's real clients as Slack does, errors included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_server import DEFAULT_APP_TOKEN, Channel, FakeSlack, slack_server

TEAM, BOT = "T0001", "xoxb-T0001-test"
OTHER_TEAM, OTHER_BOT = "T0002", "xoxb-T0002-test"
ALICE = "U0ALICE01"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MODAL = {
    "type": "modal",
    "callback_id": "imagine",
    "title": {"type": "plain_text", "text": "Imagine"},
    "submit": {"type": "plain_text", "text": "Create"},
    "blocks": [
        {
            "type": "input",
            "block_id": "prompt",
            "label": {"type": "plain_text", "text": "Prompt"},
            "element": {"type": "plain_text_input", "action_id": "prompt"},
        }
    ],
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with slack_server(tokens={TEAM: BOT, OTHER_TEAM: OTHER_BOT}) as fake:
        fake.add_user(TEAM, ALICE, name="alice")
        yield fake


@pytest.fixture
def general(slack: FakeSlack) -> Channel:
    return slack.add_channel(TEAM, "general", members=[ALICE])


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT, base_url=slack.api_url)


async def _error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value


async def test_a_bot_posts_into_a_channel_it_belongs_to(
    slack: FakeSlack, client: AsyncWebClient, general: Channel
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Ready*"}}]
    response = await client.chat_postMessage(channel=general.id, text="Ready", blocks=blocks)

    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response["channel"] == general.id
    assert response["message"]["bot_id"] == slack.workspaces[TEAM].bot_id
    [posted] = slack.messages
    assert (posted.channel, posted.ts, posted.text, posted.blocks) == (
        general.id,
        response["ts"],
        "Ready",
        blocks,
    )
    assert slack.calls[-1].token == BOT
    assert slack.calls[-1].args["channel"] == general.id


async def test_a_public_channel_the_bot_has_not_joined_answers_not_in_channel(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    elsewhere = slack.add_channel(TEAM, "random", bot_is_member=False)

    error = await _error(client.chat_postMessage(channel=elsewhere.id, text="hi"))

    assert error.response.status_code == 200
    assert error.response.data == {"ok": False, "error": "not_in_channel"}
    assert slack.messages == []


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"is_private": True, "bot_is_member": False}, "channel_not_found"),
        ({"is_archived": True}, "is_archived"),
    ],
)
async def test_channels_the_bot_cannot_post_in_answer_slacks_error(
    slack: FakeSlack, client: AsyncWebClient, setup: dict[str, Any], expected: str
) -> None:
    channel = slack.add_channel(TEAM, "closed", **setup)

    error = await _error(client.chat_postMessage(channel=channel.id, text="hi"))

    assert error.response["error"] == expected


async def test_a_channel_of_another_workspace_is_not_found(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    theirs = slack.add_channel(OTHER_TEAM, "general")

    error = await _error(client.chat_postMessage(channel=theirs.id, text="hi"))

    assert error.response["error"] == "channel_not_found"


async def test_a_message_without_text_or_blocks_answers_no_text(
    client: AsyncWebClient, general: Channel
) -> None:
    error = await _error(client.api_call("chat.postMessage", json={"channel": general.id}))

    assert error.response["error"] == "no_text"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {"type": "header", "text": {"type": "mrkdwn", "text": "*Title*"}},
    ],
)
async def test_a_block_slack_refuses_answers_invalid_blocks_on_every_way_in(
    slack: FakeSlack, client: AsyncWebClient, general: Channel, block: dict[str, Any]
) -> None:
    posted = await _error(client.chat_postMessage(channel=general.id, text="t", blocks=[block]))
    ephemeral = await _error(
        client.chat_postEphemeral(channel=general.id, user=ALICE, text="t", blocks=[block])
    )
    url = slack.response_url(TEAM, general.id, ALICE)
    responded = await AsyncWebhookClient(url).send(text="t", blocks=[block])

    assert posted.response["error"] == ephemeral.response["error"] == "invalid_blocks"
    assert posted.response["response_metadata"]["messages"][0].startswith("[ERROR] must be")
    assert (responded.status_code, json.loads(responded.body)["error"]) == (400, "invalid_blocks")
    assert slack.messages == []


async def test_sections_and_headers_at_their_limits_are_accepted(
    client: AsyncWebClient, general: Channel
) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}},
    ]
    posted = await client.chat_postMessage(channel=general.id, text="t", blocks=blocks)
    assert posted["ok"]


async def test_form_encoded_calls_with_the_token_in_the_body_are_accepted(
    slack: FakeSlack, general: Channel
) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)

    response = await anonymous.api_call(
        "chat.postMessage", data={"token": BOT, "channel": general.id, "text": "form"}
    )

    assert response["ok"]
    assert slack.calls[-1].content_type == "application/x-www-form-urlencoded"
    assert slack.messages[-1].text == "form"


async def test_a_token_inside_a_json_body_is_ignored_as_slack_ignores_it(
    slack: FakeSlack, general: Channel
) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)

    error = await _error(
        anonymous.api_call("chat.postMessage", json={"channel": general.id, "text": "x"})
    )

    assert error.response["error"] == "not_authed"


@pytest.mark.parametrize(
    ("token", "expected"),
    [(None, "not_authed"), ("xoxb-unknown", "invalid_auth"), (BOT, "token_revoked")],
)
async def test_tokens_are_checked_as_slack_checks_them(
    slack: FakeSlack, general: Channel, token: str | None, expected: str
) -> None:
    slack.revoke(BOT)
    client = AsyncWebClient(token=token, base_url=slack.api_url)

    error = await _error(client.chat_postMessage(channel=general.id, text="hi"))

    assert error.response.status_code == 200
    assert error.response.data == {"ok": False, "error": expected}


async def test_an_app_level_token_cannot_post_messages(slack: FakeSlack, general: Channel) -> None:
    client = AsyncWebClient(token=DEFAULT_APP_TOKEN, base_url=slack.api_url)

    error = await _error(client.chat_postMessage(channel=general.id, text="hi"))

    assert error.response["error"] == "not_allowed_token_type"


async def test_a_token_without_the_scope_is_told_which_scope_it_needs(
    slack: FakeSlack, general: Channel
) -> None:
    slack.add_token(TEAM, "xoxb-T0001-readonly", scopes={"channels:read"})
    client = AsyncWebClient(token="xoxb-T0001-readonly", base_url=slack.api_url)

    error = await _error(client.chat_postMessage(channel=general.id, text="hi"))

    assert error.response["error"] == "missing_scope"
    assert (error.response["needed"], error.response["provided"]) == ("chat:write", "channels:read")


async def test_auth_test_names_the_bot_its_team_and_its_org(slack: FakeSlack) -> None:
    slack.add_workspace("T0003", enterprise_id="E0001", bot_token="xoxb-T0003-test")

    response = await AsyncWebClient(token="xoxb-T0003-test", base_url=slack.api_url).auth_test()

    assert response["team_id"] == "T0003"
    assert response["enterprise_id"] == "E0001"
    assert response["user_id"] == slack.bot_user_id("T0003")
    assert response["bot_id"] == slack.workspaces["T0003"].bot_id
    assert "chat:write" in response.headers["x-oauth-scopes"].split(",")


async def test_users_info_shows_a_persons_role_in_the_workspace(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user(TEAM, "U0ADMIN01", name="ada", role="admin")
    slack.add_user(TEAM, "U0OWNER01", name="otto", role="primary_owner")

    alice = (await client.users_info(user=ALICE))["user"]
    admin = (await client.users_info(user="U0ADMIN01"))["user"]
    owner = (await client.users_info(user="U0OWNER01"))["user"]

    assert (alice["id"], alice["team_id"], alice["name"]) == (ALICE, TEAM, "alice")
    flags = ("is_admin", "is_owner", "is_primary_owner")
    assert [[person[flag] for flag in flags] for person in (alice, admin, owner)] == [
        [False, False, False],
        [True, False, False],
        [True, True, True],  # Slack's owners are admins too
    ]
    assert alice["is_bot"] is False and alice["deleted"] is False


async def test_users_info_knows_only_the_tokens_workspace_and_needs_users_read(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user(OTHER_TEAM, "U0BOB0001", name="bob", role="admin")
    slack.add_token(TEAM, "xoxb-T0001-noread", scopes={"chat:write"})
    no_read = AsyncWebClient(token="xoxb-T0001-noread", base_url=slack.api_url)

    elsewhere = await _error(client.users_info(user="U0BOB0001"))
    nobody = await _error(client.users_info(user="U0NOBODY1"))
    unscoped = await _error(no_read.users_info(user=ALICE))

    assert elsewhere.response["error"] == nobody.response["error"] == "user_not_found"
    assert unscoped.response["error"] == "missing_scope"
    assert unscoped.response["needed"] == "users:read"


def test_a_role_slack_has_not_is_refused(slack: FakeSlack) -> None:
    with pytest.raises(ValueError, match="no role"):
        slack.add_user(TEAM, "U0ODD0001", role="superuser")


async def test_an_unknown_method_answers_unknown_method(client: AsyncWebClient) -> None:
    error = await _error(client.api_call("chat.postMessages", json={}))

    assert error.response["error"] == "unknown_method"


async def test_chat_update_changes_the_bots_message_and_only_a_known_one(
    slack: FakeSlack, client: AsyncWebClient, general: Channel
) -> None:
    posted = await client.chat_postMessage(channel=general.id, text="Working…")
    theirs = slack.add_user_message(TEAM, general.id, ALICE, "hello")

    updated = await client.chat_update(channel=general.id, ts=posted["ts"], text="Done")
    unknown = await _error(client.chat_update(channel=general.id, ts="1.000001", text="x"))
    foreign = await _error(client.chat_update(channel=general.id, ts=theirs.ts, text="x"))

    assert updated["text"] == "Done"
    assert slack.messages[0].text == "Done"
    assert slack.messages[0].previous == [{"text": "Working…", "blocks": None}]
    assert unknown.response["error"] == "message_not_found"
    assert foreign.response["error"] == "cant_update_message"


async def test_an_ephemeral_message_needs_its_recipient_in_the_channel(
    slack: FakeSlack, client: AsyncWebClient, general: Channel
) -> None:
    outsider = slack.add_user(TEAM, name="bob")

    sent = await client.chat_postEphemeral(channel=general.id, user=ALICE, text="Only you")
    error = await _error(client.chat_postEphemeral(channel=general.id, user=outsider.id, text="x"))

    assert sent["message_ts"] == slack.messages[-1].ts
    assert slack.messages[-1].ephemeral_to == ALICE
    assert error.response["error"] == "user_not_in_channel"


async def test_a_modal_opens_once_per_trigger(slack: FakeSlack, client: AsyncWebClient) -> None:
    trigger = slack.trigger_id(TEAM, ALICE)

    opened = await client.views_open(trigger_id=trigger, view=MODAL)
    again = await _error(client.views_open(trigger_id=trigger, view=MODAL))
    unknown = await _error(client.views_open(trigger_id="1.2.abc", view=MODAL))

    assert opened["view"]["callback_id"] == "imagine"
    assert slack.views[0].user_id == ALICE
    assert slack.views[0].view["blocks"] == MODAL["blocks"]
    assert again.response["error"] == "exchanged_trigger_id"
    assert unknown.response["error"] == "invalid_trigger_id"


async def test_an_expired_trigger_opens_nothing(slack: FakeSlack, client: AsyncWebClient) -> None:
    trigger = slack.trigger_id(TEAM, ALICE)
    slack.expire_trigger(trigger)

    error = await _error(client.views_open(trigger_id=trigger, view=MODAL))

    assert error.response["error"] == "expired_trigger_id"
    assert slack.views == []


@pytest.mark.parametrize(
    "broken",
    [
        {key: value for key, value in MODAL.items() if key != "blocks"},
        {**MODAL, "type": None},
        {**MODAL, "title": {"type": "plain_text", "text": "A title far too long for Slack"}},
        {key: value for key, value in MODAL.items() if key != "submit"},
    ],
)
async def test_a_malformed_modal_answers_invalid_arguments(
    slack: FakeSlack, client: AsyncWebClient, broken: dict[str, Any]
) -> None:
    error = await _error(client.views_open(trigger_id=slack.trigger_id(TEAM, ALICE), view=broken))

    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"][0].startswith("[ERROR] ")


async def test_conversations_open_returns_the_same_dm_each_time(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await client.conversations_open(users=ALICE)
    second = await client.conversations_open(users=[ALICE])
    missing = await _error(client.conversations_open(users="U0NOBODY"))

    dm = first["channel"]["id"]
    assert dm.startswith("D")
    assert second["channel"]["id"] == dm
    assert second["already_open"] is True
    assert slack.dm_with(TEAM, ALICE) is slack.channels[dm]
    assert missing.response["error"] == "user_not_found"
    await client.chat_postMessage(channel=dm, text="Here you go")
    assert slack.messages_in(dm)[0].text == "Here you go"


async def test_files_upload_v2_into_a_thread_records_the_bytes_and_the_thread(
    slack: FakeSlack, client: AsyncWebClient, general: Channel
) -> None:
    parent = slack.add_user_message(TEAM, general.id, ALICE, "<@bot> imagine a mug")

    response = await client.files_upload_v2(
        channel=general.id,
        thread_ts=parent.ts,
        content=PNG,
        filename="mug.png",
        title="Your mug",
        initial_comment="Here it is",
    )

    [upload] = slack.uploads
    assert (upload.data, upload.filename, upload.title) == (PNG, "mug.png", "Your mug")
    assert (upload.channel, upload.thread_ts, upload.initial_comment) == (
        general.id,
        parent.ts,
        "Here it is",
    )
    assert response["file"]["id"] == upload.id
    assert response["file"]["mimetype"] == "image/png"
    assert response["file"]["size"] == len(PNG)
    [share] = slack.messages_in(general.id, thread_ts=parent.ts)
    assert share.file_ids == (upload.id,)
    assert [call.method for call in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_an_upload_into_a_channel_without_the_bot_is_refused(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    elsewhere = slack.add_channel(TEAM, "random", bot_is_member=False)

    error = await _error(
        client.files_upload_v2(channel=elsewhere.id, content=PNG, filename="a.png")
    )

    assert error.response["error"] == "not_in_channel"
    assert not slack.uploads[0].completed


async def test_an_upload_of_other_than_the_announced_length_never_completes(
    slack: FakeSlack, client: AsyncWebClient, general: Channel
) -> None:
    ticket = await client.files_getUploadURLExternal(filename="a.png", length=len(PNG) + 1)
    async with (
        aiohttp.ClientSession() as session,
        session.post(ticket["upload_url"], data=PNG) as uploaded,
    ):
        assert (uploaded.status, await uploaded.text()) == (200, f"OK - {len(PNG)}")

    error = await _error(
        client.files_completeUploadExternal(
            files=[{"id": ticket["file_id"]}], channel_id=general.id
        )
    )

    assert error.response["error"] == "file_not_found"


async def test_a_zero_length_upload_is_refused(client: AsyncWebClient) -> None:
    error = await _error(client.files_getUploadURLExternal(filename="a.png", length=0))

    assert error.response["error"] == "missing_argument"


async def test_a_rate_limited_call_succeeds_after_the_wait_slack_asks_for(
    slack: FakeSlack, general: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    # The SDK's handler sleeps Retry-After plus jitter; the test records the wait instead.
    monkeypatch.setattr(builtin_async_handlers, "asyncio", SimpleNamespace(sleep=record))
    slack.rate_limit("chat.postMessage", times=1, retry_after=7)
    client = AsyncWebClient(
        token=BOT,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )

    response = await client.chat_postMessage(channel=general.id, text="hi")

    assert response["ok"]
    assert [(call.status, call.error) for call in slack.calls] == [
        (429, "ratelimited"),
        (200, None),
    ]
    assert len(waits) == 1
    assert 7 <= waits[0] < 8
    assert len(slack.messages) == 1


async def test_a_rate_limited_call_without_retries_sees_429_and_retry_after(
    slack: FakeSlack, client: AsyncWebClient, general: Channel
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=3)

    error = await _error(client.chat_postMessage(channel=general.id, text="hi"))

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "3"
    assert error.response.data == {"ok": False, "error": "ratelimited"}


async def test_a_users_file_downloads_only_with_a_bot_token_of_its_team(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    shared = slack.add_user_file(TEAM, PNG, "photo.png", "image/png", user=ALICE)
    url = shared["url_private_download"]
    assert url.startswith(slack.url)

    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Authorization": f"Bearer {BOT}"}) as ok:
            assert (ok.status, ok.content_type, await ok.read()) == (200, "image/png", PNG)
        async with session.get(url) as anonymous:
            assert (anonymous.status, anonymous.content_type) == (200, "text/html")
            assert "Sign in" in await anonymous.text()
        foreign = {"Authorization": f"Bearer {OTHER_BOT}"}
        async with session.get(url, headers=foreign, allow_redirects=False) as refused:
            assert refused.status == 302
    info = await client.files_info(file=shared["id"])
    assert info["file"]["size"] == len(PNG)
    assert info["file"]["url_private_download"] == url
    assert [download.served for download in slack.downloads] == [True, False, False]


async def test_a_file_of_another_workspace_is_not_found(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    theirs = slack.add_user_file(OTHER_TEAM, PNG, "photo.png", "image/png")

    error = await _error(client.files_info(file=theirs["id"]))

    assert error.response["error"] == "file_not_found"


async def test_apps_connections_open_takes_only_the_app_level_token(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    app = AsyncWebClient(base_url=slack.api_url)

    opened = await app.apps_connections_open(app_token=DEFAULT_APP_TOKEN)
    refused = await _error(client.apps_connections_open(app_token=BOT))

    assert opened["url"].startswith(slack.url.replace("http://", "ws://") + "link/?ticket=")
    assert refused.response["error"] == "not_allowed_token_type"


async def test_socket_mode_says_hello_then_delivers_an_envelope_and_takes_its_ack(
    slack: FakeSlack,
) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    requests: asyncio.Queue[SocketModeRequest] = asyncio.Queue()

    async def on_message(client: Any, message: dict[str, Any], raw: str | None) -> None:
        await received.put(message)

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await requests.put(request)
        reply = SocketModeResponse(request.envelope_id, payload={"text": "On it"})
        await client.send_socket_mode_response(reply)

    socket = SocketModeClient(
        app_token=DEFAULT_APP_TOKEN,
        web_client=AsyncWebClient(base_url=slack.api_url),
        auto_reconnect_enabled=False,
    )
    socket.message_listeners.append(on_message)
    socket.socket_mode_request_listeners.append(on_request)
    command = {"command": "/imagine", "text": "a mug", "team_id": TEAM, "user_id": ALICE}
    try:
        await socket.connect()
        async with asyncio.timeout(5):
            hello = await received.get()
        envelope_id = await slack.socket_send({"type": "slash_commands", "payload": command})
        ack = await slack.socket_ack(envelope_id, within=5)
        async with asyncio.timeout(5):
            request = await requests.get()
    finally:
        await socket.close()

    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": slack.app_id}
    assert (request.type, request.payload) == ("slash_commands", command)
    assert request.accepts_response_payload is True
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "On it"}}
    assert slack.calls_to("apps.connections.open")[0].token == DEFAULT_APP_TOKEN


async def test_a_response_url_posts_ephemerally_by_default_and_only_five_times(
    slack: FakeSlack, general: Channel
) -> None:
    url = slack.response_url(TEAM, general.id, ALICE)
    webhook = AsyncWebhookClient(url)

    first = await webhook.send(text="Working on it")
    public = await webhook.send(text="Done", response_type="in_channel")
    for _ in range(3):
        await webhook.send(text="more")
    spent = await webhook.send(text="too many")

    assert (first.status_code, json.loads(first.body)) == (200, {"ok": True})
    assert public.status_code == 200
    assert slack.messages[0].ephemeral_to == ALICE
    assert slack.messages[1].ephemeral_to is None
    assert (spent.status_code, json.loads(spent.body)["error"]) == (404, "used_url")
