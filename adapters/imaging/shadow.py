"""Soft contact shadows built from the product's own footprint."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Array = np.ndarray

INVISIBLE = 1.0 / 600.0  # darkening that rounds away on 8-bit white


@dataclass(frozen=True, slots=True)
class ShadowStyle:
    """How dark and how spread out the shadow is; ``keep_clear`` px at the frame stay untouched."""

    strength: float = 0.55
    softness: float = 1.0
    lean: float = 0.0  # horizontal drift of the ambient shadow, in product widths
    keep_clear: int = 0


def _profile(alpha: Array, rows: int, sigma: float) -> tuple[Array, int]:
    """Per column, how much product sits in the bottom ``rows`` rows, blurred sideways."""
    band = alpha[-max(1, rows) :]
    profile = band.max(axis=0).astype(np.float32)
    pad = int(np.ceil(3.5 * sigma)) + 1
    padded = np.pad(profile, pad)
    return cv2.GaussianBlur(padded[None, :], (0, 0), sigmaX=max(sigma, 0.3))[0], pad


def _vertical(length_up: int, length_down: int, up: float, down: float) -> Array:
    """Quick Gaussian rise above the floor line, exponential falloff below it."""
    rows = np.arange(-length_up, length_down + 1, dtype=np.float32)
    above = np.exp(-0.5 * (rows / up) ** 2)
    below = np.exp(-np.maximum(rows, 0.0) / down)
    return np.where(rows < 0, above, below)


def contact_shadow(
    alpha: Array, canvas: tuple[int, int], left: int, top: int, style: ShadowStyle
) -> Array:
    """Shadow opacity over the canvas (height, width) for a product whose alpha is placed at
    (left, top): a tight dark core where it touches the floor and a broad ambient falloff."""
    height, width = canvas
    ph, pw = alpha.shape
    shadow = np.zeros((height, width), np.float32)
    base = top + ph - 1
    soft = style.softness
    layers = (
        # rows of footprint, sideways blur, rise, fall length, opacity
        (0.03 * ph + 2, 0.025 * pw * soft + 2.0, 0.004 * ph + 1, 0.008 * ph * soft + 1.5, 0.8),
        (0.2 * ph + 2, 0.08 * pw * soft + 3.0, 0.01 * ph + 1, 0.035 * ph * soft + 3.0, 0.35),
    )
    for index, (rows, sx, up, down, opacity) in enumerate(layers):
        profile, pad = _profile(alpha, round(rows), sx)
        shift = round(style.lean * pw) if index == 1 else 0
        vertical = _vertical(round(3 * up), round(6.5 * down), up, down)
        x0 = left - pad + shift
        y0 = base - round(3 * up)
        layer = np.outer(vertical, profile) * opacity
        ys = slice(max(0, y0), min(height, y0 + layer.shape[0]))
        xs = slice(max(0, x0), min(width, x0 + layer.shape[1]))
        if ys.start >= ys.stop or xs.start >= xs.stop:
            continue
        part = layer[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
        shadow[ys, xs] = 1.0 - (1.0 - shadow[ys, xs]) * (1.0 - part)
    shadow *= style.strength
    if style.keep_clear > 0:
        shadow *= _frame_fade(height, width, style.keep_clear)
    shadow[shadow < INVISIBLE] = 0.0
    return shadow


def _frame_fade(height: int, width: int, margin: int) -> Array:
    """1 inside, easing to exactly 0 at ``margin`` px from every edge."""

    def ramp(n: int) -> Array:
        d = np.minimum(np.arange(n), np.arange(n)[::-1]).astype(np.float32)
        t = np.clip((d - margin) / margin, 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)

    return np.outer(ramp(height), ramp(width))


@dataclass(frozen=True, slots=True)
class CastStyle:
    """A long shadow thrown back onto the floor by a low light in front of the product."""

    opacity: float = 0.3
    length: float = 0.3  # shadow height as a share of the product's
    skew: float = 0.6  # sideways drift per unit of height (positive: to the right)


def cast_shadow(
    alpha: Array, canvas: tuple[int, int], left: int, top: int, style: CastStyle
) -> Array:
    """The silhouette laid back on the floor: squashed, sheared, sharper near the base and
    softer and fainter toward its tip."""
    height, width = canvas
    ph, _ = alpha.shape
    base = top + ph - 1
    q, s = style.length, style.skew * style.length
    # (x, y) in the product -> (left + x + s * (ph - 1 - y), base - q * (ph - 1 - y))
    matrix = np.array([[1.0, -s, left + s * (ph - 1)], [0.0, q, base - q * (ph - 1)]], np.float32)
    flat = cv2.warpAffine(alpha.astype(np.float32), matrix, (width, height), flags=cv2.INTER_LINEAR)
    reach = max(1.0, q * ph)
    near = cv2.GaussianBlur(flat, (0, 0), 1.5 + 0.03 * reach)
    far = cv2.GaussianBlur(flat, (0, 0), 2.0 + 0.12 * reach)
    rows = np.arange(height, dtype=np.float32)
    t = np.clip((base - rows) / reach, 0.0, 1.0)[:, None]
    shadow = (near * (1.0 - t) + far * t) * (1.0 - 0.7 * t) * style.opacity
    shadow[base + 1 :] = 0.0
    shadow[shadow < INVISIBLE] = 0.0
    return shadow
