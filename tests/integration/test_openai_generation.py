"""AIOE_PROVIDER=openai against the local fake of OpenAI's API: spending rules end to end."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.replies import Error, Images, Progress, Text
from tests.fakes.openai_server import (
    FakeOpenAI,
    content_policy_violation,
    rate_limited,
    serve_openai,
)
from tests.harness import Chat, product_photo, running_app

COST = 4


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with serve_openai(trigger_word="forbidden") as fake:
        yield fake


@pytest.fixture
async def ai_chat(tmp_path: Path, database_url: str, openai: FakeOpenAI) -> AsyncIterator[Chat]:
    async with running_app(
        tmp_path / "var",
        database_url,
        provider="openai",
        openai_api_key="sk-test-key",
        openai_base_url=openai.base_url,
        openai_cost=COST,
        free_credits=20,
    ) as app:
        yield Chat(app)


async def test_a_prompt_alone_becomes_images(ai_chat: Chat, openai: FakeOpenAI) -> None:
    queued = await ai_chat.say("/imagine a teal mug on a beach at sunset --n 2 --format story")
    assert isinstance(queued, Progress), queued
    (done,) = await ai_chat.run_jobs()
    assert isinstance(done, Images)
    assert [(i.width, i.height) for i in done.images] == [(1080, 1920)] * 2
    assert openai.paths() == ["/v1/moderations", "/v1/images/generations"]
    assert await ai_chat.balance() == 20 - 2 * COST


async def test_a_product_photo_is_sent_for_an_edit(
    ai_chat: Chat, openai: FakeOpenAI, tmp_path: Path
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    await ai_chat.say(f"/imagine on a marble counter --image {photo} --format square")
    (done,) = await ai_chat.run_jobs()
    assert isinstance(done, Images), done
    edit = openai.requests[-1]
    assert edit.path == "/v1/images/edits"
    assert edit.files and edit.files[0].content_type == "image/png"
    assert await ai_chat.balance() == 20 - COST


async def test_a_rate_limit_then_success_is_one_image(ai_chat: Chat, openai: FakeOpenAI) -> None:
    await ai_chat.say("/imagine a teal mug")
    openai.script(rate_limited("0"))
    (done,) = await ai_chat.run_jobs()
    assert isinstance(done, Images)
    assert openai.paths().count("/v1/images/generations") == 2
    assert await ai_chat.balance() == 20 - COST


async def test_a_flagged_prompt_costs_nothing_and_queues_nothing(
    ai_chat: Chat, openai: FakeOpenAI
) -> None:
    reply = await ai_chat.say("/imagine a forbidden thing")
    assert isinstance(reply, Error)
    assert await ai_chat.balance() == 20
    assert await ai_chat.count("jobs") == 0
    assert "/v1/images/generations" not in openai.paths()


async def test_a_content_policy_refusal_returns_the_credits(
    ai_chat: Chat, openai: FakeOpenAI
) -> None:
    await ai_chat.say("/imagine a teal mug")
    assert await ai_chat.balance() == 20 - COST
    openai.script(content_policy_violation())
    (refused,) = await ai_chat.run_jobs()
    assert isinstance(refused, Error)
    assert refused.text.endswith(f"Your {COST} credits were returned.")
    assert await ai_chat.balance() == 20
    assert await ai_chat.count("images") == 0


async def test_reformat_makes_a_story_without_calling_openai_again(
    ai_chat: Chat, openai: FakeOpenAI
) -> None:
    await ai_chat.say("/imagine a teal mug --format marketplace")
    (done,) = await ai_chat.run_jobs()
    assert isinstance(done, Images)
    calls = len(openai.requests)
    await ai_chat.say(f"/reformat {done.images[0].id} story")
    (story,) = await ai_chat.run_jobs()
    assert isinstance(story, Images)
    assert (story.images[0].width, story.images[0].height) == (1080, 1920)
    assert len(openai.requests) == calls


async def test_describe_asks_the_vision_model(
    ai_chat: Chat, openai: FakeOpenAI, tmp_path: Path
) -> None:
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    queued = await ai_chat.say(f"/describe --image {photo}")
    assert isinstance(queued, Progress)
    (reply,) = await ai_chat.run_jobs()
    assert isinstance(reply, Text)
    assert "soft grey sweep" in reply.text
    assert openai.paths()[-1] == "/v1/chat/completions"


async def test_no_log_line_holds_a_prompt_an_image_id_or_a_key(
    ai_chat: Chat, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Prompts, message texts and tokens are never logged, at any level."""
    caplog.set_level(logging.DEBUG)
    prompt = "a confidential teal mug on a secret beach"
    photo = tmp_path / "box.png"
    photo.write_bytes(product_photo())
    await ai_chat.say(f"/imagine {prompt} --format square")
    await ai_chat.say(f"/imagine {prompt} --image {photo} --format square")
    await ai_chat.say("/describe --image " + str(photo))
    await ai_chat.say("/imagine forbidden words here --format square")
    await ai_chat.run_jobs()
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("core", "adapters", "bot")]
    assert ours  # the run did log
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in ours)
    for secret in ("confidential", "secret beach", "forbidden words", "sk-test-key"):
        assert secret not in logged


def test_database_errors_never_carry_their_parameters_into_logs(ai_chat: Chat) -> None:
    """An error's message would otherwise quote the row it failed on (a prompt, a name)."""
    assert ai_chat.app.engine.sync_engine.hide_parameters
