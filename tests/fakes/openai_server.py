"""A local OpenAI API that speaks the real wire format and checks what the real one checks."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import json
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import BodyPartReader, web
from PIL import Image, ImageDraw, UnidentifiedImageError

JSON = dict[str, Any]

STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")
FIXED_SIZE_MODELS = ("gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest")
FREE_SIZE_MODELS = (
    "gpt-image-2",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-flare",
    "gpt-image-2.6-sunburst",
    "gpt-image-2.6-flare",
)
RETIRED_MODELS = ("gpt-image-1", "dall-e-2", "dall-e-3")
HIGH_FIDELITY_MODELS = ("gpt-image-1", "gpt-image-1.5")
MODERATION_MODELS = (
    "omni-moderation-latest",
    "omni-moderation-2024-09-26",
    "text-moderation-latest",
    "text-moderation-stable",
)
MODERATION_CATEGORIES = tuple(
    [
        "harassment",
        "harassment/threatening",
        "hate",
        "hate/threatening",
        "illicit",
        "illicit/violent",
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
        "sexual",
        "sexual/minors",
        "violence",
        "violence/graphic",
    ]
)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
COMMON_FIELDS = "prompt model n size quality background output_format output_compression user"
GENERATE_FIELDS = frozenset(f"{COMMON_FIELDS} moderation safety_identifier stream".split())
EDIT_FIELDS = frozenset(f"{COMMON_FIELDS} input_fidelity safety_identifier stream".split())
ROLES = ("system", "developer", "user", "assistant", "tool")
DATA_URL = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,(.+)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class RecordedFile:
    """One file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: Mapping[str, str]
    json: JSON | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    files: tuple[RecordedFile, ...] = ()


@dataclass(frozen=True, slots=True)
class FakeReply:
    """A scripted answer: a status, a JSON body and headers."""

    status: int
    body: JSON
    headers: Mapping[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An error answer in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, type_=type_, param=param, code=code)


def _missing(param: str) -> ApiError:
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def _invalid(param: str, message: str, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)


def error_body(
    message: str,
    *,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    **extra: Any,
) -> JSON:
    return {"error": {"message": message, "type": type_, "param": param, "code": code, **extra}}


def rate_limited(retry_after: str | None = "0") -> FakeReply:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = error_body(
        "Rate limit reached for images per minute. Please try again later.",
        type_="requests",
        code="rate_limit_exceeded",
    )
    return FakeReply(429, body, headers)


def quota_exceeded() -> FakeReply:
    body = error_body(
        "You exceeded your current quota, please check your plan and billing details.",
        type_="insufficient_quota",
        code="insufficient_quota",
    )
    return FakeReply(429, body)


def server_error(status: int = 500) -> FakeReply:
    body = error_body(
        "The server had an error while processing your request. Sorry about that!",
        type_="server_error",
    )
    return FakeReply(status, body)


def content_policy_violation() -> FakeReply:
    body = error_body(
        "Your request was rejected as a result of our safety system. Your prompt "
        "may contain text that is not allowed by our safety system.",
        code="content_policy_violation",
    )
    return FakeReply(400, body)


def moderation_blocked() -> FakeReply:
    body = error_body(
        "Your request was rejected by the safety system. If you believe this is an error, "
        "contact us at help.openai.com and include the request ID req_0.",
        type_="image_generation_user_error",
        code="moderation_blocked",
        moderation_details={"moderation_stage": "input", "categories": ["other"]},
    )
    return FakeReply(400, body)


def chat_completion(model: str, content: str | None, refusal: str | None = None) -> JSON:
    message: JSON = {"role": "assistant", "content": content, "refusal": refusal, "annotations": []}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "logprobs": None, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160},
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def chat_refusal(model: str = "gpt-4.1-mini") -> FakeReply:
    return FakeReply(200, chat_completion(model, None, "I'm sorry, I can't help with that."))


