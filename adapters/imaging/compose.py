"""Puts a cut-out product on a template background at a format's exact size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from adapters.imaging import backgrounds, headline
from adapters.imaging.backgrounds import Stage
from adapters.imaging.shadow import CastStyle, Patch, ShadowStyle, cast_shadow, contact_shadow
from core.imaging import Product
from core.templates import Format, Template

Array = np.ndarray

PURE_WHITE_SHADOW = ShadowStyle(strength=0.32, softness=0.8)
# A cut-out within this much of its size is used as it is: the studio cuts it out at the
# size it needs, and resampling it by a hair would only blur it.
SAME_SIZE = 0.01
# Each row's bytes minus the row above ("up"), then run-length deflate: a mostly white
# picture's long runs cost next to nothing, and a photo's rows compress nearly as well as
# with every filter tried per row, at a third of the time (``bench/png_settings.py``).
PNG_SETTINGS = (
    cv2.IMWRITE_PNG_COMPRESSION, 1,
    cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE,
    cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cutout:
    """A product cut out of its photo: colours and alpha, trimmed to the product."""

    rgb: Array  # uint8 (h, w, 3)
    alpha: Array  # float32 (h, w) in [0, 1]

    @property
    def size(self) -> tuple[int, int]:
        height, width = self.alpha.shape
        return width, height


@dataclass(frozen=True, slots=True)
class Placement:
    left: int
    top: int
    width: int
    height: int

    @property
    def base(self) -> int:
        return self.top + self.height - 1


def place(
    cut: Cutout, fmt: Format, recipe: Mapping[str, Any], space: headline.Reserve
) -> Placement:
    """Scale so the product takes ``fmt.fill`` of the limiting side of the free area, then
    stand it on the template's floor line or centre it."""
    cw, ch = cut.size
    area_top, area_bottom = space.top, fmt.height - space.bottom
    area_h = area_bottom - area_top
    scale = fmt.fill * min(fmt.width / cw, area_h / ch)
    if not fmt.pure_white:
        scale *= float(recipe.get("scale", 1.0))
    floor_at = None if fmt.pure_white else recipe.get("floor_at")
    if floor_at is not None:
        base = min(area_bottom, round(float(floor_at) * fmt.height))
        headroom = base - area_top - (1.0 - fmt.fill) * 0.5 * area_h
        scale = min(scale, max(headroom, 1.0) / ch)
    if abs(scale - 1.0) <= SAME_SIZE:
        scale = 1.0
    width, height = max(1, round(cw * scale)), max(1, round(ch * scale))
    left = (fmt.width - width) // 2
    if floor_at is not None:
        top = base - height
    elif fmt.pure_white:
        top = (fmt.height - height) // 2
    else:  # centred, lifted a touch so the shadow under it has room too
        top = area_top + (area_h - height) // 2 - round(0.015 * height)
    return Placement(left=left, top=max(area_top, top), width=width, height=height)


def resized(cut: Cutout, width: int, height: int) -> tuple[Array, Array]:
    """Premultiplied resampling, so no old background bleeds in from transparent pixels.
    Colours come as floats, or as the cut-out's own bytes when it already has the size."""
    if (width, height) == cut.size:
        return cut.rgb, cut.alpha.astype(np.float32, copy=False)
    shrinking = width < cut.size[0]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    alpha = cut.alpha.astype(np.float32, copy=False)
    # Colour times alpha, and alpha, resampled together in one four-channel pass.
    premultiplied = np.empty((*alpha.shape, 4), np.float32)
    np.multiply(cut.rgb, alpha[..., None], out=premultiplied[..., :3])
    premultiplied[..., 3] = alpha
    scaled = cv2.resize(premultiplied, (width, height), interpolation=method)
    coverage = np.clip(scaled[..., 3], 0.0, 1.0)
    colour = scaled[..., :3] / np.maximum(coverage, 1e-4)[..., None]
    return np.clip(colour, 0.0, 255.0, out=colour), coverage


