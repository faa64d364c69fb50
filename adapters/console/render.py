"""Core replies as terminal text or as one JSON object per line."""

from __future__ import annotations

import json
from typing import Any

from core.replies import Action, Confirm, Error, Images, Private, Progress, Reply

#: What a typed command still needs after the part a reply can fill in.
_TO_TYPE = {"reformat": " FORMAT"}


def typed(action: Action) -> str:
    """The command a person types to take an action."""
    return action.command + _TO_TYPE.get(action.kind, "")


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
        data["actions"] = [typed(action) for action in reply.actions]
    return data


def to_line(reply: Reply) -> str:
    return json.dumps(to_json(reply), ensure_ascii=False)


def to_text(reply: Reply) -> str:
    lines = [f"error: {reply.text}" if isinstance(reply, Error) else reply.text]
    actions = list(reply.actions)
    if isinstance(reply, Images):
        for image in reply.images:
            lines.append(f"  {image.id}  {image.width}×{image.height} {image.format}  {image.link}")
            own = [a for a in actions if a.command.endswith(f" {image.id}")]
            actions = [a for a in actions if a not in own]
            if own:
                lines.append("    " + "   ".join(typed(a) for a in own))
    if isinstance(reply, Private) and reply.link:
        lines.append(f"  {reply.link}")
    if isinstance(reply, Confirm):
        lines.append(
            f"  to confirm, type: {typed(actions[0])}" if actions else f"  code: {reply.code}"
        )
        actions = []
    if actions:
        lines.append("  next: " + "   ".join(typed(a) for a in actions))
    return "\n".join(lines)
