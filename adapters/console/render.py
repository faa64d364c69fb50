"""Core replies as terminal text or as one JSON object per line."""

from __future__ import annotations

import json
from typing import Any

from core.replies import Action, Confirm, Error, ImageOut, Images, Private, Progress, Reply


def typed(action: Action) -> str:
    """The command a person types to take an action (with what they still choose)."""
    return f"{action.command} {action.argument}" if action.argument else action.command


def _image_json(image: ImageOut) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": image.id,
        "link": image.link,
        "width": image.width,
        "height": image.height,
        "format": image.format,
    }
    if image.actions:
        data["actions"] = [typed(action) for action in image.actions]
    return data


def to_json(reply: Reply) -> dict[str, Any]:
    """The ``--json`` shape of DESIGN §10; fields that do not apply are left out.

    Beyond the contract: ``job_id`` on progress replies, and ``actions`` (the follow-up
    commands a reply or an image offers, as they would be typed).
    """
    data: dict[str, Any] = {"type": reply.kind, "text": reply.text}
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


def to_text(reply: Reply) -> str:
    lines = [f"error: {reply.text}" if isinstance(reply, Error) else reply.text]
    if isinstance(reply, Images):
        for image in reply.images:
            lines.append(f"  {image.id}  {image.width}×{image.height} {image.format}  {image.link}")
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
