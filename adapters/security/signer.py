"""Link tokens signed with itsdangerous (HMAC-SHA256, constant-time comparison).

Base64 decoding forgives stray characters and unused low bits, so a token is accepted
only in the exact form this signer issues: one changed character always fails.
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from core import messages
from core.errors import LinkInvalid


class HmacSigner:
    """Implements ``TokenSigner``: compact URL-safe tokens over a JSON payload."""

    def __init__(self, secret: str, salt: str = "aioe.links") -> None:
        self._serializer = URLSafeSerializer(
            secret,
            salt=salt,
            serializer_kwargs={"sort_keys": True},
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def dumps(self, payload: dict[str, Any]) -> str:
        token = self._serializer.dumps(payload)
        return token if isinstance(token, str) else token.decode()

    def loads(self, token: str) -> dict[str, Any]:
        try:
            payload = self._serializer.loads(token)
        except BadData:
            raise LinkInvalid(messages.LINK_INVALID) from None
        if not isinstance(payload, dict) or self.dumps(payload) != token:
            raise LinkInvalid(messages.LINK_INVALID)
        return payload
