"""The fake OpenAI server refuses what the real API refuses, so the adapter tests can fail."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.adapters.openai.support import png
from tests.fakes.openai_server import FakeOpenAI

AUTH = {"Authorization": "Bearer sk-test-key"}


async def post(fake: FakeOpenAI, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{path}", headers=headers, **kwargs) as response,
    ):
        return response.status, await response.json()


def edit_form(
    *,
    field: str = "image[]",
    content_type: str = "image/png",
    filename: str | None = "product.png",
    **fields: str,
) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in {"model": "gpt-image-1.5", "prompt": "a mug", **fields}.items():
        form.add_field(name, value)
    if filename is None:
        form.add_field(field, "iVBORw0KGgo=")
    else:
        form.add_field(field, png(64, 64).data, content_type=content_type, filename=filename)
    return form


async def test_a_missing_key_is_401_in_openai_error_shape(fake: FakeOpenAI) -> None:
    status, body = await post(
        fake,
        "/images/generations",
        headers={"Authorization": ""},
        json={"model": "gpt-image-1.5", "prompt": "a mug"},
    )

    assert status == 401
    assert set(body["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"model": "gpt-image-1.5"}, "prompt"),
        ({"prompt": "a mug"}, "model"),
        ({"model": "gpt-image-1.5", "prompt": "a mug", "size": "512x512"}, "size"),
        ({"model": "gpt-image-1.5", "prompt": "a mug", "n": 11}, "n"),
        ({"model": "gpt-image-1.5", "prompt": "a mug", "quality": "hd"}, "quality"),
        (
            {"model": "gpt-image-1.5", "prompt": "a mug", "response_format": "b64_json"},
            "response_format",
        ),
    ],
)
async def test_generations_refuse_bad_parameters(
    fake: FakeOpenAI, payload: dict[str, Any], param: str
) -> None:
    status, body = await post(fake, "/images/generations", json=payload)

    assert status == 400
    assert body["error"]["param"] == param


async def test_generations_want_json(fake: FakeOpenAI) -> None:
    status, body = await post(
        fake,
        "/images/generations",
        data=b"prompt=a+mug",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert status == 400
    assert body["error"]["code"] == "unsupported_content_type"


async def test_edits_want_multipart(fake: FakeOpenAI) -> None:
    status, _ = await post(fake, "/images/edits", json={"model": "gpt-image-1.5", "prompt": "x"})

    assert status == 400


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"content_type": "application/octet-stream"}, "unsupported_file_mimetype"),
        ({"filename": None}, "invalid_type"),
        ({"field": "picture"}, "missing_required_parameter"),
        ({"input_fidelity": "high", "model": "gpt-image-2"}, "unsupported_parameter"),
        ({"size": "1000x1000"}, "invalid_value"),
    ],
)
async def test_edits_refuse_what_the_api_refuses(
    fake: FakeOpenAI, form: dict[str, Any], code: str
) -> None:
    status, body = await post(fake, "/images/edits", data=edit_form(**form))

    assert status == 400
    assert body["error"]["code"] == code


async def test_edits_accept_a_plain_image_field(fake: FakeOpenAI) -> None:
    status, body = await post(fake, "/images/edits", data=edit_form(field="image"))

    assert status == 200
    assert len(body["data"]) == 1


async def test_chat_refuses_an_image_part_that_is_not_an_image(fake: FakeOpenAI) -> None:
    content = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGEgcG5n"}}]
    status, body = await post(
        fake,
        "/chat/completions",
        json={
            "model": "gpt-4.1-mini",
            "messages": [{"role": "user", "content": content}],
        },
    )

    assert status == 400
    assert body["error"]["code"] == "invalid_image_format"
