"""Shared test data for the OpenAI adapter tests: formats, a template, photos, a recording sleep."""

from __future__ import annotations

import io

from PIL import Image

from core.imaging import SourceImage
from core.templates import Format, Template

FORMATS = {
    "square": Format("square", 1080, 1080),
    "portrait": Format("portrait", 1080, 1350),
    "story": Format("story", 1080, 1920),
    "landscape": Format("landscape", 1200, 628),
    "marketplace": Format("marketplace", 2000, 2000, fill=0.85, pure_white=True),
}
STUDIO = Template(
    name="studio",
    description="A soft studio sweep.",
    default_format="square",
    prompt="Advertising photo of {subject}, soft studio light, seamless grey sweep",
)


class Sleeps(list[float]):
    """Records every backoff delay instead of waiting it out."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def png(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> SourceImage:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return SourceImage(data=out.getvalue(), width=width, height=height, has_alpha=False)
