"""Edges: a binary product mask becomes a soft alpha that follows the photo's real edge."""

from __future__ import annotations

import cv2
import numpy as np

Array = np.ndarray

MIN_CONTRAST = 10.0  # RGB distance between product and background below which colour can't tell


def _disk(radius: int) -> Array:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _nearest(values: Array, source: Array, where: Array) -> tuple[Array, Array]:
    """At each ``where`` pixel, the value of the nearest ``source`` pixel and its distance.

    Unlike a blurred average this never mixes two colours of the product (a red body and
    its white label) into a third that is neither.
    """
    distance, labels = cv2.distanceTransformWithLabels(
        (~source).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    lookup = np.zeros((int(labels.max()) + 1, values.shape[-1]), values.dtype)
    lookup[labels[source]] = values[source]
    return lookup[labels[where]], distance[where]


def edge_alpha(rgb: Array, mask: Array, radius: int = 2) -> Array:
    """Alpha in [0, 1]: inside 1, outside 0, and in a band of ``radius`` px around the edge
    the pixel's position between the product colour just inside and the backdrop colour
    just outside.

    Where product and background look alike the binary decision is kept, lightly softened.
    """
    if not mask.any() or mask.all():
        return mask.astype(np.float32)
    kernel = _disk(radius + 1)
    inner = cv2.erode(mask.astype(np.uint8), kernel).astype(bool)
    outer = cv2.erode((~mask).astype(np.uint8), kernel, borderValue=1).astype(bool)
    if not inner.any() or not outer.any():
        return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.7)
    # Don't reach far past the original decision: a stray estimate can't grow a blob.
    near = cv2.dilate(mask.astype(np.uint8), _disk(max(1, radius - 1))).astype(bool)
    band = ~inner & ~outer & near
    colour = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), 0.6)
    steady = cv2.GaussianBlur(colour, (0, 0), 1.0)
    fore, reach = _nearest(steady, inner, band)
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
    reliable = (contrast > MIN_CONTRAST**2) & (reach <= 3 * (radius + 1))
    alpha = inner.astype(np.float32)
    alpha[band] = np.where(reliable, measured, soft_mask)
    return alpha


def decontaminate(rgb: Array, alpha: Array) -> Array:
    """Semi-transparent edge pixels take the colour of the nearest solid product pixel, so
    the old background does not fringe the cut-out; opaque pixels are left untouched."""
    solid = alpha >= 0.98
    edge = (alpha > 0.0) & ~solid
    if not solid.any() or not edge.any():
        return rgb
    out = rgb.copy()
    out[edge], _ = _nearest(rgb, solid, edge)
    return out
