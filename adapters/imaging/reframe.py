"""Puts a finished picture into another format without any AI: fit it, extend its edges."""

from __future__ import annotations

import asyncio
import io

import cv2
import numpy as np
from PIL import Image

from adapters.imaging.compose import png
from core import messages
from core.errors import BadInput
from core.imaging import RenderedImage
from core.templates import Format

Array = np.ndarray

SAME_SHAPE = 0.02  # aspect ratios this close are simply cropped to fit


def _read(data: bytes) -> Array:
    try:
        with Image.open(io.BytesIO(data), formats=("PNG", "JPEG", "WEBP")) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
                flat = Image.new("RGB", im.size, (255, 255, 255))
                flat.paste(im.convert("RGBA"), mask=im.convert("RGBA").getchannel("A"))
                return np.asarray(flat)
            return np.asarray(im.convert("RGB"))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadInput(messages.IMAGE_NOT_SUPPORTED) from None


def _cover(pixels: Array, width: int, height: int) -> Array:
    h, w = pixels.shape[:2]
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    big = cv2.resize(pixels, size, interpolation=method)
    x0, y0 = (size[0] - width) // 2, (size[1] - height) // 2
    return big[y0 : y0 + height, x0 : x0 + width]


def _blur(image: Array, sigma: float) -> Array:
    """A wide Gaussian blur done at a quarter size (it is blurry anyway)."""
    height, width = image.shape[:2]
    small = cv2.resize(
        image, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / 4.0))
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _ramp(n: int, feather: float, at_start: bool, at_end: bool) -> Array:
    """0 to 1 over ``feather`` px at the ends that meet new canvas, 1 elsewhere."""
    index = np.arange(n, dtype=np.float32)
    ramp = np.ones(n, np.float32)
    if at_start:
        ramp = np.minimum(ramp, index / feather)
    if at_end:
        ramp = np.minimum(ramp, index[::-1] / feather)
    return np.clip(ramp, 0.0, 1.0)


def reframe_pixels(pixels: Array, width: int, height: int) -> Array:
    """The picture whole and centred at (width, height); the new margins continue its own
    edge colours, blurring more the farther they are from it."""
    h, w = pixels.shape[:2]
    if abs((w / h) / (width / height) - 1.0) <= SAME_SHAPE:
        return _cover(pixels, width, height)
    scale = min(width / w, height / h)
    fw, fh = max(1, round(w * scale)), max(1, round(h * scale))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    fitted = cv2.resize(pixels, (fw, fh), interpolation=method).astype(np.float32)
    left, top = (width - fw) // 2, (height - fh) // 2
    extended = cv2.copyMakeBorder(
        fitted, top, height - fh - top, left, width - fw - left, cv2.BORDER_REPLICATE
    )
    longest = max(width, height)
    near = _blur(extended, 0.006 * longest + 1.0)
    far = _blur(
        0.5 * extended + 0.5 * _cover(pixels, width, height).astype(np.float32), 0.05 * longest
    )
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    dx = np.maximum(np.maximum(left - xs, xs - (left + fw - 1)), 0.0)
    dy = np.maximum(np.maximum(top - ys, ys - (top + fh - 1)), 0.0)
    t = np.clip(np.hypot(dx[None, :], dy[:, None]) / (0.12 * longest), 0.0, 1.0)[..., None]
    out = near * (1.0 - t) + far * t
    # Feather the seams a few pixels into the picture so no hard line shows.
    feather = max(2.0, 0.015 * longest)
    across = _ramp(fw, feather, left > 0, left + fw < width)
    down = _ramp(fh, feather, top > 0, top + fh < height)
    weight = np.minimum(down[:, None], across[None, :])[..., None]
    region = out[top : top + fh, left : left + fw]
    out[top : top + fh, left : left + fw] = region * (1.0 - weight) + fitted * weight
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _reframe(data: bytes, fmt: Format) -> RenderedImage:
    pixels = reframe_pixels(_read(data), fmt.width, fmt.height)
    image = Image.fromarray(pixels)
    return RenderedImage(data=png(image), width=image.width, height=image.height)


async def reframe(image: RenderedImage | bytes, fmt: Format) -> RenderedImage:
    """Another format of an already generated picture (an AI one: studio results are simply
    rendered again), at the format's exact size."""
    data = image.data if isinstance(image, RenderedImage) else image
    return await asyncio.to_thread(_reframe, data, fmt)


class PillowReframer:
    """The ``Reframer`` port: another format for an already generated picture."""

    async def reframe(self, image: bytes, fmt: Format) -> RenderedImage:
        return await reframe(image, fmt)
