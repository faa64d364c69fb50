"""Prompt checks with OpenAI's moderation endpoint, before anything is spent."""

from __future__ import annotations

import logging

import openai
from openai import AsyncOpenAI

from adapters.imaging.openai_client import ClientHolder, Retrier, UsesClient, translate
from core import messages
from core.errors import ContentRejected, ProviderFailed

log = logging.getLogger(__name__)


class OpenAIModerator(UsesClient):
    """Checks prompts with ``moderations.create``; a flagged prompt is refused."""

    def __init__(
        self,
        client: AsyncOpenAI | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = "omni-moderation-latest",
        timeout: float = 30.0,
        retrier: Retrier | None = None,
    ) -> None:
        self.model = model
        self._timeout = timeout
        self._holder = ClientHolder(client, api_key=api_key, base_url=base_url, timeout=timeout)
        self._retry = retrier or Retrier(attempts=3)

    async def check(self, text: str) -> None:
        if not text.strip():
            return
        moderations = self._holder.client.moderations
        try:
            answer = await self._retry(
                lambda: moderations.create(model=self.model, input=text, timeout=self._timeout)
            )
        except openai.OpenAIError as error:
            failure = translate(error, model=self.model)
            transient = isinstance(failure, ProviderFailed) and failure.transient
            sentence = (
                messages.MODERATION_UNAVAILABLE if transient else messages.MODERATION_MISCONFIGURED
            )
            raise ProviderFailed(sentence, transient=transient) from error
        if any(result.flagged for result in answer.results):
            log.info("a prompt was flagged by %s (moderation %s)", answer.model, answer.id)
            raise ContentRejected(messages.PROMPT_FLAGGED)
