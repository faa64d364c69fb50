"""Procedural surfaces (marble, wood, stone, tiles, foliage), deterministic from a seed."""

from __future__ import annotations

import cv2
import numpy as np

Array = np.ndarray
Colour = tuple[int, int, int]


def rgb(colour: Colour | Array) -> Array:
    return np.asarray(colour, np.float32).reshape(1, 1, 3)


def fbm(rng: np.random.Generator, height: int, width: int, cells: float, octaves: int = 4) -> Array:
    """Fractal value noise in [0, 1]: octaves of smooth lattice noise, coarse to fine."""
    total = np.zeros((height, width), np.float32)
    weight = 0.0
    amplitude = 1.0
    for octave in range(octaves):
        count = cells * 2**octave
        gh = max(2, round(count * height / max(height, width)) + 2)
        gw = max(2, round(count * width / max(height, width)) + 2)
        lattice = rng.random((gh, gw)).astype(np.float32)
        total += amplitude * cv2.resize(lattice, (width, height), interpolation=cv2.INTER_CUBIC)
        weight += amplitude
        amplitude *= 0.5
    return np.clip(total / weight, 0.0, 1.0)


def stretched(
    rng: np.random.Generator, height: int, width: int, cells: tuple[float, float], octaves: int = 3
) -> Array:
    """Value noise with separate cell counts across (x) and down (y): grain, streaks."""
    total = np.zeros((height, width), np.float32)
    weight, amplitude = 0.0, 1.0
    for octave in range(octaves):
        gw = max(2, round(cells[0] * 2**octave) + 2)
        gh = max(2, round(cells[1] * 2**octave) + 2)
        lattice = rng.random((gh, gw)).astype(np.float32)
        total += amplitude * cv2.resize(lattice, (width, height), interpolation=cv2.INTER_CUBIC)
        weight += amplitude
        amplitude *= 0.5
    return np.clip(total / weight, 0.0, 1.0)


def marble(rng: np.random.Generator, height: int, width: int, base: Colour, vein: Colour) -> Array:
    """Carrara-like marble: soft grey clouds and a few turbulent veins that fade in and out."""
    side = max(height, width)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) / side
    turbulence = fbm(rng, height, width, 2.0, 6)
    angle = rng.uniform(0.3, 0.9)
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) * 2.2 + turbulence * 3.2
    ridge = 1.0 - np.abs(np.sin(phase * np.pi))
    presence = fbm(rng, height, width, 2.5, 3)
    presence = np.clip((presence - 0.42) / 0.25, 0.0, 1.0)
    veins = (ridge**28 * 0.9 + ridge**6 * 0.18) * presence
    detail = fbm(rng, height, width, 4.0, 5)
    hair = (1.0 - np.abs(np.sin((phase * 3.1 + detail * 2.0) * np.pi))) ** 60 * 0.35
    clouds = fbm(rng, height, width, 3.0, 4)
    strength = np.clip(veins + hair * presence, 0.0, 1.0)[..., None]
    tone = (0.955 + 0.06 * clouds)[..., None]
    return rgb(base) * tone * (1.0 - strength) + rgb(vein) * strength


def wood(
    rng: np.random.Generator, height: int, width: int, light: Colour, dark: Colour, planks: int
) -> Array:
    """Planks running left to right, each with its own grain and tone, and dark seams."""
    ys = np.repeat(np.arange(height, dtype=np.float32)[:, None], width, axis=1)
    plank_h = height / planks
    index = np.floor(ys / plank_h).astype(int)
    within = ys / plank_h - index
    offsets = rng.uniform(0, 10, planks + 1).astype(np.float32)
    tones = rng.uniform(0.86, 1.08, planks + 1).astype(np.float32)
    sway = stretched(rng, height, width, (3.0, planks * 1.5), 3)
    grain = within * 5.0 + offsets[index] + sway * 2.5
    rings = 0.5 + 0.5 * np.sin(grain * np.pi * 2.0)
    rings = rings**2.5
    streaks = stretched(rng, height, width, (2.0, height / 3.0), 2)
    pores = stretched(rng, height, width, (width / 40.0, height / 2.0), 1)
    dark_share = np.clip(
        0.15 + 0.55 * rings + 0.35 * (streaks - 0.5) + 0.12 * (pores - 0.5), 0.0, 1.0
    )[..., None]
    colour = rgb(light) * (1.0 - dark_share) + rgb(dark) * dark_share
    colour *= tones[index][..., None]
    seam = np.minimum(within, 1.0 - within) * plank_h
    colour *= (1.0 - 0.5 * np.exp(-((seam / 1.5) ** 2)))[..., None]
    return colour


