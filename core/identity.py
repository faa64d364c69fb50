"""Who is asking: a platform identity, and the tenant it asked from, as value objects."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    """One person on one platform: the key of one account.

    ``namespace`` is where the platform's user ids are unique: the Slack team (or
    Enterprise Grid organisation), ``global`` for Discord's global user ids, ``local``
    in the terminal.
    """

    platform: str
    namespace: str
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.namespace}:{self.user_id}"

    @classmethod
    def parse(cls, key: str) -> Identity:
        """Read ``platform:namespace:user_id`` (as the operator CLI takes it)."""
        parts = key.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a platform:namespace:user_id identity: {key!r}")
        return cls(*parts)


@dataclass(frozen=True, slots=True)
class Requester:
    """Who sent a command, and from where.

    ``tenant`` is context, not identity: the Slack workspace or Discord guild the command
    came from (``local`` in the terminal). ``namespace`` defaults to the tenant, which is
    right where user ids are unique per tenant (Slack without Enterprise Grid).
    """

    platform: str
    tenant: str
    user_id: str
    display_name: str = ""
    namespace: str = ""
    manager: bool = False  # may manage the tenant's shared credits (workspace admin, …)

    @property
    def identity(self) -> Identity:
        return Identity(self.platform, self.namespace or self.tenant, self.user_id)

    @property
    def key(self) -> str:
        return self.identity.key


class IdentityHasher:
    """A keyed hash of an identity (HMAC-SHA256 with a key derived from the server's
    secret): what the product keeps to know it met an identity before, without keeping
    the identity. Nobody without the secret can test a guess against it."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"aioe.identities", hashlib.sha256).digest()

    def digest(self, identity: Identity) -> str:
        return digest_key(self._key, identity.key)


def digest_key(key: bytes, identity_key: str) -> str:
    """32 hex digits of HMAC-SHA256(``key``, ``platform:namespace:user_id``)."""
    return hmac.new(key, identity_key.encode(), hashlib.sha256).hexdigest()[:32]
