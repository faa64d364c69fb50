"""The ``openai`` provider: ``images.generate`` for a prompt, ``images.edit`` for a photo."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
import math
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import openai
from openai import AsyncOpenAI
from openai.types import ImagesResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from adapters.imaging.decode import upright
from adapters.imaging.openai_client import (
    MAX_TIMEOUT,
    ClientHolder,
    Retrier,
    UsesClient,
    translate,
)
from core import messages
from core.errors import ProviderFailed
from core.imaging import RenderedImage, RenderSpec
from core.templates import Format

log = logging.getLogger(__name__)

Quality = Literal["low", "medium", "high", "auto"]

API_SIZES = ("1024x1024", "1024x1536", "1536x1024")
HIGH_FIDELITY_MODELS = ("gpt-image-1", "gpt-image-1.5")
PHOTO_SUBJECT = "the product in the photo"
DESCRIPTION_LIMIT = 300


@dataclass(frozen=True, slots=True)
class OpenAIImageConfig:
    """Operator settings for the ``openai`` provider.

    ``sizes`` maps a format name to an API size and overrides the closest-aspect choice;
    ``input_fidelity`` ``None`` sends ``high`` only to models that accept it.
    """

    model: str = "gpt-image-1.5"
    quality: Quality = "auto"
    sizes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    credits_per_image: int = 4
    timeout: float = 120.0
    input_fidelity: bool | None = None


def api_size(fmt: Format, overrides: Mapping[str, str] | None = None) -> str:
    """The API size whose aspect ratio is closest to the format's."""
    if overrides and fmt.name in overrides:
        return overrides[fmt.name]
    wanted = math.log(fmt.width / fmt.height)

    def distance(size: str) -> float:
        width, _, height = size.partition("x")
        return abs(math.log(int(width) / int(height)) - wanted)

    return min(API_SIZES, key=distance)


def supports_high_fidelity(model: str) -> bool:
    """``input_fidelity=high`` is accepted by the GPT Image 1 and 1.5 families only."""
    return any(model == name or model.startswith(f"{name}-20") for name in HIGH_FIDELITY_MODELS)


def subject_of(spec: RenderSpec) -> str:
    """What the picture is of: the user's words, then what the product page says."""
    pieces = [spec.prompt.strip()]
    product = spec.product
    if product is not None:
        name = product.name.strip()
        if product.brand and product.brand.lower() not in name.lower():
            name = f"{product.brand.strip()} {name}"
        pieces.append(f"the product {name}")
        description = " ".join(product.description.split())
        if description:
            pieces.append(textwrap.shorten(description, DESCRIPTION_LIMIT, placeholder="…"))
    subject = "; ".join(piece for piece in pieces if piece)
    return subject or PHOTO_SUBJECT


def build_prompt(spec: RenderSpec) -> str:
    """The template's scaffold with the subject filled in."""
    scaffold = spec.template.prompt
    subject = subject_of(spec)
    if "{subject}" not in scaffold:
        return f"{scaffold.strip()} {subject}".strip()
    try:
        return scaffold.format(subject=subject)
    except (KeyError, IndexError, ValueError):
        return scaffold.replace("{subject}", subject)


def fit(data: bytes, width: int, height: int) -> RenderedImage:
    """Cover-crop and resize one answer to the format's exact pixel size, as PNG."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            mode = "RGBA" if picture.has_transparency_data else "RGB"
            fitted = ImageOps.fit(
                picture.convert(mode), (width, height), method=Image.Resampling.LANCZOS
            )
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ProviderFailed(messages.OPENAI_BAD_ANSWER, transient=True) from error
    out = io.BytesIO()
    fitted.save(out, format="PNG")
    return RenderedImage(data=out.getvalue(), width=width, height=height, format="png")


def _decode_and_fit(encoded: list[str], width: int, height: int) -> list[RenderedImage]:
    images = []
    for text in encoded:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ProviderFailed(messages.OPENAI_BAD_ANSWER, transient=True) from error
        images.append(fit(raw, width, height))
    return images


class OpenAIProvider(UsesClient):
    """Makes images with OpenAI's Images API; the photo, when there is one, goes to
    ``images.edit`` so the product keeps its look."""

    name = "openai"
    supports_prompt_only = True

    def __init__(
        self,
        client: AsyncOpenAI | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        config: OpenAIImageConfig | None = None,
        retrier: Retrier | None = None,
    ) -> None:
        self.config = config or OpenAIImageConfig()
        self._timeout = min(self.config.timeout, MAX_TIMEOUT)
        self._holder = ClientHolder(
            client, api_key=api_key, base_url=base_url, timeout=self._timeout
        )
        self._retry = retrier or Retrier()

    def cost_per_image(self) -> int:
        return self.config.credits_per_image

    async def render(self, spec: RenderSpec, n: int) -> list[RenderedImage]:
        prompt = build_prompt(spec)
        size = api_size(spec.format, self.config.sizes)
        started = time.monotonic()
        # Never the prompt itself, at any level: people's prompts are personal data.
        log.debug("OpenAI image request: %d prompt characters, %s", len(prompt), size)
        try:
            answer = await self._retry(lambda: self._request(spec, prompt, n, size))
        except openai.OpenAIError as error:
            raise translate(error, model=self.config.model) from error
        encoded = [item.b64_json for item in answer.data or () if item.b64_json]
        if not encoded:
            raise ProviderFailed(messages.OPENAI_BAD_ANSWER, transient=True)
        if len(encoded) < n:
            log.warning("OpenAI returned %d of %d images", len(encoded), n)
        images = await asyncio.to_thread(
            _decode_and_fit, encoded, spec.format.width, spec.format.height
        )
        log.info(
            "OpenAI %s: %d image(s) with %s at %s, fitted to %s, in %.1fs",
            "edit" if spec.source else "generate",
            len(images),
            self.config.model,
            size,
            spec.format.name,
            time.monotonic() - started,
        )
        return images

    async def _request(self, spec: RenderSpec, prompt: str, n: int, size: str) -> ImagesResponse:
        images = self._holder.client.images
        config = self.config
        if spec.source is None:
            return await images.generate(
                model=config.model,
                prompt=prompt,
                n=n,
                size=size,
                quality=config.quality,
                timeout=self._timeout,
            )
        fidelity = config.input_fidelity
        if fidelity is None:
            fidelity = supports_high_fidelity(config.model)
        photo, media_type = await asyncio.to_thread(upright, spec.source.data)
        name = "product.png" if media_type == "image/png" else "product.jpg"
        return await images.edit(
            model=config.model,
            image=[(name, photo, media_type)],
            prompt=prompt,
            n=n,
            size=size,
            quality=config.quality,
            input_fidelity="high" if fidelity else openai.omit,
            timeout=self._timeout,
        )
