"""What Slack checks of a Web API call: its arguments, token, message content and modals."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.slack_server.records import JSON, Token

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
#: The longest text of a section and of a header block.
MAX_TEXT_OF = {"section": 3000, "header": 150}


class SlackError(Exception):
    """An API error: answered with HTTP 200 and ``{"ok": false, "error": code, ...extra}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def invalid(*messages: str) -> SlackError:
    return SlackError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


async def read_args(request: web.Request) -> tuple[JSON, str | None, list[str]]:
    """The call's arguments, a token sent in a form body, and Slack's warnings.

    Slack reads the query string and a form-encoded, multipart or JSON body. A token in a
    form body counts; in JSON or in the query string it does not (Slack ignores tokens in
    JSON bodies, and refuses query-string tokens for apps created since February 2021), so
    such a call answers ``not_authed``."""
    args: JSON = dict(request.query)
    args.pop("token", None)
    warnings: list[str] = []
    body_token: str | None = None
    if request.method != "POST" or not request.body_exists:
        return args, body_token, warnings
    content_type = request.content_type
    if "Content-Type" not in request.headers:
        raise SlackError("missing_post_type")
    if content_type == "application/json":
        if request.charset is None:
            warnings.append("missing_charset")
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        body.pop("token", None)
        args.update(body)
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        args.update({key: str(value) for key, value in form.items()})
        body_token = args.pop("token", None)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise SlackError("invalid_form_data")
            data = await part.read(decode=True)
            if part.filename is None:
                args[part.name] = bytes(data).decode("utf-8", errors="replace")
        body_token = args.pop("token", None)
    elif await request.read():
        raise SlackError("invalid_post_type")
    return args, body_token, warnings


def bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def basic(request: web.Request) -> tuple[str, str] | None:
    """The client id and secret of an HTTP Basic ``Authorization`` header, if one is sent."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_client_id") from None
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def require_scope(token: Token, needed: str) -> None:
    if needed not in token.scopes:
        raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(token.scopes)))


def optional(args: Mapping[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def json_arg(value: Any) -> Any:
    """A JSON-typed argument: parsed already in a JSON body, a JSON string in a form."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def content(args: Mapping[str, Any]) -> tuple[str, list[JSON] | None, Any]:
    """A message's text, blocks and attachments, checked as chat.postMessage checks them."""
    text, markdown = optional(args, "text"), optional(args, "markdown_text")
    if text is not None and markdown is not None:
        raise SlackError("markdown_text_conflict")
    blocks = None
    if args.get("blocks") not in (None, ""):
        blocks = json_arg(args["blocks"])
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        check_blocks(blocks, "blocks", MAX_MESSAGE_BLOCKS, invalid_blocks)
    attachments = json_arg(args.get("attachments")) if args.get("attachments") else None
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if not (text or markdown or blocks or attachments):
        raise SlackError("no_text")
    return text or markdown or "", blocks, attachments


def invalid_blocks(*messages: str) -> SlackError:
    return SlackError(
        "invalid_blocks", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


def check_blocks(
    blocks: list[Any], where: str, limit: int, error: Callable[..., SlackError]
) -> None:
    if len(blocks) > limit:
        raise error(f"no more than {limit} items allowed [json-pointer:/{where}]")
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise error(f"missing required field: type [json-pointer:/{where}/{index}]")
        if block["type"] == "input" and not ("label" in block and "element" in block):
            raise error(f"missing required field: label/element [json-pointer:/{where}/{index}]")
        limit = MAX_TEXT_OF.get(block["type"])
        text = block.get("text")
        if limit is not None and isinstance(text, dict) and len(str(text.get("text"))) > limit:
            pointer = f"json-pointer:/{where}/{index}/text"
            raise error(f"must be less than {limit + 1} characters [{pointer}]")
        if block["type"] == "header" and not (
            isinstance(text, dict) and text.get("type") == "plain_text"
        ):
            raise error(f"must be a plain_text text object [json-pointer:/{where}/{index}/text]")


def check_view(view: JSON) -> None:
    """What Slack checks of a modal before it opens it (``invalid_arguments`` otherwise)."""
    if view.get("type") != "modal":
        raise invalid("must be 'modal' [json-pointer:/view/type]")
    for name in ("title", "blocks"):
        if name not in view:
            raise invalid(f"missing required field: {name} [json-pointer:/view]")
    for name in ("title", "close", "submit"):
        if name not in view:
            continue
        label = view[name]
        if not isinstance(label, dict) or label.get("type") != "plain_text":
            raise invalid(f"must be a plain_text text object [json-pointer:/view/{name}]")
        if not isinstance(label.get("text"), str) or not 0 < len(label["text"]) <= 24:
            raise invalid(f"must be less than 25 characters [json-pointer:/view/{name}/text]")
    if not isinstance(view["blocks"], list):
        raise invalid("must be an array [json-pointer:/view/blocks]")
    check_blocks(view["blocks"], "view/blocks", MAX_VIEW_BLOCKS, invalid)
    if "submit" not in view and any(block["type"] == "input" for block in view["blocks"]):
        raise invalid("must provide submit when the view has input blocks [json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise invalid("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(json.dumps(view)) > 250_000:
        raise SlackError("view_too_large")
