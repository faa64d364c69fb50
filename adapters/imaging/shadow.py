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


@dataclass(frozen=True, slots=True)
class Patch:
    """Shadow opacity over a box of the canvas; nothing outside it is darkened."""

    values: Array  # float32 (h, w)
    top: int
    left: int

    @property
    def box(self) -> tuple[slice, slice]:
        height, width = self.values.shape
        return slice(self.top, self.top + height), slice(self.left, self.left + width)

    def whole(self, height: int, width: int) -> Array:
        """The same shadow over the whole canvas."""
        canvas = np.zeros((height, width), np.float32)
        canvas[self.box] = self.values
        return canvas


def contact_shadow(
    alpha: Array, canvas: tuple[int, int], left: int, top: int, style: ShadowStyle
) -> Patch:
    """Shadow opacity for a product whose alpha is placed at (left, top) on a canvas of
    (height, width): a tight dark core where it touches the floor and a broad ambient
    falloff. Only the box the shadow can reach is computed."""
    height, width = canvas
    ph, pw = alpha.shape
    base = top + ph - 1
    soft = style.softness
    layers = (
        # rows of footprint, sideways blur, rise, fall length, opacity
        (0.03 * ph + 2, 0.025 * pw * soft + 2.0, 0.004 * ph + 1, 0.008 * ph * soft + 1.5, 0.8),
        (0.2 * ph + 2, 0.08 * pw * soft + 3.0, 0.01 * ph + 1, 0.035 * ph * soft + 3.0, 0.35),
    )
    placed: list[tuple[Array, int, int]] = []
    for index, (rows, sx, up, down, opacity) in enumerate(layers):
        profile, pad = _profile(alpha, round(rows), sx)
        shift = round(style.lean * pw) if index == 1 else 0
        vertical = _vertical(round(3 * up), round(6.5 * down), up, down)
        placed.append(
            (np.outer(vertical, profile) * opacity, base - round(3 * up), left - pad + shift)
        )
    y0 = max(0, min(y for _, y, _ in placed))
    x0 = max(0, min(x for _, _, x in placed))
    y1 = min(height, max(y + layer.shape[0] for layer, y, _ in placed))
    x1 = min(width, max(x + layer.shape[1] for layer, _, x in placed))
    shadow = np.zeros((max(0, y1 - y0), max(0, x1 - x0)), np.float32)
    for layer, ly, lx in placed:
        ys = slice(max(y0, ly), min(y1, ly + layer.shape[0]))
        xs = slice(max(x0, lx), min(x1, lx + layer.shape[1]))
        if ys.start >= ys.stop or xs.start >= xs.stop:
            continue
        part = layer[ys.start - ly : ys.stop - ly, xs.start - lx : xs.stop - lx]
        here = shadow[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
        here[...] = 1.0 - (1.0 - here) * (1.0 - part)
    shadow *= style.strength
    if style.keep_clear > 0:
        shadow *= _frame_fade(height, width, style.keep_clear, (y0, y1), (x0, x1))
    shadow[shadow < INVISIBLE] = 0.0
    return Patch(values=shadow, top=y0, left=x0)


def _frame_fade(
    height: int, width: int, margin: int, rows: tuple[int, int], cols: tuple[int, int]
) -> Array:
    """1 inside, easing to exactly 0 at ``margin`` px from every edge; over the given rows
    and columns of the canvas."""

    def ramp(n: int, span: tuple[int, int]) -> Array:
        index = np.arange(span[0], span[1])
        d = np.minimum(index, n - 1 - index).astype(np.float32)
        t = np.clip((d - margin) / margin, 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)

    return np.outer(ramp(height, rows), ramp(width, cols))


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
