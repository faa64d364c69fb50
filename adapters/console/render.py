"""Core replies as terminal text or as one JSON object per line."""

from __future__ import annotations

import json
from typing import Any

from core.replies import Confirm, Error, Images, Private, Progress, Reply


def to_json(reply: Reply) -> dict[str, Any]:
    """The ``--json`` shape of DESIGN §10; fields that do not apply are left out."""
    data: dict[str, Any] = {"type": reply.kind, "text": reply.text}
    if isinstance(reply, Images):
        data["images"] = [
            {"id": i.id, "link": i.link, "width": i.width, "height": i.height, "format": i.format}
            for i in reply.images
        ]
    if isinstance(reply, Private) and reply.link:
        data["link"] = reply.link
    if isinstance(reply, Confirm):
        data["code"] = reply.code
    if isinstance(reply, Progress):
        data["job_id"] = reply.job_id
    if reply.actions:
        data["actions"] = [action.command for action in reply.actions]
    return data


def to_line(reply: Reply) -> str:
    return json.dumps(to_json(reply), ensure_ascii=False)


def to_text(reply: Reply) -> str:
    lines = [f"error: {reply.text}" if isinstance(reply, Error) else reply.text]
    if isinstance(reply, Images):
        lines += [f"  {i.id}  {i.width}×{i.height} {i.format}  {i.link}" for i in reply.images]
    if isinstance(reply, Private) and reply.link:
        lines.append(f"  {reply.link}")
    if isinstance(reply, Confirm):
        lines.append(
            f"  to confirm, type: {reply.actions[0].command}"
            if reply.actions
            else f"  code: {reply.code}"
        )
    offered = [a.command for a in reply.actions if not isinstance(reply, Confirm)]
    if offered:
        lines.append("  next: " + "   ".join(offered))
    return "\n".join(lines)
