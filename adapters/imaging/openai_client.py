"""Shared OpenAI plumbing: the client, our own retries, and vendor errors as core errors."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self, TypeVar

import openai
from openai import AsyncOpenAI
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from core import messages
from core.errors import AioeError, ContentRejected, ProviderFailed, RateLimited

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

MAX_TIMEOUT = 180.0
REJECTION_CODES = frozenset({"content_policy_violation", "moderation_blocked"})


def make_client(
    *, api_key: str | None = None, base_url: str | None = None, timeout: float = 120.0
) -> AsyncOpenAI:
    """An SDK client that never retries on its own; ``None`` values fall back to
    ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``."""
    return AsyncOpenAI(
        api_key=api_key, base_url=base_url, timeout=min(timeout, MAX_TIMEOUT), max_retries=0
    )


class ClientHolder:
    """Owns the SDK client it made (and closes it); borrows one it was given."""

    def __init__(
        self,
        client: AsyncOpenAI | None,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
    ) -> None:
        self._owned = client is None
        if client is None:
            self.client = make_client(api_key=api_key, base_url=base_url, timeout=timeout)
        else:
            self.client = client.with_options(max_retries=0)

    async def aclose(self) -> None:
        if self._owned:
            await self.client.close()


class UsesClient:
    """Base of the OpenAI adapters: closes the client it owns (a shared one stays open),
    directly or as an async context manager."""

    _holder: ClientHolder

    async def aclose(self) -> None:
        await self._holder.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the vendor asked us to wait (``retry-after-ms``, ``retry-after``), if any."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def is_retryable(error: BaseException) -> bool:
    """429 (but not an empty quota), 5xx and dropped connections; a timeout is not retried
    here, because one attempt may already have used the whole time budget."""
    if isinstance(error, openai.RateLimitError):
        return error.code != "insufficient_quota"
    if isinstance(error, openai.InternalServerError):
        return True
    return isinstance(error, openai.APIConnectionError) and not isinstance(
        error, openai.APITimeoutError
    )


class Retrier:
    """Runs one vendor call, retrying what is worth retrying with exponential backoff.

    ``sleep`` does the waiting; tests pass one that records the delay and returns at once.
    """

    def __init__(
        self,
        *,
        attempts: int = 4,
        initial: float = 1.0,
        maximum: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.attempts = max(attempts, 1)
        self.maximum = maximum
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(initial=initial, max=maximum, jitter=initial)

    async def __call__(self, operation: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(is_retryable),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await operation()
        raise AssertionError("tenacity stops by raising")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, openai.APIStatusError):
            hinted = retry_after(error.response.headers)
            if hinted is not None:
                return min(hinted, self.maximum)
        return float(self._backoff(state))


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info(
        "OpenAI call failed (%s), attempt %d; retrying in %.1fs",
        _describe(error),
        state.attempt_number,
        wait,
    )


def _describe(error: BaseException | None) -> str:
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code} {error.code or ''} request {error.request_id}".strip()
    return type(error).__name__


def translate(error: openai.OpenAIError, *, model: str) -> AioeError:
    """The core error for a vendor error; logs the vendor's details, never the prompt."""
    log.warning("OpenAI call failed for good: %s", _describe(error))
    if isinstance(error, openai.RateLimitError):
        if error.code == "insufficient_quota":
            return ProviderFailed(messages.OPENAI_NO_QUOTA, transient=False)
        return RateLimited(messages.OPENAI_BUSY, retry_after=retry_after(error.response.headers))
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderFailed(messages.OPENAI_BAD_KEY, transient=False)
    if isinstance(error, openai.BadRequestError) and error.code in REJECTION_CODES:
        return ContentRejected(messages.OPENAI_CONTENT_REJECTED)
    if isinstance(error, openai.NotFoundError) and error.code == "model_not_found":
        return ProviderFailed(messages.OPENAI_UNKNOWN_MODEL.format(model=model), transient=False)
    if isinstance(error, openai.InternalServerError | openai.APIConnectionError):
        return ProviderFailed(messages.OPENAI_UNAVAILABLE, transient=True)
    if isinstance(error, openai.APIStatusError):
        return ProviderFailed(messages.PROVIDER_REFUSED, transient=False)
    return ProviderFailed(messages.OPENAI_BAD_ANSWER, transient=False)
