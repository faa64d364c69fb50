"""Dominant colours of a product and the words people use for them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

Array = np.ndarray

NAMED = {
    "white": "#f7f7f5",
    "ivory": "#f4efdc",
    "cream": "#efe3c4",
    "beige": "#d9c7a5",
    "light grey": "#c4c4c4",
    "grey": "#8c8c8c",
    "charcoal": "#424446",
    "black": "#141414",
    "red": "#d0202a",
    "crimson": "#b0163a",
    "burgundy": "#7a1c30",
    "pink": "#f08caa",
    "blush pink": "#f2c4c8",
    "coral": "#f2765e",
    "orange": "#f08a1c",
    "peach": "#f7c2a0",
    "gold": "#c9a23a",
    "yellow": "#f4d21c",
    "mustard": "#c8a12a",
    "olive": "#7c7a32",
    "lime green": "#9ccc3c",
    "green": "#2f9a48",
    "forest green": "#24512e",
    "mint": "#a8e0c4",
    "teal": "#148080",
    "turquoise": "#34c4c0",
    "sky blue": "#8cc4ec",
    "blue": "#2a64c8",
    "navy": "#1c2a56",
    "dark green": "#233a2a",
    "lavender": "#bcaee4",
    "purple": "#6c3a9c",
    "plum": "#6a2c5a",
    "magenta": "#c42c8c",
    "brown": "#7a4e2c",
    "dark brown": "#46301e",
    "tan": "#c09a6c",
    "caramel": "#b8732e",
    "terracotta": "#c0603c",
    "copper": "#b06a40",
    "sand": "#dcc8a0",
}


def _lab(hex_colour: str) -> Array:
    text = hex_colour.lstrip("#")
    rgb = np.array([[[int(text[i : i + 2], 16) for i in (0, 2, 4)]]], np.uint8)
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[0, 0]


_NAMES = list(NAMED)


@cache
def _palette() -> Array:
    """The named colours in Lab, one row per name: built on first use, because the first
    colour conversion also wakes OpenCV up, which a process that never names a colour
    should not pay for when it imports this module."""
    return np.stack([_lab(NAMED[name]) for name in _NAMES])


def name_of(lab: Array) -> str:
    """The nearest named colour (CIE76 distance, lightness weighted a little less)."""
    diff = _palette() - np.asarray(lab, np.float32)
    distance = (0.75 * diff[:, 0]) ** 2 + diff[:, 1] ** 2 + diff[:, 2] ** 2
    return _NAMES[int(np.argmin(distance))]


@dataclass(frozen=True, slots=True)
class Swatch:
    name: str
    share: float


def kmeans(samples: Array, k: int, rng: np.random.Generator, rounds: int = 12) -> Array:
    """Plain k-means with k-means++ starts; returns each sample's cluster index."""
    centres = [samples[rng.integers(len(samples))]]
    for _ in range(1, k):
        gap = np.min([np.sum((samples - c) ** 2, axis=1) for c in centres], axis=0)
        total = float(gap.sum())
        if total <= 0:
            break
        centres.append(samples[rng.choice(len(samples), p=gap / total)])
    points = np.stack(centres)
    labels = np.zeros(len(samples), int)
    for _ in range(rounds):
        distance = ((samples[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
        labels = distance.argmin(axis=1)
        for index in range(len(points)):
            members = samples[labels == index]
            if len(members):
                points[index] = members.mean(axis=0)
    return labels


def _hue_gap(a: Array, b: Array) -> float:
    gap = abs(np.arctan2(a[2], a[1]) - np.arctan2(b[2], b[1]))
    return float(min(gap, 2 * np.pi - gap))


def dominant(rgb: Array, mask: Array, most: int = 3, floor: float = 0.1) -> list[Swatch]:
    """Up to ``most`` colour names covering at least ``floor`` of the product, biggest first.

    Clusters of one hue (the lit and the shaded side of a red bottle) count as one colour,
    named after their most saturated member.
    """
    pixels = rgb[mask]
    if len(pixels) == 0:
        return []
    rng = np.random.default_rng(0)
    if len(pixels) > 12000:
        pixels = pixels[rng.choice(len(pixels), 12000, replace=False)]
    lab = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    samples = lab.reshape(-1, 3)
    labels = kmeans(samples, min(6, len(samples)), rng)
    clusters = sorted(
        (
            (np.median(samples[labels == i], axis=0), float(np.mean(labels == i)))
            for i in np.unique(labels)
        ),
        key=lambda item: -item[1],
    )
    groups: list[tuple[Array, float]] = []  # (representative Lab, share)
    for centre, share in clusters:
        chroma = float(np.hypot(centre[1], centre[2]))
        for index, (rep, total) in enumerate(groups):
            rep_chroma = float(np.hypot(rep[1], rep[2]))
            if chroma >= 12 and rep_chroma >= 12 and _hue_gap(centre, rep) < np.deg2rad(25):
                best = centre if chroma > rep_chroma else rep
                groups[index] = (best, total + share)
                break
        else:
            groups.append((centre, share))
    shares: dict[str, float] = {}
    for rep, share in groups:
        name = name_of(rep)
        shares[name] = shares.get(name, 0.0) + share
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return [Swatch(name, share) for name, share in ranked[:most] if share >= floor]


def glossy(rgb: Array, mask: Array) -> bool:
    """Small bright, colourless spots on an otherwise coloured or darker product: highlights."""
    pixels = rgb[mask].astype(np.float32)
    if len(pixels) < 50:
        return False
    bright = pixels.min(axis=1) > 225
    share = float(bright.mean())
    return 0.004 < share < 0.12 and float(np.median(pixels.mean(axis=1))) < 200