def _overlap(
    canvas: tuple[int, int], piece: tuple[int, int], left: int, top: int
) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Where a piece of shape ``piece`` placed at (left, top) lies on a canvas of shape
    ``canvas``: the same pixels as the canvas's box and as the piece's (empty when it
    misses the canvas)."""
    y0, x0 = max(0, top), max(0, left)
    y1 = max(y0, min(canvas[0], top + piece[0]))
    x1 = max(x0, min(canvas[1], left + piece[1]))
    on_canvas = (slice(y0, y1), slice(x0, x1))
    return on_canvas, (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))


def _over(canvas: Array, colour: Array, alpha: Array, left: int, top: int) -> None:
    on_canvas, on_piece = _overlap(canvas.shape[:2], alpha.shape, left, top)
    a = alpha[on_piece][..., None]
    canvas[on_canvas] = canvas[on_canvas] * (1.0 - a) + colour[on_piece] * a


def _reflect(canvas: Array, colour: Array, alpha: Array, where: Placement, amount: float) -> None:
    """A faint mirror image under the product, fading with distance from the floor line."""
    rows = max(1, round(where.height * 0.35))
    flipped_alpha = alpha[::-1][:rows]
    fade = amount * (1.0 - np.linspace(0.0, 1.0, rows, dtype=np.float32)) ** 2
    _over(canvas, colour[::-1][:rows], flipped_alpha * fade[:, None], where.left, where.base + 1)


def compose(
    cut: Cutout,
    template: Template,
    fmt: Format,
    product: Product | None,
    rng: np.random.Generator,
) -> Image.Image:
    """One finished picture; ``rng`` varies the light, angle and textures between variants."""
    recipe = template.background
    titled = template.headline and not fmt.pure_white and product is not None and bool(product.name)
    space = headline.reserve(recipe, fmt) if titled else headline.Reserve()
    where = place(cut, fmt, recipe, space)
    colour, alpha = resized(cut, where.width, where.height)
    if fmt.pure_white:
        style = ShadowStyle(
            strength=PURE_WHITE_SHADOW.strength,
            softness=PURE_WHITE_SHADOW.softness,
            keep_clear=max(4, round(0.03 * min(fmt.width, fmt.height))),
        )
        patch = contact_shadow(alpha, (fmt.height, fmt.width), where.left, where.top, style)
        pixels = _on_white((fmt.height, fmt.width), colour, alpha, where, patch)
        _white_frame(pixels, style.keep_clear // 2)
    else:
        pixels = _staged(recipe, fmt, rng, colour, alpha, where)
    image = Image.fromarray(pixels)
    if titled and product is not None:
        headline.draw(image, product, recipe, fmt)
    return image


def _on_white(
    size: tuple[int, int], colour: Array, alpha: Array, where: Placement, shadow: Patch
) -> Array:
    """The product and its shadow on pure white, in 8 bits: the shadow is a grey level,
    and the product is blended over it in its own box only."""
    pixels = np.full((*size, 3), 255, np.uint8)
    grey = np.rint(255.0 * (1.0 - shadow.values)).astype(np.uint8)
    pixels[shadow.box] = grey[..., None]
    on_canvas, on_piece = _overlap(size, alpha.shape, where.left, where.top)
    if pixels[on_canvas].size == 0:
        return pixels
    front = colour[on_piece]
    if front.dtype != np.uint8:  # floats in 0..255: rounded to the nearest byte
        front = cv2.convertScaleAbs(front)
    weight = np.ascontiguousarray(alpha[on_piece], dtype=np.float32)
    pixels[on_canvas] = cv2.blendLinear(
        np.ascontiguousarray(front), np.ascontiguousarray(pixels[on_canvas]), weight, 1.0 - weight
    )
    return pixels


def _staged(
    recipe: Mapping[str, Any],
    fmt: Format,
    rng: np.random.Generator,
    colour: Array,
    alpha: Array,
    where: Placement,
) -> Array:
    """The product on a template's background, with its shadows, reflection and grain."""
    stage = Stage(left=where.left, top=where.top, right=where.left + where.width, base=where.base)
    canvas = backgrounds.render(recipe, fmt.height, fmt.width, rng, stage)
    style = ShadowStyle(
        strength=float(recipe.get("shadow", 0.5)),
        softness=float(recipe.get("shadow_softness", 1.0)),
        lean=float(rng.uniform(-0.03, 0.03)),
    )
    size = (fmt.height, fmt.width)
    shadow = contact_shadow(alpha, size, where.left, where.top, style).whole(*size)
    cast = float(recipe.get("cast", 0.0))
    if cast > 0:
        throw = CastStyle(
            opacity=cast,
            length=float(recipe.get("cast_length", 0.3)),
            skew=float(recipe.get("cast_skew", 0.6)) + float(rng.uniform(-0.15, 0.15)),
        )
        thrown = cast_shadow(alpha, size, where.left, where.top, throw)
        shadow = 1.0 - (1.0 - shadow) * (1.0 - thrown)
    canvas *= (1.0 - shadow)[..., None]
    reflection = float(recipe.get("reflection", 0.0))
    if reflection > 0:
        _reflect(canvas, colour, alpha, where, reflection)
    _over(canvas, colour, alpha, where.left, where.top)
    grain = float(recipe.get("grain", 1.0))
    if grain > 0:
        noise = rng.standard_normal(size, dtype=np.float32)
        canvas += (noise * grain)[..., None]
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def _white_frame(pixels: Array, width: int) -> None:
    """Marketplace rules: the outer frame is exactly white, whatever came near it."""
    if width <= 0:
        return
    pixels[:width], pixels[-width:] = 255, 255
    pixels[:, :width], pixels[:, -width:] = 255, 255


def png(image: Image.Image) -> bytes:
    """An 8-bit RGB or RGBA picture as a PNG, with the settings ``bench/png_settings.py``
    chose."""
    pixels = np.asarray(image)
    swap = cv2.COLOR_RGB2BGR if image.mode == "RGB" else cv2.COLOR_RGBA2BGRA
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(pixels, swap), PNG_SETTINGS)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.mode} picture of {image.size}")
    return encoded.tobytes()
