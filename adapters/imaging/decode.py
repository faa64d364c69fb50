"""Untrusted image bytes in, a normalised PNG out: the only door uploads come through."""

from __future__ import annotations

import asyncio
import io
import logging
import struct

import numpy as np
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from core import messages
from core.errors import BadInput
from core.imaging import SourceImage

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 64

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}
# What Pillow raises on damaged data, besides OSError (truncation) and SyntaxError (bad header).
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError)


def sniff(data: bytes) -> str | None:
    """The container named by the first bytes (``PNG``, ``JPEG``, ``WEBP``), else ``None``."""
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def webp_size(data: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header, read before libwebp allocates anything."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _normalise(im: Image.Image) -> Image.Image:
    """Any decoded mode to RGB or RGBA, 8 bits a channel."""
    mode = im.mode
    if mode.startswith("I"):  # 16-bit and 32-bit greyscale
        values = np.asarray(im, dtype=np.float64)
        top = 65535.0 if values.max(initial=0) > 255 or mode.startswith("I;16") else 255.0
        grey = np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if mode == "F":
        grey = np.clip(np.rint(np.asarray(im, dtype=np.float64) * 255.0), 0, 255)
        return Image.fromarray(grey.astype(np.uint8)).convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        return im.convert("RGBA")
    return im if mode == "RGB" else im.convert("RGB")


def _orient(im: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(im)
    except (*_DAMAGED, KeyError, ZeroDivisionError):
        log.debug("unreadable EXIF orientation ignored")
        return im


class PillowDecoder:
    """Validates uploads with Pillow: kind by content, size and pixel limits before decoding."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        max_pixels: int = MAX_PIXELS,
        min_side: int = MIN_SIDE,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.min_side = min_side

    async def load(self, data: bytes) -> SourceImage:
        if len(data) > self.max_bytes:
            limit_mb = round(self.max_bytes / (1024 * 1024))
            raise BadInput(messages.IMAGE_TOO_LARGE.format(limit_mb=limit_mb))
        kind = sniff(data)
        if kind is None:
            raise BadInput(messages.IMAGE_NOT_SUPPORTED)
        return await asyncio.to_thread(self._decode, data, kind)

    def _too_many_pixels(self) -> BadInput:
        limit_mp = round(self.max_pixels / 1_000_000)
        return BadInput(messages.IMAGE_TOO_MANY_PIXELS.format(limit_mp=limit_mp))

    def _check_size(self, size: tuple[int, int]) -> None:
        width, height = size
        if width * height > self.max_pixels:
            raise self._too_many_pixels()
        if min(width, height) < self.min_side:
            raise BadInput(messages.IMAGE_TOO_SMALL.format(minimum=self.min_side))

    def _decode(self, data: bytes, kind: str) -> SourceImage:
        if kind == "WEBP" and (size := webp_size(data)) is not None:
            self._check_size(size)
        try:
            # The plugin class reads the header only; nothing is decoded yet, and the
            # global Image.open bomb check (a warning) is bypassed for our own limit.
            im = _OPENERS[kind](io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise self._too_many_pixels() from None
        except _DAMAGED:
            raise BadInput(messages.IMAGE_TRUNCATED) from None
        with im:
            if im.format != kind:
                raise BadInput(messages.IMAGE_NOT_SUPPORTED)
            self._check_size(im.size)
            try:
                im.seek(0)
                im.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise self._too_many_pixels() from None
            except _DAMAGED:
                raise BadInput(messages.IMAGE_TRUNCATED) from None
            out = _normalise(_orient(im))
            if out is im:  # the file closes with the block; keep the pixels
                out = im.copy()
        if out.mode == "RGBA":
            low, _ = out.getchannel("A").getextrema()
            if low == 255:
                out = out.convert("RGB")
        buffer = io.BytesIO()
        out.save(buffer, format="PNG", compress_level=3)
        return SourceImage(
            data=buffer.getvalue(),
            width=out.width,
            height=out.height,
            has_alpha=out.mode == "RGBA",
        )
