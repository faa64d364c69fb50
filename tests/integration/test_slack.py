"""Slack end to end in one process: signed requests in, the fake Slack Web API out."""

from __future__ import annotations

import io
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from core.identity import Identity
from core.model import JobStatus
from tests.fakes.shop import PRODUCT_PATH, serve_shop
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM
from tests.harness import count_rows, product_photo
from tests.integration.slack_harness import (
    USER,
    SlackRig,
    eventually,
    photo_event,
    signed_headers,
    slack_rig,
)

DEADLINE = 3.0  # Slack's: every request acknowledged within three seconds


@pytest.fixture
async def rig(tmp_path: Path, database_url: str) -> AsyncIterator[SlackRig]:
    async with slack_rig(tmp_path, database_url) as made:
        yield made


def shared_photo(rig: SlackRig) -> dict[str, object]:
    return rig.slack.add_user_file(DEFAULT_TEAM, product_photo(), "box.png", "image/png", user=USER)


async def jobs_done(rig: SlackRig, count: int) -> None:
    """Wait for the listeners to queue ``count`` jobs, run them, and wait until every
    reply was delivered (a job may finish before its adapter re-addressed it)."""
    await eventually(lambda: _count_jobs(rig, count))
    await eventually(lambda: _all_delivered(rig))  # a job the adapter is re-addressing
    # is locked for that moment, and skipped by a claim: run the worker until it is done


async def _all_delivered(rig: SlackRig) -> bool:
    await rig.finish_jobs()
    return await count_rows(rig.bot, "jobs", "delivered_at IS NULL") == 0


async def _count_jobs(rig: SlackRig, count: int) -> bool:
    return await rig.count("jobs") >= count


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


async def test_a_mention_with_a_photo_gets_a_marketplace_image_in_its_thread(
    rig: SlackRig,
) -> None:
    bot = rig.slack.bot_user_id(DEFAULT_TEAM)
    text = f"<@{bot}> --template studio-white --format marketplace"
    event, thread = photo_event(rig.slack, rig.channel, text)
    status, took = await rig.event(event, "Ev0001")
    assert status == 200 and took < DEADLINE
    await jobs_done(rig, 1)
    (download,) = rig.slack.downloads
    assert download.token == DEFAULT_BOT_TOKEN and download.served
    (upload,) = rig.slack.uploads
    assert (upload.channel, upload.thread_ts) == (rig.channel, thread)
    assert png_size(upload.data) == (2000, 2000)
    threaded = rig.slack.messages_in(rig.channel, thread_ts=thread)
    assert any("/i/" in json.dumps(m.blocks) for m in threaded)  # each image's link


async def test_a_photo_sent_to_the_bots_direct_messages_is_a_request(rig: SlackRig) -> None:
    direct = rig.slack.add_channel(DEFAULT_TEAM, "dm", members=(USER,)).id
    sent = rig.slack.add_user_message(DEFAULT_TEAM, direct, USER, "--format square")
    event = {
        "type": "message",
        "channel_type": "im",
        "subtype": "file_share",
        "user": USER,
        "text": sent.text,
        "ts": sent.ts,
        "channel": direct,
        "files": [shared_photo(rig)],
    }
    status, took = await rig.event(event, "Ev0002")
    assert status == 200 and took < DEADLINE
    await jobs_done(rig, 1)
    (upload,) = rig.slack.uploads
    assert (upload.channel, upload.thread_ts, png_size(upload.data)) == (
        direct,
        sent.ts,
        (1080, 1080),
    )


