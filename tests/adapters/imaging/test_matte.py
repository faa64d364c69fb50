"""The edge is traced tile by tile along the band, with the result of the whole picture."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.imaging import matte
from tests.adapters.imaging.photos import product_photo


def whole_picture_alpha(rgb: np.ndarray, mask: np.ndarray, radius: int) -> np.ndarray:
    """The same measurement done once over the whole picture, no tiles."""
    inner, outer, band = matte.zones(mask, radius)
    alpha = inner.astype(np.float32)
    alpha[band] = matte._measure(rgb, mask, inner, outer, band, 3 * (radius + 1))
    return alpha


def nearest_by_search(source: np.ndarray, y: int, x: int) -> tuple[np.ndarray, np.ndarray]:
    """Every source pixel's true distance from (y, x), and the pixels in scan order."""
    ys, xs = np.nonzero(source)
    return np.sqrt((ys - y) ** 2 + (xs - x) ** 2), np.stack([ys, xs], axis=1)


def shapes(height: int, width: int) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:height, 0:width]
    ellipse = ((xx - width / 2) / (0.4 * width)) ** 2 + (
        (yy - height / 2) / (0.35 * height)
    ) ** 2 < 1
    ring = ellipse & ~(
        ((xx - width / 2) / (0.15 * width)) ** 2 + ((yy - height / 2) / (0.12 * height)) ** 2 < 1
    )
    thin = ellipse | ((np.abs(xx - 0.1 * width) < 3) & (yy > 0.2 * height))  # a stem to the border
    return [ellipse, ring, thin]


@pytest.mark.parametrize("radius", [2, 4, 6])
def test_tiles_give_the_whole_pictures_alpha(radius: int) -> None:
    rgb = np.asarray(product_photo())
    for mask in shapes(*rgb.shape[:2]):
        assert np.array_equal(
            matte.edge_alpha(rgb, mask, radius), whole_picture_alpha(rgb, mask, radius)
        )


def test_decontamination_takes_the_nearest_solid_colour_however_far() -> None:
    rgb = np.asarray(product_photo()).copy()
    alpha = np.zeros(rgb.shape[:2], np.float32)
    alpha[100:260, 100:300] = 1.0
    alpha[100:260, 300:302] = 0.5  # a soft edge right beside the solid block
    alpha[20, 20] = 0.5  # a stray half pixel far from any solid one
    out = matte.decontaminate(rgb, alpha, radius=2)
    assert out[150, 301].tolist() == rgb[150, 299].tolist()
    assert out[20, 20].tolist() == rgb[100, 100].tolist()  # the nearest solid pixel anywhere
    assert np.array_equal(out[alpha >= 0.98], rgb[alpha >= 0.98])


def test_the_value_found_is_the_nearest_source_pixels() -> None:
    rng = np.random.default_rng(3)
    source = rng.random((40, 50)) < 0.04
    values = rng.integers(0, 255, (40, 50, 3)).astype(np.float32)
    where = ~source
    found, distance = matte._nearest(values, source, where)
    for (y, x), value, measured in zip(np.argwhere(where), found, distance, strict=True):
        true, pixels = nearest_by_search(source, y, x)
        closest = true.min()
        assert abs(measured - closest) <= 0.05 * closest + 0.1  # OpenCV's 5x5 metric
        near_enough = pixels[true <= 1.05 * closest + 0.1]
        assert any(np.array_equal(value, values[py, px]) for py, px in near_enough)
    same, _ = matte._nearest(values, source, source)
    assert np.array_equal(same, values[source])
