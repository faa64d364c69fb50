"""Template backgrounds for the studio: sweeps, solids, gradients and table-top scenes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from adapters.imaging import textures
from adapters.imaging.textures import Colour, rgb

Array = np.ndarray


def colour(value: Any, default: str = "#ffffff") -> Colour:
    """``"#rrggbb"`` (or ``"#rgb"``) to an RGB triple."""
    text = str(value if value is not None else default).strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"not a colour: {value!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


@dataclass(frozen=True, slots=True)
class Stage:
    """Where the product will stand, so a background can put a podium or a light under it."""

    left: int
    top: int
    right: int
    base: int  # the row the product stands on


def _axes(height: int, width: int) -> tuple[Array, Array]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs / max(width - 1, 1), ys / max(height - 1, 1)


def _mix(a: Array, b: Array, t: Array) -> Array:
    return a * (1.0 - t[..., None]) + b * t[..., None]


def _vignette(image: Array, amount: float) -> Array:
    if amount <= 0:
        return image
    height, width = image.shape[:2]
    x, y = _axes(height, width)
    r2 = ((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.5
    return image * (1.0 - amount * r2**1.5)[..., None]


def _spot(image: Array, cx: float, cy: float, radius: float, amount: float) -> Array:
    """A soft pool of light, brightening toward white without clipping hue."""
    if amount <= 0:
        return image
    height, width = image.shape[:2]
    x, y = _axes(height, width)
    aspect = width / max(height, 1)
    d2 = ((x - cx) * aspect) ** 2 + (y - cy) ** 2
    glow = amount * np.exp(-d2 / (2.0 * radius**2))
    return image + (255.0 - image) * glow[..., None]


def solid(recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator) -> Array:
    del rng
    return np.broadcast_to(rgb(colour(recipe.get("colour"))), (height, width, 3)).copy()


def gradient(recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator) -> Array:
    stops = [colour(c) for c in recipe.get("colours", ["#ffffff", "#dddddd"])]
    angle = np.deg2rad(float(recipe.get("angle", 90.0)) + rng.uniform(-12.0, 12.0))
    x, y = _axes(height, width)
    t = (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    t = t * t * (3.0 - 2.0 * t)  # smoothstep: no visible bands where stops meet
    position = t * (len(stops) - 1)
    index = np.minimum(position.astype(int), len(stops) - 2)
    palette = np.asarray(stops, np.float32)
    return _mix(palette[index], palette[index + 1], position - index)


def sweep(recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator) -> Array:
    """A paper sweep: wall colour curving into a floor colour, lit by a soft spot."""
    wall, floor = rgb(colour(recipe.get("wall"))), rgb(colour(recipe.get("floor")))
    horizon = float(recipe.get("horizon", 0.62))
    _, y = _axes(height, width)
    t = np.clip((y - horizon + 0.22) / 0.44, 0.0, 1.0)
    image = _mix(
        np.broadcast_to(wall, (height, width, 3)),
        np.broadcast_to(floor, (height, width, 3)),
        t * t * (3.0 - 2.0 * t),
    )
    light_x = float(recipe.get("light_x", 0.5)) + rng.uniform(-0.12, 0.12)
    return _spot(
        image,
        light_x,
        float(recipe.get("light_y", 0.4)),
        float(recipe.get("light_radius", 0.35)),
        float(recipe.get("light", 0.2)),
    )


def _wall(recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator) -> Array:
    kind = str(recipe.get("wall", "plain"))
    small_h, small_w = max(8, height // 2), max(8, width // 2)
    if kind == "tiles":
        image = textures.tiles(
            small_h,
            small_w,
            colour(recipe.get("tile", "#f4f2ee")),
            colour(recipe.get("grout", "#cfcac2")),
            int(recipe.get("rows", 7)),
        )
    elif kind == "foliage":
        image = textures.foliage(
            rng,
            small_h,
            small_w,
            colour(recipe.get("leaf_dark", "#2f4f2a")),
            colour(recipe.get("leaf_light", "#8fae5a")),
            colour(recipe.get("glow", "#f4f0c8")),
        )
    else:
        top = rgb(colour(recipe.get("wall_top", "#eeeae4")))
        bottom = rgb(colour(recipe.get("wall_bottom", "#d9d3ca")))
        _, y = _axes(small_h, small_w)
        image = _mix(
            np.broadcast_to(top, (small_h, small_w, 3)),
            np.broadcast_to(bottom, (small_h, small_w, 3)),
            y,
        )
    blur = float(recipe.get("wall_blur", 0.0)) * min(small_h, small_w)
    if blur > 0.5:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    image = _spot(image, 0.2, 0.1, 0.6, float(recipe.get("wall_light", 0.0)))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)


def _surface(recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator) -> Array:
    kind = str(recipe.get("surface", "marble"))
    tex_h, tex_w = max(8, height * 2), max(8, width)
    if kind == "wood":
        flat = textures.wood(
            rng,
            tex_h,
            tex_w,
            colour(recipe.get("wood_light", "#c89a6a")),
            colour(recipe.get("wood_dark", "#8a5a36")),
            int(recipe.get("planks", 5)),
        )
    elif kind == "stone":
        flat = textures.speckled_stone(
            rng,
            tex_h,
            tex_w,
            colour(recipe.get("stone", "#e9e6e1")),
            colour(recipe.get("flecks", "#7d7770")),
        )
    else:
        flat = textures.marble(
            rng,
            tex_h,
            tex_w,
            colour(recipe.get("marble", "#f3f1ee")),
            colour(recipe.get("veins", "#9c9a98")),
        )
    table = textures.perspective(flat, height, width, float(recipe.get("tilt", 0.35)))
    # The far edge of the table is out of focus, the front edge sharp.
    far = cv2.GaussianBlur(table, (0, 0), max(1.0, 0.004 * width))
    _, y = _axes(height, width)
    return _mix(far, table, np.clip(y * 1.6, 0.0, 1.0))


def scene(recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator) -> Array:
    """A wall behind a table top; the product stands on the table."""
    horizon = round(height * float(recipe.get("horizon", 0.6)))
    horizon = int(np.clip(horizon, 1, height - 1))
    image = np.empty((height, width, 3), np.float32)
    image[:horizon] = _wall(recipe, horizon, width, rng)
    table = _surface(recipe, height - horizon, width, rng)
    # Light falls on the table from the front: a touch brighter near the wall's foot.
    _, y = _axes(height - horizon, width)
    image[horizon:] = table * (1.02 - 0.1 * y)[..., None]
    edge = cv2.GaussianBlur(image[max(0, horizon - 3) : horizon + 3], (0, 0), 1.2)
    image[max(0, horizon - 3) : horizon + 3] = edge
    return image


KINDS = {"solid": solid, "gradient": gradient, "sweep": sweep, "scene": scene}


def podium(image: Array, recipe: Mapping[str, Any], stage: Stage) -> Array:
    """A round plinth under the product: a lit top ellipse over a shaded drum."""
    height, width = image.shape[:2]
    base = rgb(colour(recipe.get("podium")))
    product_w = stage.right - stage.left
    radius_x = max(product_w * 0.7, width * 0.24)
    radius_y = radius_x * 0.16
    cx = (stage.left + stage.right) / 2.0
    cy = stage.base - radius_y * 0.35
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u = (xs - cx) / radius_x
    top = (u**2 + ((ys - cy) / radius_y) ** 2) <= 1.0
    drum_bottom = cy + height * 0.14
    bottom_edge = drum_bottom + radius_y * np.sqrt(np.clip(1.0 - u**2, 0.0, 1.0))
    drum = (np.abs(u) <= 1.0) & (ys >= cy) & (ys <= bottom_edge)
    footprint = (u / 1.08) ** 2 + ((ys - drum_bottom) / (radius_y * 1.3)) ** 2 <= 1.0
    floor_shadow = cv2.GaussianBlur(footprint.astype(np.float32), (0, 0), radius_y * 0.5)
    image = image * (1.0 - 0.28 * floor_shadow)[..., None]
    side_light = (0.78 + 0.2 * np.cos(np.clip(u, -1, 1) * np.pi / 2.0) - 0.08 * u)[..., None]
    coverage = cv2.GaussianBlur(drum.astype(np.float32), (0, 0), 0.8)[..., None]
    image = image * (1.0 - coverage) + base * side_light * coverage
    lid = cv2.GaussianBlur(top.astype(np.float32), (0, 0), 0.8)[..., None]
    return image * (1.0 - lid) + np.minimum(base * 1.06, 255.0) * lid


def render(
    recipe: Mapping[str, Any], height: int, width: int, rng: np.random.Generator, stage: Stage
) -> Array:
    """The background as float RGB (0-255), before shadow and product."""
    kind = str(recipe.get("kind", "solid"))
    painter = KINDS.get(kind, solid)
    image = painter(recipe, height, width, rng).astype(np.float32, copy=False)
    if recipe.get("podium"):
        image = podium(image, recipe, stage)
    return _vignette(image, float(recipe.get("vignette", 0.0)))
