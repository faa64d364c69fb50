"""Puts a cut-out product on a template background at a format's exact size."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from adapters.imaging import backgrounds, headline
from adapters.imaging.backgrounds import Stage
from adapters.imaging.shadow import CastStyle, ShadowStyle, cast_shadow, contact_shadow
from core.imaging import Product
from core.templates import Format, Template

Array = np.ndarray

PURE_WHITE_SHADOW = ShadowStyle(strength=0.32, softness=0.8)


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
    """Premultiplied resampling, so no old background bleeds in from transparent pixels."""
    shrinking = width < cut.size[0]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    alpha = cut.alpha.astype(np.float32)
    premultiplied = cut.rgb.astype(np.float32) * alpha[..., None]
    scaled = cv2.resize(premultiplied, (width, height), interpolation=method)
    coverage = np.clip(cv2.resize(alpha, (width, height), interpolation=method), 0.0, 1.0)
    colour = scaled / np.maximum(coverage, 1e-4)[..., None]
    return np.clip(colour, 0.0, 255.0), coverage


def _over(canvas: Array, colour: Array, alpha: Array, left: int, top: int) -> None:
    height, width = canvas.shape[:2]
    ph, pw = alpha.shape
    ys = slice(max(0, top), min(height, top + ph))
    xs = slice(max(0, left), min(width, left + pw))
    a = alpha[ys.start - top : ys.stop - top, xs.start - left : xs.stop - left, None]
    c = colour[ys.start - top : ys.stop - top, xs.start - left : xs.stop - left]
    canvas[ys, xs] = canvas[ys, xs] * (1.0 - a) + c * a


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
        canvas = np.full((fmt.height, fmt.width, 3), 255.0, np.float32)
        style = ShadowStyle(
            strength=PURE_WHITE_SHADOW.strength,
            softness=PURE_WHITE_SHADOW.softness,
            keep_clear=max(4, round(0.03 * min(fmt.width, fmt.height))),
        )
    else:
        stage = Stage(
            left=where.left, top=where.top, right=where.left + where.width, base=where.base
        )
        canvas = backgrounds.render(recipe, fmt.height, fmt.width, rng, stage)
        style = ShadowStyle(
            strength=float(recipe.get("shadow", 0.5)),
            softness=float(recipe.get("shadow_softness", 1.0)),
            lean=float(rng.uniform(-0.03, 0.03)),
        )
    shadow = contact_shadow(alpha, (fmt.height, fmt.width), where.left, where.top, style)
    cast = 0.0 if fmt.pure_white else float(recipe.get("cast", 0.0))
    if cast > 0:
        throw = CastStyle(
            opacity=cast,
            length=float(recipe.get("cast_length", 0.3)),
            skew=float(recipe.get("cast_skew", 0.6)) + float(rng.uniform(-0.15, 0.15)),
        )
        thrown = cast_shadow(alpha, (fmt.height, fmt.width), where.left, where.top, throw)
        shadow = 1.0 - (1.0 - shadow) * (1.0 - thrown)
    canvas *= (1.0 - shadow)[..., None]
    reflection = 0.0 if fmt.pure_white else float(recipe.get("reflection", 0.0))
    if reflection > 0:
        _reflect(canvas, colour, alpha, where, reflection)
    _over(canvas, colour, alpha, where.left, where.top)
    if not fmt.pure_white:
        grain = float(recipe.get("grain", 1.0))
        if grain > 0:
            noise = rng.standard_normal((fmt.height, fmt.width), dtype=np.float32)
            canvas += (noise * grain)[..., None]
    pixels = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    if fmt.pure_white:
        _white_frame(pixels, style.keep_clear // 2)
    image = Image.fromarray(pixels)
    if titled and product is not None:
        headline.draw(image, product, recipe, fmt)
    return image


def _white_frame(pixels: Array, width: int) -> None:
    """Marketplace rules: the outer frame is exactly white, whatever came near it."""
    if width <= 0:
        return
    pixels[:width], pixels[-width:] = 255, 255
    pixels[:, :width], pixels[:, -width:] = 255, 255


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=4)
    return buffer.getvalue()
