"""Short, unguessable identifiers that people can type."""

from __future__ import annotations

import secrets

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_id(prefix: str, length: int = 10) -> str:
    """``prefix`` + ``_`` + random characters without look-alikes (e.g. ``job_k3m9x2qa7p``)."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
