"""What image providers read and write: plain data, no imaging library."""

from __future__ import annotations

from dataclasses import dataclass

from core.templates import Format, Template


@dataclass(frozen=True, slots=True)
class SourceImage:
    """A validated upload: a JPEG as it came less its metadata (the EXIF orientation aside),
    or a PNG normalised to RGB or RGBA and turned upright. ``width`` and ``height`` are the
    upright picture's."""

    data: bytes
    width: int
    height: int
    has_alpha: bool

    @property
    def media_type(self) -> str:
        return "image/jpeg" if self.data.startswith(b"\xff\xd8") else "image/png"

    @property
    def extension(self) -> str:
        return "jpg" if self.media_type == "image/jpeg" else "png"


@dataclass(frozen=True, slots=True)
class Product:
    """What a product page says about its product (all optional but the name)."""

    name: str
    brand: str = ""
    description: str = ""
    price: str = ""  # display string, e.g. "24.90"
    currency: str = ""
    url: str = ""
    image_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """One generation request as a provider sees it."""

    prompt: str
    template: Template
    format: Format
    source: SourceImage | None = None
    product: Product | None = None
    seed: int = 0


@dataclass(frozen=True, slots=True)
class RenderedImage:
    data: bytes
    width: int
    height: int
    format: str = "png"

    @property
    def content_type(self) -> str:
        return f"image/{self.format}"
