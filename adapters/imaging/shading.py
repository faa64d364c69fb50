"""Shade or shadow: step edges, and the sideways way out that a shadow on the floor has."""

from __future__ import annotations

import cv2
import numpy as np

Array = np.ndarray

EDGE_HIGH = 4.0  # Canny thresholds, in multiples of the backdrop's typical noise gradient
EDGE_LOW = 2.0
STEP_RATIO = 1.6  # a step's gradient shrinks this much when blurred wider; a ramp's doesn't
WIDE = 3.0  # the wider blur, in units of the working blur
SHORTEST = 0.04  # edges shorter than this share of the image's short side are specks
OPENING = 0.1  # share of a pocket's outline that must open onto the floor


def _gradients(lab: Array) -> tuple[Array, Array]:
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return gx, gy


def _magnitude(gx: Array, gy: Array) -> Array:
    """Length of the colour gradient, summed over the three channels."""
    squares = cv2.add(cv2.multiply(gx, gx), cv2.multiply(gy, gy))
    return cv2.sqrt(cv2.transform(squares, np.ones((1, 3), np.float32)))


def step_edges(lab: Array, sigma: float, quiet: Array) -> Array:
    """Thin lines where the colour steps within a pixel or two: a product's outline or the
    border between two of its faces, but not the soft ramp of a shadow or a vignette.

    ``lab`` is already blurred by ``sigma``; ``quiet`` marks pixels (the border band) whose
    gradients show the noise level the thresholds are set from. Short bits (dust, grain)
    are dropped.
    """
    gx, gy = _gradients(lab)
    magnitude = _magnitude(gx, gy)
    ramp = _magnitude(*_gradients(cv2.GaussianBlur(lab, (0, 0), WIDE * sigma)))
    step = (magnitude > STEP_RATIO * ramp)[..., None]
    noise = float(np.median(magnitude[quiet])) if quiet.any() else 0.5
    scale = 16.0  # Canny takes 16-bit gradients
    dx = np.clip(np.where(step, gx, 0.0) * scale, -32767, 32767).astype(np.int16)
    dy = np.clip(np.where(step, gy, 0.0) * scale, -32767, 32767).astype(np.int16)
    low = max(EDGE_LOW * noise, 0.5) * scale
    high = max(EDGE_HIGH * noise, 1.0) * scale
    edges = cv2.Canny(dx, dy, low, high, L2gradient=True)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    kept = stats[:, cv2.CC_STAT_AREA] >= max(8, round(SHORTEST * min(lab.shape[:2])))
    kept[0] = False
    return kept[labels]


def escapes_sideways(blocked: Array) -> Array:
    """Pixels with a clear way out, along their row, to the left or the right edge of the
    image: nothing ``blocked`` on the way.

    A shadow on the floor always has one: it fades out sideways into the backdrop, or ends
    at the product on one side only. A product's shaded face is walled in on both sides by
    its outline, even where its lower edge melts into its own shadow.
    """
    walls = np.cumsum(blocked, axis=1, dtype=np.int32)
    clear_left = walls - blocked == 0
    clear_right = walls == walls[:, -1:]
    return clear_left | clear_right


def backdrop_pockets(walled: Array, free: Array, backdrop: Array, share: float) -> Array:
    """Walled-in stretches (4-connected, no step edge inside) that open onto ``free`` floor
    and in which at least ``share`` of the pixels are plain backdrop: the floor seen between
    a stool's legs, shadow and all. A shaded face of the product has no backdrop inside its
    outline, and the lit middle of a white bottle is closed off by its outline.
    """
    count, labels = cv2.connectedComponents(walled.astype(np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros_like(walled)
    sizes = np.bincount(labels.ravel(), minlength=count)
    plain = np.bincount(labels.ravel(), weights=(walled & backdrop).ravel(), minlength=count)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    beside = cv2.dilate(free.astype(np.uint8), cross).astype(bool) & walled
    rim = walled & ~cv2.erode(walled.astype(np.uint8), cross, borderValue=0).astype(bool)
    opening = np.bincount(labels[beside], minlength=count)
    outline = np.bincount(labels[rim], minlength=count)
    pocket = (opening >= OPENING * np.maximum(outline, 1)) & (plain >= share * np.maximum(sizes, 1))
    pocket[0] = False
    return pocket[labels]
