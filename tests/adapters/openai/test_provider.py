"""The ``openai`` image provider against a local server that speaks OpenAI's wire format."""

from __future__ import annotations

import io
import logging
import socket

import pytest
from openai import AsyncOpenAI
from PIL import Image

from adapters.imaging.openai_client import Retrier
from adapters.imaging.openai_provider import (
    OpenAIImageConfig,
    OpenAIProvider,
    api_size,
    build_prompt,
)
from core.errors import ContentRejected, ProviderFailed, RateLimited
from core.imaging import Product, RenderSpec
from tests.adapters.openai.support import FORMATS, STUDIO, Sleeps, png
from tests.fakes.openai_server import (
    FakeOpenAI,
    FakeReply,
    content_policy_violation,
    moderation_blocked,
    quota_exceeded,
    rate_limited,
    server_error,
)


def provider(client: AsyncOpenAI, retrier: Retrier, model: str = "gpt-image-1.5") -> OpenAIProvider:
    return OpenAIProvider(client, config=OpenAIImageConfig(model=model), retrier=retrier)


def pixels(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


async def test_a_prompt_only_request_makes_n_images_of_the_exact_format_size(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    spec = RenderSpec(prompt="a blue ceramic mug", template=STUDIO, format=FORMATS["story"])

    images = await provider(client, retrier).render(spec, 3)

    assert [(image.width, image.height, image.format) for image in images] == [
        (1080, 1920, "png")
    ] * 3
    assert {pixels(image.data).size for image in images} == {(1080, 1920)}
    assert len({image.data for image in images}) == 3
    [request] = fake.requests
    assert request.path == "/v1/images/generations"
    assert request.json == {
        "model": "gpt-image-1.5",
        "prompt": "Advertising photo of a blue ceramic mug, soft studio light, seamless grey sweep",
        "n": 3,
        "size": "1024x1536",
        "quality": "auto",
    }


async def test_a_product_photo_is_sent_to_images_edit_as_a_named_png_with_high_fidelity(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    photo = png(640, 480, colour=(200, 30, 30))
    spec = RenderSpec(prompt="", template=STUDIO, format=FORMATS["landscape"], source=photo)

    [image] = await provider(client, retrier).render(spec, 1)

    [request] = fake.requests
    assert request.path == "/v1/images/edits"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    [part] = request.files
    assert (part.field, part.filename, part.content_type) == ("image[]", "product.png", "image/png")
    assert part.data == photo.data
    assert request.fields["input_fidelity"] == "high"
    assert request.fields["size"] == "1536x1024"
    assert request.fields["n"] == "1"
    assert "the product in the photo" in request.fields["prompt"]
    result = pixels(image.data)
    assert result.size == (1200, 628)
    assert result.convert("RGB").getpixel((600, 314)) == (200, 30, 30)  # the fake pasted the photo


async def test_a_model_without_input_fidelity_is_not_sent_one(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    spec = RenderSpec(
        prompt="on marble", template=STUDIO, format=FORMATS["square"], source=png(300, 300)
    )

    [image] = await provider(client, retrier, model="gpt-image-2").render(spec, 1)

    assert (image.width, image.height) == (1080, 1080)
    assert "input_fidelity" not in fake.requests[0].fields


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("square", "1024x1024"),
        ("portrait", "1024x1536"),
        ("story", "1024x1536"),
        ("landscape", "1536x1024"),
        ("marketplace", "1024x1024"),
    ],
)
def test_each_format_asks_for_the_api_size_of_the_closest_aspect(name: str, size: str) -> None:
    assert api_size(FORMATS[name]) == size


def test_a_configured_size_overrides_the_closest_aspect() -> None:
    assert api_size(FORMATS["portrait"], {"portrait": "1024x1024"}) == "1024x1024"


def test_the_prompt_names_the_product_a_page_described() -> None:
    product = Product(name="Stoneware Mug", brand="Acme", description="Hand-glazed,\n 350 ml.")
    spec = RenderSpec(
        prompt="on a wooden table", template=STUDIO, format=FORMATS["square"], product=product
    )

    assert build_prompt(spec) == (
        "Advertising photo of on a wooden table; the product Acme Stoneware Mug; "
        "Hand-glazed, 350 ml., soft studio light, seamless grey sweep"
    )


async def test_a_rate_limit_is_retried_after_the_time_the_api_asks_for(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier, sleeps: Sleeps
) -> None:
    fake.script(rate_limited(retry_after="0"))
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])

    images = await provider(client, retrier).render(spec, 1)

    assert len(images) == 1
    assert fake.paths() == ["/v1/images/generations"] * 2
    assert sleeps == [0.0]


