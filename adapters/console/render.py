"""Core replies as terminal text or as one JSON object per line."""

from __future__ import annotations

import json
from typing import Any

from adapters.console.syntax import typed, usage
from core import messages
from core.replies import (
    Audience,
    Confirm,
    Error,
    Guide,
    ImageOut,
    Images,
    Private,
    Progress,
    Reply,
    Statement,
    Templates,
)


def _image_json(image: ImageOut) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": image.id,
        "link": image.link,
        "width": image.width,
        "height": image.height,
        "format": image.encoding,
    }
    if image.actions:
        data["actions"] = [typed(action) for action in image.actions]
    return data


def _json_type(reply: Reply) -> str:
    """The contract's types: catalogue, statement and guide are text, private or not."""
    if isinstance(reply, Templates | Statement | Guide):
        return "private" if reply.audience is Audience.REQUESTER else "text"
    return reply.kind


def to_json(reply: Reply) -> dict[str, Any]:
    """The ``--json`` shape of DESIGN §10; fields that do not apply are left out.

    Beyond the contract: ``job_id`` on progress replies, and ``actions`` (the follow-up
    commands a reply or an image offers, as they would be typed).
    """
    data: dict[str, Any] = {"type": _json_type(reply), "text": body(reply)}
    if isinstance(reply, Images):
        data["images"] = [_image_json(image) for image in reply.images]
    if isinstance(reply, Private) and reply.link:
        data["link"] = reply.link
    if isinstance(reply, Confirm):
        data["code"] = reply.code
    if isinstance(reply, Progress):
        data["job_id"] = reply.job_id
    if reply.actions:
        data["actions"] = [typed(action) for action in reply.actions]
    return data


def to_line(reply: Reply) -> str:
    return json.dumps(to_json(reply), ensure_ascii=False)


def body(reply: Reply) -> str:
    """A reply's own text; catalogue, statement and guide laid out in columns."""
    if isinstance(reply, Templates):
        return _templates(reply)
    if isinstance(reply, Statement):
        return _statement(reply)
    if isinstance(reply, Guide):
        return _guide(reply)
    return reply.text


def to_text(reply: Reply) -> str:
    text = body(reply)
    lines = [f"error: {text}" if isinstance(reply, Error) else text]
    if isinstance(reply, Images):
        for image in reply.images:
            lines.append(
                f"  {image.id}  {image.width}×{image.height} {image.encoding}  {image.link}"
            )
            if image.actions:
                lines.append("    " + "   ".join(typed(a) for a in image.actions))
    if isinstance(reply, Private) and reply.link:
        lines.append(f"  {reply.link}")
    if isinstance(reply, Confirm):
        lines.append(
            f"  to confirm, type: {typed(reply.actions[0])}"
            if reply.actions
            else f"  code: {reply.code}"
        )
    elif reply.actions:
        lines.append("  next: " + "   ".join(typed(a) for a in reply.actions))
    return "\n".join(lines)


def _templates(reply: Templates) -> str:
    lines = [messages.TEMPLATES_HEADER]
    width = max((len(t.name) for t in reply.templates), default=0)
    for t in reply.templates:
        lines.append(f"  {t.name:<{width}}  {t.default_format:<11}  {t.description}")
    lines.append(messages.FORMATS_HEADER)
    for f in reply.formats:
        lines.append(f"  {f.name:<11}  {f.width}×{f.height}  {f.description}")
    return "\n".join(lines)


def _statement(reply: Statement) -> str:
    lines = [
        messages.CREDITS_SUMMARY.format(balance=reply.balance),
        messages.CREDITS_RECENT if reply.lines else messages.NO_MOVEMENTS,
    ]
    for line in reply.lines:
        when = line.at.strftime("%Y-%m-%d %H:%M")
        detail = " ".join(
            part for part in (line.reason, f"({line.job_id})" if line.job_id else "") if part
        )
        lines.append(f"  {when}  {line.kind:<8} {line.amount:>+4d}  {detail}".rstrip())
    return "\n".join(lines)


def _guide(reply: Guide) -> str:
    lines = ["Commands:"]
    for command in reply.commands:
        syntax = usage(command.name)
        if len(syntax) <= 22:
            lines.append(f"  {syntax:<22} {command.summary}")
        else:
            lines.extend((f"  {syntax}", f"{'':<25}{command.summary}"))
    return "\n".join(lines)
