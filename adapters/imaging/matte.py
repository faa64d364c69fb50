"""Edges: a binary product mask becomes a soft alpha that follows the photo's real edge.

Only the band along the edge needs this work, so it is done tile by tile over the tiles
the band crosses, each with a margin wide enough that the result is the one the whole
picture would give: every colour a band pixel is measured against lies within it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

Array = np.ndarray
Box = tuple[slice, slice]

MIN_CONTRAST = 10.0  # RGB distance between product and background below which colour can't tell
TILE = 128
BLUR_REACH = 8  # px the two colour blurs look around a pixel, together
# Tiles are measured on several threads: OpenCV and NumPy let go of the GIL in the heavy parts.
WORKERS = min(4, os.cpu_count() or 1)


def _along(where: Array, margin: int, work: Callable[[Box, Array], None]) -> None:
    """Call ``work(grown, here)`` for every ``TILE``-sized square that holds a ``where``
    pixel, on ``WORKERS`` threads: ``grown`` is the square widened by ``margin`` px (in
    picture coordinates), ``here`` marks over it the square's own ``where`` pixels.
    Squares own disjoint pixels, so no two calls write the same one."""
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda tile: work(*tile), _tiles(where, margin)))


def _tiles(where: Array, margin: int) -> Iterator[tuple[Box, Array]]:
    height, width = where.shape
    rows, cols = -(-height // TILE), -(-width // TILE)
    padded = np.zeros((rows * TILE, cols * TILE), bool)
    padded[:height, :width] = where
    hit = padded.reshape(rows, TILE, cols, TILE).any(axis=(1, 3))
    for row, col in zip(*np.nonzero(hit), strict=True):
        y0, x0 = int(row) * TILE, int(col) * TILE
        top, left = max(0, y0 - margin), max(0, x0 - margin)
        grown = (
            slice(top, min(height, y0 + TILE + margin)),
            slice(left, min(width, x0 + TILE + margin)),
        )
        here = np.zeros_like(where[grown])
        here[y0 - top : y0 - top + TILE, x0 - left : x0 - left + TILE] = True
        yield grown, here & where[grown]


def _nearest(values: Array, source: Array, where: Array) -> tuple[Array, Array]:
    """At each ``where`` pixel, the value of the nearest ``source`` pixel and its distance.

    Unlike a blurred average this never mixes two colours of the product (a red body and
    its white label) into a third that is neither.
    """
    distance, labels = cv2.distanceTransformWithLabels(
        (~source).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # Source pixels are labelled 1, 2, 3... in the order of a row-by-row scan, the order
    # in which a boolean index lists them; 0 is for none.
    lookup = np.concatenate([np.zeros((1, values.shape[-1]), values.dtype), values[source]])
    return lookup[labels[where]], distance[where]


def _rim(region: Array) -> Array:
    """The pixels of a region with a neighbour outside it: the nearest region pixel to any
    pixel outside is always one of these, and there are far fewer of them to look up."""
    square = np.ones((3, 3), np.uint8)
    return region & ~cv2.erode(region.astype(np.uint8), square, borderValue=1).astype(bool)


def _measure(rgb: Array, mask: Array, inner: Array, outer: Array, band: Array, reach: int) -> Array:
    """Alpha at the ``band`` pixels of one tile (see ``edge_alpha``)."""
    colour = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), 0.6)
    steady = cv2.GaussianBlur(colour, (0, 0), 1.0)
    fore, distance = _nearest(steady, inner, band)
    back, _ = _nearest(steady, outer, band)
    here = colour[band]
    diff = fore - back
    contrast = np.einsum("nc,nc->n", diff, diff)
    offset = here - back
    projected = np.einsum("nc,nc->n", offset, diff) / np.maximum(contrast, 1e-6)
    # A pixel off the line between the two colours (a label's shaded rim is darker than the
    # label and the backdrop) is product as far as it is unlike the backdrop.
    apart = np.sqrt(np.einsum("nc,nc->n", offset, offset) / np.maximum(contrast, 1e-6))
    measured = np.clip(np.maximum(projected, apart), 0.0, 1.0)
    soft_mask = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.7)[band]
    reliable = (contrast > MIN_CONTRAST**2) & (distance <= reach)
    return np.where(reliable, measured, soft_mask).astype(np.float32)


def zones(mask: Array, radius: int) -> tuple[Array, Array, Array]:
    """Solid product (over ``radius`` + 1 px inside the edge), sure background (as far
    outside) and the band between them where alpha is measured; the band reaches at most
    ``radius`` - 1 px past the mask, so a stray estimate can't grow a blob. Distances are
    OpenCV's 5x5 Euclidean estimate, two passes over the picture where erosions by a disk
    would take many."""
    product = mask.astype(np.uint8)
    inside = cv2.distanceTransform(product, cv2.DIST_L2, cv2.DIST_MASK_5)
    outside = cv2.distanceTransform(1 - product, cv2.DIST_L2, cv2.DIST_MASK_5)
    inner = inside > radius + 1
    outer = outside > radius + 1
    band = ~inner & (outside <= max(1, radius - 1))
    return inner, outer, band


def edge_alpha(rgb: Array, mask: Array, radius: int = 2) -> Array:
    """Alpha in [0, 1]: inside 1, outside 0, and in a band of ``radius`` px around the edge
    the pixel's position between the product colour just inside and the backdrop colour
    just outside.

    Where product and background look alike the binary decision is kept, lightly softened.
    """
    if not mask.any() or mask.all():
        return mask.astype(np.float32)
    inner, outer, band = zones(mask, radius)
    if not inner.any() or not outer.any():
        return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.7)
    alpha = inner.astype(np.float32)
    inner, outer = _rim(inner), _rim(outer)
    reach = 3 * (radius + 1)  # farther from solid product, the colour is not trusted

    def measure(grown: Box, here: Array) -> None:
        alpha[grown][here] = _measure(
            rgb[grown], mask[grown], inner[grown], outer[grown], here, reach
        )

    _along(band, reach + BLUR_REACH, measure)
    return alpha


def decontaminate(rgb: Array, alpha: Array, radius: int = 2) -> Array:
    """Semi-transparent edge pixels take the colour of the nearest solid product pixel, so
    the old background does not fringe the cut-out; opaque pixels are left untouched.
    ``radius`` is the edge band's, which bounds how far that solid pixel can be."""
    solid = alpha >= 0.98
    edge = (alpha > 0.0) & ~solid
    if not solid.any() or not edge.any():
        return rgb
    out = rgb.copy()
    solid = _rim(solid)
    margin = 4 * (radius + 2)

    def clean(grown: Box, here: Array) -> None:
        colours, distance = _nearest(rgb[grown], solid[grown], here)
        far = ~np.isfinite(distance) | (distance > margin - 1)
        if far.any():  # no solid pixel in reach: the nearest one anywhere
            colours[far], _ = _nearest(rgb, solid, _at(here, grown, rgb.shape[:2], far))
        out[grown][here] = colours

    _along(edge, margin, clean)
    return out


def _at(here: Array, grown: Box, shape: tuple[int, int], which: Array) -> Array:
    """The picture-wide mask of the ``which`` pixels among a tile's ``here`` pixels."""
    ys, xs = np.nonzero(here)
    mask = np.zeros(shape, bool)
    mask[ys[which] + grown[0].start, xs[which] + grown[1].start] = True
    return mask
