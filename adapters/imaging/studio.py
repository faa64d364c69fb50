"""The offline ``studio`` provider: cut the product out, stage it on a template, no network."""

from __future__ import annotations

import asyncio
import math
from typing import Literal

import numpy as np

from adapters.imaging.compose import Cutout, compose, png
from adapters.imaging.extract import extract
from core import messages
from core.errors import BadInput
from core.imaging import RenderedImage, RenderSpec


def product_side(spec: RenderSpec) -> int:
    """The most pixels the product's long side can take in the picture: it is cut out at
    that size and never resampled twice."""
    fmt = spec.format
    scale = 1.0 if fmt.pure_white else max(1.0, float(spec.template.background.get("scale", 1.0)))
    return math.ceil(max(fmt.width, fmt.height) * fmt.fill * scale)


class StudioProvider:
    """Deterministic product shots: the same spec and seed always give the same bytes.

    ``cutout`` picks the cut-out version: 1 is the flood fill, 2 refines it with GrabCut.
    """

    name = "studio"
    supports_prompt_only = False

    def __init__(self, *, cost: int = 1, cutout: Literal[1, 2] = 2) -> None:
        self._cost = cost
        self._cutout = cutout

    def cost_per_image(self) -> int:
        return self._cost

    async def render(self, spec: RenderSpec, n: int) -> list[RenderedImage]:
        if spec.source is None:
            raise BadInput(messages.PROMPT_ONLY_NEEDS_AI)
        cut = await asyncio.to_thread(extract, spec.source.data, product_side(spec), self._cutout)
        return [await asyncio.to_thread(self._variant, cut, spec, index) for index in range(n)]

    @staticmethod
    def _variant(cut: Cutout, spec: RenderSpec, index: int) -> RenderedImage:
        rng = np.random.default_rng([spec.seed % (1 << 64), index])
        image = compose(cut, spec.template, spec.format, spec.product, rng)
        return RenderedImage(data=png(image), width=image.width, height=image.height)
