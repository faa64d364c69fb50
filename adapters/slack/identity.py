"""Who sent a Slack payload: slash commands, Events API callbacks, interactivity.

Slack user ids are unique within a workspace, or within an Enterprise Grid organisation
(whose user ids are global across its workspaces): that is the identity's namespace.
The workspace a payload came from is its tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.identity import Requester

PLATFORM = "slack"


def requester(payload: Mapping[str, Any]) -> Requester:
    """The requester of a slash command (form fields), an event callback or an
    interactive payload (``block_actions``, ``view_submission``, shortcuts)."""
    if "event" in payload:  # Events API: the sender is the event's user
        event = payload["event"]
        team = str(event.get("team") or payload["team_id"])
        user = str(event["user"])
        name = ""
        enterprise = _enterprise_of_event(payload)
    elif isinstance(payload.get("user"), Mapping):  # interactivity
        sender = payload["user"]
        team = str(sender.get("team_id") or payload["team"]["id"])
        user = str(sender["id"])
        name = str(sender.get("name") or sender.get("username") or "")
        enterprise = _id(payload.get("enterprise"))
    else:  # slash command
        team = str(payload["team_id"])
        user = str(payload["user_id"])
        name = str(payload.get("user_name", ""))
        enterprise = str(payload.get("enterprise_id") or "")
    return Requester(PLATFORM, team, user, name or user, namespace=enterprise or team)


def _enterprise_of_event(payload: Mapping[str, Any]) -> str:
    if payload.get("enterprise_id"):
        return str(payload["enterprise_id"])
    for authorization in payload.get("authorizations") or ():
        if authorization.get("enterprise_id"):
            return str(authorization["enterprise_id"])
    return ""


def _id(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, Mapping) else ""