async def test_a_rate_limit_that_lasts_becomes_rate_limited_with_the_asked_delay(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier, sleeps: Sleeps
) -> None:
    fake.script(*[rate_limited(retry_after="7")] * 3)
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])

    with pytest.raises(RateLimited) as caught:
        await provider(client, retrier).render(spec, 1)

    assert caught.value.retry_after == 7.0
    assert caught.value.transient
    assert sleeps == [7.0, 7.0]
    assert len(fake.requests) == 3


async def test_a_server_error_that_persists_is_a_transient_failure_after_every_attempt(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier, sleeps: Sleeps
) -> None:
    fake.script(server_error(500), server_error(503), server_error(500))
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])

    with pytest.raises(ProviderFailed) as caught:
        await provider(client, retrier).render(spec, 2)

    assert caught.value.transient
    assert len(fake.requests) == 3
    assert fake.pending == 0
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0 <= sleeps[1] <= 3.0  # exponential, with jitter


async def test_an_empty_quota_fails_for_good_without_a_retry(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    fake.script(quota_exceeded())
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])

    with pytest.raises(ProviderFailed) as caught:
        await provider(client, retrier).render(spec, 1)

    assert not caught.value.transient
    assert not isinstance(caught.value, RateLimited)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("refusal", [content_policy_violation(), moderation_blocked()])
async def test_a_safety_refusal_is_content_rejected_in_one_sentence(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier, refusal: FakeReply
) -> None:
    fake.script(refusal)
    spec = RenderSpec(
        prompt="a mug", template=STUDIO, format=FORMATS["square"], source=png(200, 200)
    )

    with pytest.raises(ContentRejected) as caught:
        await provider(client, retrier).render(spec, 1)

    assert caught.value.message.count(". ") == 0
    assert caught.value.message.endswith(".")
    assert "safety" in caught.value.message
    assert len(fake.requests) == 1


async def test_a_wrong_api_key_fails_for_good_and_names_the_setting(
    fake: FakeOpenAI, retrier: Retrier
) -> None:
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])
    wrong = OpenAIProvider(api_key="sk-wrong-key", base_url=fake.base_url, retrier=retrier)

    async with wrong:
        with pytest.raises(ProviderFailed) as caught:
            await wrong.render(spec, 1)

    assert not caught.value.transient
    assert "OPENAI_API_KEY" in caught.value.message
    assert len(fake.requests) == 1


async def test_a_retired_model_fails_for_good_and_names_the_model(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])

    with pytest.raises(ProviderFailed) as caught:
        await provider(client, retrier, model="gpt-image-1").render(spec, 1)

    assert not caught.value.transient
    assert "gpt-image-1" in caught.value.message


async def test_an_unreachable_service_is_a_transient_failure(
    retrier: Retrier, sleeps: Sleeps
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])
    offline = OpenAIProvider(
        api_key="sk-test", base_url=f"http://127.0.0.1:{port}/v1", retrier=retrier
    )

    async with offline:
        with pytest.raises(ProviderFailed) as caught:
            await offline.render(spec, 1)

    assert caught.value.transient
    assert len(sleeps) == 2


async def test_prompts_never_reach_the_logs_at_info_level(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script(rate_limited(), content_policy_violation())
    spec = RenderSpec(prompt="zebra-striped teapot", template=STUDIO, format=FORMATS["square"])
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ContentRejected):
        await provider(client, retrier).render(spec, 1)
    await provider(client, retrier).render(spec, 1)

    shown = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    assert shown
    assert not any("zebra" in line for line in shown)


async def test_closing_the_provider_leaves_a_client_it_was_given_open(
    fake: FakeOpenAI, client: AsyncOpenAI, retrier: Retrier
) -> None:
    spec = RenderSpec(prompt="a mug", template=STUDIO, format=FORMATS["square"])
    async with provider(client, retrier) as borrowed:
        await borrowed.render(spec, 1)

    assert not client.is_closed()
    assert len(await provider(client, retrier).render(spec, 1)) == 1
