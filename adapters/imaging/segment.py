"""One call from a photo to its product alpha, with either cut-out version."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from adapters.imaging import grabcut
from adapters.imaging.cutout import HOLE_SHARE, border_connected, flood
from adapters.imaging.matte import edge_alpha

Array = np.ndarray
Version = Literal[1, 2]


def product_alpha(rgb: Array, version: Version = 2) -> Array | None:
    """Float alpha of the product in an RGB photo, ``None`` when no product stands out.

    Version 1 is the flood fill alone; version 2 refines it with GrabCut. Specks that the
    edge tracing would leave transparent inside the decided product (a pixel of sky in a
    mast's lattice) stay opaque: patches that small are product (``fill_holes``).
    """
    seg = flood(rgb)
    if seg is None:
        return None
    mask = grabcut.refine(rgb, seg) if version == 2 else seg.mask
    alpha = edge_alpha(rgb, mask)
    clear = alpha < 0.5
    holes = (mask & clear & ~border_connected(clear)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    specks = stats[:, cv2.CC_STAT_AREA] < HOLE_SHARE * max(int(mask.sum()), 1)
    specks[0] = False
    return np.where(specks[labels], np.float32(1.0), alpha)


def product_mask(rgb: Array, version: Version = 2) -> Array:
    """Binary product mask (all ``False`` when nothing was found)."""
    alpha = product_alpha(rgb, version)
    if alpha is None:
        return np.zeros(rgb.shape[:2], bool)
    return alpha >= 0.5
