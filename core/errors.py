"""Core errors: each carries the one sentence a user reads."""

from __future__ import annotations


class AioeError(Exception):
    """Base of every error the product expects; ``str(error)`` is safe to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(AioeError):
    """The request itself is wrong: nothing was charged or stored."""


class NotFound(AioeError):
    """The thing named does not exist, or is not the requester's."""


class InsufficientCredits(AioeError):
    """The balance does not cover the cost."""


class ContentRejected(AioeError):
    """A prompt or image was refused by moderation or by the provider's policy."""


class ProviderFailed(AioeError):
    """The image provider failed; ``transient`` failures are worth retrying."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class RateLimited(ProviderFailed):
    """A vendor asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, transient=True)
        self.retry_after = retry_after


class LinkInvalid(AioeError):
    """A link's signature does not match."""


class LinkExpired(AioeError):
    """A link was genuine but its time is up."""


class ActionRefused(AioeError):
    """A button value was altered, is unknown, or was pressed by someone it is not for."""
