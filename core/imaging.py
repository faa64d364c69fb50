"""What image providers read and write: plain data, no imaging library."""

from __future__ import annotations

from dataclasses import dataclass

from core.templates import Format, Template


@dataclass(frozen=True, slots=True)
class SourceImage:
    """A validated upload, normalised to PNG (RGB or RGBA, EXIF orientation applied)."""

    data: bytes
    width: int
    height: int
    has_alpha: bool


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