class FakeOpenAI:
    """The server's state: what it received, what it will answer next."""

    def __init__(self, *, api_key: str, trigger_word: str, chat_reply: str) -> None:
        self.api_key = api_key
        self.trigger_word = trigger_word
        self.chat_reply = chat_reply
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self._script: deque[FakeReply] = deque()

    def script(self, *replies: FakeReply) -> None:
        """Answer the next authenticated requests with these replies, in order."""
        self._script.extend(replies)

    @property
    def pending(self) -> int:
        return len(self._script)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    async def handle(self, request: web.Request) -> web.Response:
        headers = {
            "x-request-id": f"req_{uuid.uuid4().hex}",
            "openai-processing-ms": "3",
            "openai-version": "2020-10-01",
        }
        try:
            body = await self._dispatch(request)
        except ApiError as error:
            return web.json_response(error.body, status=error.status, headers=headers)
        if isinstance(body, FakeReply):
            return web.json_response(
                body.body, status=body.status, headers={**headers, **body.headers}
            )
        return web.json_response(body, headers=headers)

    async def _dispatch(self, request: web.Request) -> JSON | FakeReply:
        routes = {
            "/v1/images/generations": self._generate,
            "/v1/images/edits": self._edit,
            "/v1/moderations": self._moderate,
            "/v1/chat/completions": self._chat,
        }
        headers = {key.lower(): value for key, value in request.headers.items()}
        bare = RecordedRequest(request.method, request.path, headers)
        handler = routes.get(request.path) if request.method == "POST" else None
        try:
            self._authenticate(request)
            if handler is None:
                raise ApiError(404, f"Invalid URL ({request.method} {request.path})")
            record = await self._parse(request, bare, multipart=handler == self._edit)
        except ApiError:
            self.requests.append(bare)
            raise
        self.requests.append(record)
        if self._script:
            return self._script.popleft()
        return await handler(record)

    async def _parse(
        self, request: web.Request, bare: RecordedRequest, *, multipart: bool
    ) -> RecordedRequest:
        content_type = request.content_type
        if multipart:
            if content_type != "multipart/form-data":
                raise ApiError(
                    400,
                    f"Invalid Content-Type header ({content_type}), expected multipart/form-data.",
                    code="unsupported_content_type",
                )
            fields, files = await _read_multipart(request)
            return replace(bare, fields=fields, files=files)
        if content_type != "application/json":
            raise ApiError(
                400,
                f"Unsupported content type: '{content_type}'. This API method "
                "only accepts 'application/json' requests.",
                code="unsupported_content_type",
            )
        try:
            payload = json.loads(await request.read())
        except ValueError:
            raise ApiError(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return replace(bare, json=payload)

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key "
                "in an Authorization header using Bearer auth (i.e. Authorization: "
                "Bearer YOUR_KEY).",
            )
        if token != self.api_key:
            shown = f"{token[:3]}***{token[-2:]}"
            raise ApiError(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key "
                "at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )

    # --- images -------------------------------------------------------------
    async def _generate(self, record: RecordedRequest) -> JSON:
        body = record.json or {}
        _no_unknown(body, GENERATE_FIELDS)
        prompt, model = _prompt(body.get("prompt")), _image_model(body.get("model"))
        n = _n(body.get("n", 1))
        width, height = _size(model, body.get("size", "auto"))
        _quality(model, body.get("quality", "auto"))
        images = [
            await asyncio.to_thread(_draw, prompt, index, width, height, None) for index in range(n)
        ]
        return _images_answer(images, prompt, width, height)

    async def _edit(self, record: RecordedRequest) -> JSON:
        fields = dict(record.fields)
        _no_unknown(fields, EDIT_FIELDS)
        prompt, model = _prompt(fields.get("prompt")), _image_model(fields.get("model"))
        images = [part for part in record.files if part.field in ("image", "image[]")]
        if not images:
            raise _missing("image")
        if len(images) > 16:
            raise _invalid("image", "You can provide up to 16 images.")
        inputs = [_input_image(part, index) for index, part in enumerate(images, start=1)]
        n = _n(_int_field(fields.get("n", "1"), "n"))
        width, height = _size(model, fields.get("size", "auto"))
        _quality(model, fields.get("quality", "auto"))
        _fidelity(model, fields.get("input_fidelity"))
        drawn = [
            await asyncio.to_thread(_draw, prompt, index, width, height, inputs[0])
            for index in range(n)
        ]
        return _images_answer(drawn, prompt, width, height)

    # --- moderation ---------------------------------------------------------
    async def _moderate(self, record: RecordedRequest) -> JSON:
        body = record.json or {}
        model = body.get("model", "omni-moderation-latest")
        if model not in MODERATION_MODELS:
            raise _invalid("model", f"Invalid value for 'model': '{model}'.")
        raw = body.get("input")
        if raw is None:
            raise _missing("input")
        texts = [raw] if isinstance(raw, str) else raw
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            message = "Invalid type for 'input': expected a string or an array of strings."
            raise _invalid("input", message, "invalid_type")
        trigger = re.compile(rf"\b{re.escape(self.trigger_word)}\b", re.IGNORECASE)
        results = [_moderation_result(bool(trigger.search(text))) for text in texts]
        return {
            "id": f"modr-{uuid.uuid4().hex}",
            "model": f"{model}-2024-09-26",
            "results": results,
        }

    # --- chat ---------------------------------------------------------------
    async def _chat(self, record: RecordedRequest) -> JSON:
        body = record.json or {}
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _missing("model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _missing("messages")
        for index, message in enumerate(messages):
            _chat_message(message, index)
        return chat_completion(model, self.chat_reply)


async def _read_multipart(request: web.Request) -> tuple[dict[str, str], tuple[RecordedFile, ...]]:
    fields: dict[str, str] = {}
    files: list[RecordedFile] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            raise ApiError(400, "Each multipart part needs a name.")
        data = await part.read(decode=False)
        if part.filename is not None:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            files.append(RecordedFile(part.name, part.filename, content_type, bytes(data)))
        elif part.name in ("image", "image[]"):
            message = f"Invalid type for '{part.name}': expected a file, but got a string instead."
            raise _invalid(part.name, message, "invalid_type")
        else:
            fields[part.name] = bytes(data).decode("utf-8")
    return fields, tuple(files)


def _no_unknown(body: Mapping[str, Any], known: frozenset[str]) -> None:
    for key in body:
        if key not in known:
            raise _invalid(key, f"Unknown parameter: '{key}'.", "unknown_parameter")


def _prompt(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _missing("prompt")
    if len(value) > 32000:
        message = "Prompt is too long: the maximum is 32000 characters."
        raise _invalid("prompt", message, "string_above_max_length")
    return value


def _image_model(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _missing("model")
    if value in RETIRED_MODELS:
        raise ApiError(
            404,
            f"The model `{value}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    if _family(value) is None:
        raise _invalid("model", f"Invalid value: '{value}'. Value must be a GPT image model.")
    return value


def _family(model: str) -> str | None:
    for name in (*FIXED_SIZE_MODELS, *FREE_SIZE_MODELS):
        if model == name or re.fullmatch(rf"{re.escape(name)}-\d{{4}}-\d{{2}}-\d{{2}}", model):
            return name
    return None


def _n(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10:
        raise _invalid("n", f"Invalid value for 'n': {value!r}. Must be between 1 and 10.")
    return value


def _int_field(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        message = f"Invalid type for '{name}': expected an integer."
        raise _invalid(name, message, "invalid_type") from None


def _size(model: str, value: Any) -> tuple[int, int]:
    if value == "auto":
        return 1024, 1024
    match = re.fullmatch(r"(\d+)x(\d+)", value) if isinstance(value, str) else None
    if match and value in STANDARD_SIZES:
        return int(match[1]), int(match[2])
    if match and _family(model) in FREE_SIZE_MODELS:
        width, height = int(match[1]), int(match[2])
        if (
            width % 16 == 0
            and height % 16 == 0
            and max(width, height) <= 3840
            and 1 / 3 <= width / height <= 3
            and width * height <= 3840 * 2160
        ):
            return width, height
    choices = ", ".join(f"'{size}'" for size in STANDARD_SIZES)
    raise _invalid("size", f"Invalid value: '{value}'. Supported values are: {choices}, 'auto'.")


def _quality(model: str, value: Any) -> None:
    allowed = ["low", "medium", "high", "auto"]
    if model.startswith("gpt-image-2.5"):
        allowed += ["xhigh", "max"]
    if value not in allowed:
        raise _invalid("quality", f"Invalid value: '{value}'. Supported: {', '.join(allowed)}.")


def _fidelity(model: str, value: str | None) -> None:
    if value is None:
        return
    if value not in ("high", "low"):
        message = f"Invalid value: '{value}'. Supported values are: 'high' and 'low'."
        raise _invalid("input_fidelity", message)
    family = _family(model)
    if family == "gpt-image-1-mini" and value == "low":
        return
    if family not in HIGH_FIDELITY_MODELS:
        message = f"input_fidelity={value} is not supported for model {model}."
        raise _invalid("input_fidelity", message, "unsupported_parameter")


def _input_image(part: RecordedFile, index: int) -> Image.Image:
    if part.content_type not in IMAGE_TYPES:
        raise ApiError(
            400,
            f"Invalid file '{part.field}': unsupported mimetype "
            f"('{part.content_type}'). Supported file formats are 'image/jpeg', "
            "'image/png', and 'image/webp'.",
            param=part.field,
            code="unsupported_file_mimetype",
        )
    if not part.filename:
        raise _invalid(part.field, f"Invalid file '{part.field}': a filename is required.")
    try:
        picture = Image.open(io.BytesIO(part.data))
        picture.load()
    except (UnidentifiedImageError, OSError):
        message = f"Invalid image file or mode for image {index}, please check your image file."
        raise _invalid(part.field, message, "invalid_image_file") from None
    return picture


def _draw(prompt: str, index: int, width: int, height: int, source: Image.Image | None) -> str:
    digest = hashlib.sha256(f"{prompt}#{index}".encode()).digest()
    picture = Image.new("RGB", (width, height), tuple(digest[:3]))
    inner = (width // 4, height // 4, width * 3 // 4, height * 3 // 4)
    if source is None:
        ImageDraw.Draw(picture).rectangle(inner, fill=tuple(digest[3:6]))
    else:
        product = source.convert("RGB").resize((inner[2] - inner[0], inner[3] - inner[1]))
        picture.paste(product, inner[:2])
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def _images_answer(images: list[str], prompt: str, width: int, height: int) -> JSON:
    text_tokens = max(1, len(prompt) // 4)
    image_tokens = 272 * len(images)
    return {
        "created": int(time.time()),
        "background": "opaque",
        "output_format": "png",
        "quality": "medium",
        "size": f"{width}x{height}",
        "data": [{"b64_json": image} for image in images],
        "usage": {
            "input_tokens": text_tokens,
            "output_tokens": image_tokens,
            "total_tokens": text_tokens + image_tokens,
            "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
            "output_tokens_details": {"text_tokens": 0, "image_tokens": image_tokens},
        },
    }


def _moderation_result(flagged: bool) -> JSON:
    categories = dict.fromkeys(MODERATION_CATEGORIES, False)
    scores = dict.fromkeys(MODERATION_CATEGORIES, 0.0001)
    if flagged:
        categories["violence"] = True
        scores["violence"] = 0.97
    return {
        "flagged": flagged,
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": {name: ["text"] for name in MODERATION_CATEGORIES},
    }


def _chat_message(message: Any, index: int) -> None:
    if not isinstance(message, dict) or message.get("role") not in ROLES:
        where = f"messages[{index}].role"
        raise _invalid(where, f"Invalid value for '{where}'.")
    content = message.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not content:
        where = f"messages[{index}].content"
        message = f"Invalid type for '{where}': expected a string or an array of content parts."
        raise _invalid(where, message, "invalid_type")
    for number, part in enumerate(content):
        where = f"messages[{index}].content[{number}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url" and message["role"] == "user":
            _chat_image(part.get("image_url"), where)
            continue
        raise _invalid(where, f"Invalid content part at '{where}'.")


def _chat_image(image_url: Any, where: str) -> None:
    url = image_url.get("url") if isinstance(image_url, dict) else None
    if not isinstance(url, str):
        raise _missing(f"{where}.image_url.url")
    if image_url.get("detail", "auto") not in ("auto", "low", "high", "original"):
        raise _invalid(f"{where}.image_url.detail", "Invalid value for 'detail'.")
    if url.startswith(("https://", "http://")):
        return
    match = DATA_URL.fullmatch(url)
    try:
        if match is None:
            raise ValueError(url[:32])
        Image.open(io.BytesIO(base64.b64decode(match[2], validate=True))).verify()
    except (ValueError, binascii.Error, UnidentifiedImageError, OSError):
        message = "You uploaded an unsupported image. Please make sure your image is valid."
        raise _invalid(f"{where}.image_url", message, "invalid_image_format") from None


@asynccontextmanager
async def serve_openai(
    *,
    api_key: str = "sk-test-key",
    trigger_word: str = "forbidden",
    chat_reply: str = "A studio photo of the product on a soft grey sweep.",
) -> AsyncIterator[FakeOpenAI]:
    """Run the fake on 127.0.0.1 for the duration of the block; ``.base_url`` ends in ``/v1``."""
    fake = FakeOpenAI(api_key=api_key, trigger_word=trigger_word, chat_reply=chat_reply)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.base_url = f"http://{host}:{port}/v1"
        yield fake
    finally:
        await runner.cleanup()
