"""``/describe`` with a vision model, against the local fake API."""

from __future__ import annotations

import base64
import io

import pytest
from openai import AsyncOpenAI
from PIL import Image

from adapters.imaging.openai_client import Retrier
from adapters.imaging.openai_describer import OpenAIDescriber
from core.errors import BadInput, ContentRejected, ProviderFailed
from core.imaging import Product
from tests.adapters.openai.support import png
from tests.fakes.openai_server import FakeOpenAI, chat_refusal, serve_openai

MUG = Product(
    name="Stoneware Mug",
    brand="Acme",
    description="Hand-glazed, 350 ml.",
    price="24.90",
    currency="EUR",
)


def sent_parts(fake: FakeOpenAI) -> list[dict[str, object]]:
    [request] = fake.requests
    assert request.json is not None
    system, user = request.json["messages"]
    assert system["role"] == "system"
    assert user["role"] == "user"
    parts: list[dict[str, object]] = user["content"]
    return parts


def sent_photo(part: dict[str, object]) -> Image.Image:
    image_url = part["image_url"]
    assert isinstance(image_url, dict)
    header, _, data = image_url["url"].partition(",")
    assert header == "data:image/png;base64"
    return Image.open(io.BytesIO(base64.b64decode(data)))


async def test_the_describer_sends_photo_and_product_and_returns_one_paragraph(
    retrier: Retrier,
) -> None:
    reply = '\n  Prompt: "A matte black Acme mug\n on a marble counter,\n\n morning light."  '
    async with serve_openai(chat_reply=reply) as fake:
        describer = OpenAIDescriber(api_key=fake.api_key, base_url=fake.base_url, retrier=retrier)
        async with describer:
            text = await describer.describe(png(400, 300), MUG)

    assert text == "A matte black Acme mug on a marble counter, morning light."
    assert fake.requests[0].path == "/v1/chat/completions"
    assert fake.requests[0].json is not None
    assert fake.requests[0].json["model"] == "gpt-4.1-mini"
    text_part, image_part = sent_parts(fake)
    assert text_part["type"] == "text"
    assert "Stoneware Mug" in str(text_part["text"]) and "24.90 EUR" in str(text_part["text"])
    assert image_part["type"] == "image_url"
    assert sent_photo(image_part).size == (400, 300)


async def test_a_large_photo_is_sent_scaled_down(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    await OpenAIDescriber(client, retrier=retrier).describe(png(2400, 1200), None)

    [text_part, image_part] = sent_parts(fake)
    assert "no product data" in str(text_part["text"])
    assert sent_photo(image_part).size == (1024, 512)


async def test_product_data_alone_is_described_without_an_image_part(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    text = await OpenAIDescriber(client, retrier=retrier).describe(None, MUG)

    assert text == fake.chat_reply
    assert [part["type"] for part in sent_parts(fake)] == ["text"]


async def test_nothing_to_describe_is_bad_input_and_costs_no_call(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    with pytest.raises(BadInput):
        await OpenAIDescriber(client, retrier=retrier).describe(None, None)

    assert fake.requests == []


async def test_a_refusal_is_content_rejected(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    fake.script(chat_refusal())

    with pytest.raises(ContentRejected):
        await OpenAIDescriber(client, retrier=retrier).describe(png(200, 200), None)


async def test_a_long_answer_is_cut_at_a_word_within_the_limit(
    client: AsyncOpenAI, fake: FakeOpenAI, retrier: Retrier
) -> None:
    fake.chat_reply = "word " * 400

    text = await OpenAIDescriber(client, retrier=retrier, max_chars=100).describe(None, MUG)

    assert len(text) <= 100
    assert text.endswith("word…")


async def test_a_wrong_key_fails_for_good(fake: FakeOpenAI, retrier: Retrier) -> None:
    async with OpenAIDescriber(
        api_key="sk-bad", base_url=fake.base_url, retrier=retrier
    ) as describer:
        with pytest.raises(ProviderFailed) as caught:
            await describer.describe(None, MUG)

    assert not caught.value.transient
