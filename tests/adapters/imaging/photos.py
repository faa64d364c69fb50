"""Synthetic product photos for the imaging tests, built in memory."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Array = np.ndarray


def encode(image: Image.Image, kind: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def product_photo(width: int = 480, height: int = 360, seed: int = 0) -> Image.Image:
    """A teal bottle with a white label and a highlight on a light grey sweep: vignetting,
    a soft shadow under it and sensor noise, like a quick phone shot on paper."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    x, y = xs / width, ys / height
    top, bottom = np.array((246, 245, 242), np.float32), np.array((212, 210, 205), np.float32)
    image = top * (1 - y[..., None]) + bottom * y[..., None]
    image *= (1 - 0.2 * ((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.5)[..., None]
    shadow = np.exp(-(((x - 0.53) / 0.2) ** 2 + ((y - 0.84) / 0.03) ** 2) * 2.2)
    image *= (1 - 0.4 * shadow)[..., None]
    silhouette = _bottle(width, height).filter(ImageFilter.GaussianBlur(0.7))
    alpha = np.asarray(silhouette, np.float32)[..., None] / 255
    cx, half = width // 2, int(width * 0.1)
    u = np.clip((xs - (cx - half)) / (2 * half), 0, 1)
    light = 0.55 + 0.5 * np.clip(np.sin(u * np.pi), 0, 1) ** 0.7 - 0.2 * u
    body = np.array((20, 128, 132), np.float32) * light[..., None]
    body += (255 - body) * (np.exp(-(((u - 0.3) / 0.05) ** 2)) * 0.6)[..., None]
    label = ((y > 0.55) & (y < 0.72))[..., None]
    body = np.where(label, np.float32(238) * (0.85 + 0.15 * light[..., None]), body)
    image = image * (1 - alpha) + body * alpha
    image += rng.normal(0, 2.0, image.shape)
    return Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8))


def _bottle(width: int, height: int) -> Image.Image:
    silhouette = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(silhouette)
    cx, half = width // 2, int(width * 0.1)
    draw.rounded_rectangle((cx - half, int(height * 0.36), cx + half, int(height * 0.84)), 12, 255)
    draw.rectangle((cx - half // 3, int(height * 0.14), cx + half // 3, int(height * 0.38)), 255)
    return silhouette


def true_mask(width: int = 480, height: int = 360) -> Array:
    """Where the bottle of ``product_photo`` is."""
    return np.asarray(_bottle(width, height)) > 127


def cutout_png(width: int = 300, height: int = 400) -> bytes:
    """An already cut-out product: an orange disc on a stem, transparent around it."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, width - 40, width - 40), fill=(240, 130, 30, 255))
    stem = (width // 2 - 12, width - 60, width // 2 + 12, height - 30)
    draw.rectangle(stem, fill=(90, 60, 40, 255))
    return encode(image)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024, 9)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
