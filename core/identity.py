"""Who is asking: a platform identity as a value object."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Requester:
    """One person on one platform: ``console``, ``slack`` or ``discord``.

    ``tenant`` is the Slack team or Discord guild (``local`` in the terminal).
    """

    platform: str
    tenant: str
    user_id: str
    display_name: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.tenant}:{self.user_id}"

    @classmethod
    def parse(cls, key: str) -> Requester:
        """Read ``platform:tenant:user_id`` (as the operator CLI takes it)."""
        parts = key.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a platform:tenant:user_id identity: {key!r}")
        return cls(parts[0], parts[1], parts[2], parts[2])
