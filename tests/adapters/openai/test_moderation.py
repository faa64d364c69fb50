"""Prompt moderation: OpenAI's moderation endpoint, and the offline word list."""

from __future__ import annotations

import pytest
from openai import AsyncOpenAI

from adapters.imaging.openai_client import Retrier
from adapters.imaging.openai_moderator import OpenAIModerator
from adapters.moderation import BlockListModerator
from core.errors import ContentRejected, ProviderFailed
from tests.fakes.openai_server import FakeOpenAI, server_error


async def test_a_flagged_prompt_is_rejected_without_naming_categories(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    moderator = OpenAIModerator(client, retrier=retrier)

    with pytest.raises(ContentRejected) as caught:
        await moderator.check("a mug with a Forbidden slogan")

    [request] = fake.requests
    assert request.path == "/v1/moderations"
    assert request.json == {
        "model": "omni-moderation-latest",
        "input": "a mug with a Forbidden slogan",
    }
    assert "violence" not in caught.value.message
    assert caught.value.message.endswith(".")


async def test_a_clean_prompt_passes(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    await OpenAIModerator(client, retrier=retrier).check("a mug on a marble table")

    assert fake.paths() == ["/v1/moderations"]


async def test_an_empty_prompt_is_not_sent(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    await OpenAIModerator(client, retrier=retrier).check("   ")

    assert fake.requests == []


async def test_a_moderation_outage_is_a_transient_failure_in_one_sentence(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    fake.script(*[server_error()] * 3)

    with pytest.raises(ProviderFailed) as caught:
        await OpenAIModerator(client, retrier=retrier).check("a mug")

    assert caught.value.transient
    assert caught.value.message[0].isupper() and caught.value.message.endswith(".")
    assert len(fake.requests) == 3


async def test_a_wrong_key_for_moderation_names_the_setting(
    fake: FakeOpenAI, retrier: Retrier
) -> None:
    async with OpenAIModerator(
        api_key="sk-nope", base_url=fake.base_url, retrier=retrier
    ) as moderator:
        with pytest.raises(ProviderFailed) as caught:
            await moderator.check("a mug")

    assert not caught.value.transient
    assert "OPENAI_API_KEY" in caught.value.message


@pytest.mark.parametrize("prompt", ["Buy a GUN now", "gun", "a gun.", "free money, today"])
async def test_the_block_list_refuses_listed_words_in_any_case(prompt: str) -> None:
    with pytest.raises(ContentRejected):
        await BlockListModerator(["gun", "Free Money", " "]).check(prompt)


@pytest.mark.parametrize("prompt", ["a gunmetal mug", "shotgunning", "money for free", ""])
async def test_the_block_list_matches_whole_words_only(prompt: str) -> None:
    await BlockListModerator(["gun", "free money"]).check(prompt)


async def test_an_empty_block_list_allows_everything() -> None:
    await BlockListModerator([]).check("anything at all")
