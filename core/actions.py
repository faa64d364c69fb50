"""Actions as button values: short, signed, and checked again when pressed.

A value is ``aioe:1:<kind>:<target>:<owner>:<mac>`` (at most about 80 characters, within
Discord's 100 for a custom id and Slack's 255 for an action id). The MAC is HMAC-SHA256
over the rest with a key derived from the server's secret, truncated to 96 bits and
compared in constant time. What the person still chooses (a format) travels beside the
value: a select's chosen option.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from core import messages
from core.commands import Cancel, Command, DeleteMe, Reformat, Reroll
from core.errors import ActionRefused
from core.replies import Action, ActionKind

PREFIX = "aioe"
VERSION = "1"
_MAC_BYTES = 12

#: For each kind: its code in a value, the command, the field the target fills, and
#: the field a choice fills (if the person still chooses).
_SHAPES: dict[ActionKind, tuple[str, Callable[..., Command], str, str | None]] = {
    ActionKind.REROLL: ("r", Reroll, "image_id", None),
    ActionKind.REFORMAT: ("f", Reformat, "image_id", "format"),
    ActionKind.CANCEL: ("c", Cancel, "job_id", None),
    ActionKind.CONFIRM: ("d", DeleteMe, "code", None),
}
_BY_CODE = {code: kind for kind, (code, *_) in _SHAPES.items()}


@dataclass(frozen=True, slots=True)
class Pressed:
    """A verified press: the command it performs and whose it is."""

    kind: ActionKind
    command: Command
    owner: str


class ActionCodec:
    """Encodes actions into button values and checks the values that come back."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"aioe.actions", hashlib.sha256).digest()

    def encode(self, action: Action) -> str:
        code, _, target_field, _ = _SHAPES[action.kind]
        target = str(getattr(action.command, target_field))
        body = ":".join((PREFIX, VERSION, code, target, action.owner))
        return f"{body}:{self._mac(body)}"

    def decode(self, value: str, choice: str | None = None) -> Pressed:
        """The press a value stands for; raises ``ActionRefused`` for anything altered."""
        body, _, mac = value.rpartition(":")
        parts = body.split(":")
        if len(parts) != 5 or not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            raise ActionRefused(messages.ACTION_INVALID)
        prefix, version, code, target, owner = parts
        kind = _BY_CODE.get(code)
        if prefix != PREFIX or version != VERSION or kind is None:
            raise ActionRefused(messages.ACTION_INVALID)
        _, command_type, target_field, choice_field = _SHAPES[kind]
        fields = {target_field: target}
        if choice_field is not None:
            if not choice:
                raise ActionRefused(messages.ACTION_NEEDS_CHOICE)
            fields[choice_field] = choice
        return Pressed(kind, command_type(**fields), owner)

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