async def test_the_same_event_delivered_three_times_makes_one_job_and_one_result(
    rig: SlackRig,
) -> None:
    event, thread = photo_event(rig.slack, rig.channel, "<@B> --format square")
    for retry in ("", "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        status, _ = await rig.event(event, "Ev0003", headers if retry else None)
        assert status == 200
    # Each delivery is answered in the thread (the repeats with the first answer).
    await eventually(lambda: len(rig.slack.messages_in(rig.channel, thread_ts=thread)) >= 3)
    assert await rig.count("jobs") == 1
    assert await rig.finish_jobs() == 1
    assert len(rig.slack.uploads) == 1


async def test_credits_are_an_ephemeral_answer_through_the_response_url(rig: SlackRig) -> None:
    status, took = await rig.command("/credits", "")
    assert status == 200 and took < DEADLINE
    await eventually(lambda: any(m.via == "response_url" for m in rig.slack.messages))
    (answer,) = [m for m in rig.slack.messages if m.via == "response_url"]
    assert answer.ephemeral_to == USER and "10" in answer.text


async def test_imagine_with_no_text_opens_the_form_and_the_form_makes_images(
    rig: SlackRig,
) -> None:
    status, took = await rig.command("/imagine", "")
    assert status == 200 and took < DEADLINE
    await eventually(lambda: len(rig.slack.views) == 1)
    (opened,) = rig.slack.views
    metadata = opened.view["private_metadata"]
    photo = shared_photo(rig)
    submission = json.loads(
        (
            Path(__file__).parents[1] / "adapters/slack/payloads/view_submission_imagine.json"
        ).read_text()
    )
    submission["team"]["id"] = DEFAULT_TEAM
    submission["user"] = {"id": USER, "username": "steve", "name": "steve", "team_id": DEFAULT_TEAM}
    submission["view"]["private_metadata"] = metadata
    values = submission["view"]["state"]["values"]
    for block in values.values():
        for element in block.values():
            if element.get("type") == "file_input":
                element["files"] = [photo]
    status, took = await rig.interaction(submission)
    assert status == 200 and took < DEADLINE
    await jobs_done(rig, 1)
    (parent,) = [m for m in rig.slack.messages_in(rig.channel) if m.thread_ts is None]
    asked = parent.previous[0]["text"] if parent.previous else parent.text
    assert f"<@{USER}> asked for" in asked
    assert "Here you are" in parent.text  # the parent says how the job ended
    assert rig.slack.uploads
    assert {upload.thread_ts for upload in rig.slack.uploads} == {parent.ts}


async def test_more_like_this_works_for_the_requester_and_no_one_else(rig: SlackRig) -> None:
    event, thread = photo_event(rig.slack, rig.channel, "<@B> --format square")
    await rig.event(event, "Ev0004")
    await jobs_done(rig, 1)
    with_buttons, button = next(
        (message, element)
        for message in rig.slack.messages_in(rig.channel, thread_ts=thread)
        for block in message.blocks or ()
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == "aioe.reroll"
    )

    def press(user: str) -> dict[str, object]:
        return {
            "type": "block_actions",
            "team": {"id": DEFAULT_TEAM, "domain": "example"},
            "enterprise": None,
            "user": {"id": user, "username": user, "name": user, "team_id": DEFAULT_TEAM},
            "api_app_id": rig.slack.app_id,
            "token": "legacy",
            "container": {
                "type": "message",
                "message_ts": with_buttons.ts,
                "channel_id": rig.channel,
                "is_ephemeral": False,
                "thread_ts": thread,
            },
            "trigger_id": rig.slack.trigger_id(DEFAULT_TEAM, user),
            "channel": {"id": rig.channel, "name": "marketing"},
            "message": {"ts": with_buttons.ts, "thread_ts": thread, "text": with_buttons.text},
            "actions": [{**button, "block_id": "b", "action_ts": str(time.time())}],
        }

    rig.slack.add_user(DEFAULT_TEAM, "U0MALLORY", name="mallory")
    rig.slack.channels[rig.channel].members.add("U0MALLORY")
    status, took = await rig.interaction(press("U0MALLORY"))
    assert status == 200 and took < DEADLINE
    await eventually(lambda: any(m.ephemeral_to == "U0MALLORY" for m in rig.slack.messages))
    assert await rig.count("jobs") == 1
    status, _ = await rig.interaction(press(USER))
    assert status == 200
    await eventually(lambda: _count_jobs(rig, 2))
    async with rig.bot.uow_factory(readonly=True) as uow:
        account = await uow.accounts.find(Identity("slack", DEFAULT_TEAM, USER))
        assert account is not None
        jobs = await uow.jobs.unfinished(account.id)
    assert [job.status for job in jobs] == [JobStatus.QUEUED]


def _one_digit_changed(signature: str) -> str:
    last = signature[-1]
    return signature[:-1] + ("1" if last == "0" else "0")


def _forgeries(body: str) -> list[dict[str, str]]:
    content_type = "application/x-www-form-urlencoded"
    good = signed_headers(body, content_type)
    stale = signed_headers(body, content_type, at=time.time() - 301)
    future = signed_headers(body, content_type, at=time.time() + 301)
    wrong = signed_headers(body, content_type, secret="not-the-secret")
    other_body = signed_headers(body + "&x=1", content_type)
    return [
        {"Content-Type": content_type},  # no signature at all
        {**good, "X-Slack-Signature": ""},
        {**good, "X-Slack-Signature": _one_digit_changed(good["X-Slack-Signature"])},
        {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
        {**good, "X-Slack-Signature": "v0=" + "0" * 64},
        {**good, "X-Slack-Signature": "not a signature"},
        {**good, "X-Slack-Request-Timestamp": ""},
        {**good, "X-Slack-Request-Timestamp": "yesterday"},
        stale,
        future,
        wrong,
        other_body,
    ]


async def test_forged_stale_and_malformed_signatures_are_refused_with_no_side_effect(
    rig: SlackRig,
) -> None:
    import aiohttp

    body = (
        f"team_id={DEFAULT_TEAM}&user_id={USER}&command=%2Fcredits&text="
        f"&channel_id={rig.channel}&trigger_id=1.2.3"
    )
    before = [await rig.count(t) for t in ("accounts", "jobs", "ledger", "requests")]
    calls_before = len(rig.slack.calls)
    async with aiohttp.ClientSession() as session:
        for headers in _forgeries(body):
            async with session.post(rig.events_url, data=body.encode(), headers=headers) as sent:
                assert sent.status == 401, headers
    assert [await rig.count(t) for t in ("accounts", "jobs", "ledger", "requests")] == before
    assert len(rig.slack.calls) == calls_before  # nothing was even looked up at Slack


async def test_imagine_from_a_product_url_threads_its_results_under_a_parent_message(
    tmp_path: Path, database_url: str
) -> None:
    async with (
        serve_shop() as (base, port),
        slack_rig(tmp_path, database_url, fetch_allow=f"127.0.0.1:{port}") as rig,
    ):
        status, took = await rig.command("/imagine", f"--url {base}{PRODUCT_PATH}")
        assert status == 200 and took < DEADLINE
        await jobs_done(rig, 1)
        (parent,) = [m for m in rig.slack.messages_in(rig.channel) if m.thread_ts is None]
        asked = parent.previous[0]["text"] if parent.previous else parent.text
        assert asked.startswith(f"<@{USER}> asked for /imagine --url")
        assert "Here you are" in parent.text  # updated when the job ended
        (upload,) = rig.slack.uploads
        assert (upload.channel, upload.thread_ts) == (rig.channel, parent.ts)
        assert png_size(upload.data) == (1080, 1080)


async def test_where_the_bot_is_not_invited_it_says_how_and_sends_results_by_dm(
    rig: SlackRig,
) -> None:
    rig.slack.channels[rig.channel].members.discard(rig.slack.bot_user_id(DEFAULT_TEAM))
    rig.slack.channels[rig.channel].is_private = True  # chat:write.public cannot help
    event, _ = photo_event(rig.slack, rig.channel, "<@B> --format square")
    status, _ = await rig.event(event, "Ev0009")
    assert status == 200
    await jobs_done(rig, 1)
    direct = rig.slack.dm_with(DEFAULT_TEAM, USER)
    assert direct is not None
    (upload,) = [upload for upload in rig.slack.uploads if upload.completed]
    assert upload.channel == direct.id
    texts = [m.text for m in rig.slack.messages_in(direct.id)]
    assert any("/invite" in text for text in texts)


async def test_the_message_shortcut_makes_images_from_the_photo_in_a_message(
    rig: SlackRig,
) -> None:
    posted = rig.slack.add_user_message(DEFAULT_TEAM, rig.channel, USER, "our new mug")
    shortcut = {
        "type": "message_action",
        "token": "legacy",
        "action_ts": str(time.time()),
        "team": {"id": DEFAULT_TEAM, "domain": "example"},
        "user": {"id": USER, "username": "steve", "name": "steve", "team_id": DEFAULT_TEAM},
        "channel": {"id": rig.channel, "name": "marketing"},
        "callback_id": "aioe.make_images",
        "trigger_id": rig.slack.trigger_id(DEFAULT_TEAM, USER),
        "message_ts": posted.ts,
        "message": {
            "type": "message",
            "user": USER,
            "ts": posted.ts,
            "text": posted.text,
            "files": [shared_photo(rig)],
        },
        "response_url": rig.slack.response_url(DEFAULT_TEAM, rig.channel, USER),
    }
    status, took = await rig.interaction(shortcut)
    assert status == 200 and took < DEADLINE
    await jobs_done(rig, 1)
    (upload,) = [upload for upload in rig.slack.uploads if upload.completed]
    assert (upload.channel, upload.thread_ts) == (rig.channel, posted.ts)