def speckled_stone(
    rng: np.random.Generator, height: int, width: int, base: Colour, flecks: Colour
) -> Array:
    """A quartz counter top: a soft base with small flecks."""
    clouds = fbm(rng, height, width, 6.0, 3)
    colour = rgb(base) * (0.95 + 0.07 * clouds)[..., None]
    dots = rng.random((height, width)) > 0.985
    dots_img = cv2.GaussianBlur(dots.astype(np.float32), (0, 0), 0.8) * 2.2
    mix = np.clip(dots_img, 0.0, 0.85)[..., None]
    return colour * (1.0 - mix) + rgb(flecks) * mix


def tiles(height: int, width: int, tile: Colour, grout: Colour, rows: int) -> Array:
    """Subway tiles in running bond, bevelled slightly."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    tile_h = height / rows
    tile_w = tile_h * 2.6
    row = np.floor(ys / tile_h)
    u = (xs / tile_w + 0.5 * (row % 2)) % 1.0
    v = ys / tile_h - row
    edge = np.minimum(np.minimum(u, 1.0 - u) * tile_w, np.minimum(v, 1.0 - v) * tile_h)
    gap = max(1.5, tile_h * 0.04)
    grout_mix = np.clip(1.0 - (edge - gap * 0.5) / 1.2, 0.0, 1.0)[..., None]
    bevel = (0.96 + 0.06 * np.clip(edge / (tile_h * 0.25), 0.0, 1.0))[..., None]
    return rgb(tile) * bevel * (1.0 - grout_mix) + rgb(grout) * grout_mix


def foliage(
    rng: np.random.Generator, height: int, width: int, dark: Colour, light: Colour, glow: Colour
) -> Array:
    """Out-of-focus garden: blotches of green and a few soft discs of light."""
    blotches = fbm(rng, height, width, 5.0, 3)
    colour = rgb(dark) * (1.0 - blotches[..., None]) + rgb(light) * blotches[..., None]
    discs = np.zeros((height, width), np.float32)
    radius_base = max(height, width) * 0.03
    for _ in range(28):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height * 0.9)
        radius = radius_base * rng.uniform(0.5, 1.4)
        cv2.circle(discs, (round(cx), round(cy)), round(radius), float(rng.uniform(0.2, 0.55)), -1)
    glowing = cv2.GaussianBlur(discs, (0, 0), radius_base * 0.15)
    return colour + (rgb(glow) - colour) * np.clip(glowing, 0.0, 1.0)[..., None]


def perspective(texture: Array, height: int, width: int, tilt: float) -> Array:
    """Lay a flat texture on a table top seen from above the front edge: rows shrink toward
    the far edge (the top of the output)."""
    th, tw = texture.shape[:2]
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)  # 0 far, 1 near
    depth = 1.0 / (tilt + (1.0 - tilt) * t)  # far rows cover more of the texture
    v = np.cumsum(depth[::-1])[::-1]
    v = (v - v.min()) / max(float(v.max() - v.min()), 1e-6) * (th - 1)
    v = (th - 1) - v
    scale = depth / depth.max()
    xs = np.linspace(-0.5, 0.5, width, dtype=np.float32)
    map_x = (0.5 + xs[None, :] * (0.55 + 0.45 * scale[:, None])) * (tw - 1)
    map_y = np.repeat(v[:, None], width, axis=1).astype(np.float32)
    return cv2.remap(
        texture, map_x.astype(np.float32), map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
