"""One call from a photo to its product alpha, with either cut-out version."""

from __future__ import annotations

from typing import Literal

import numpy as np

from adapters.imaging import grabcut
from adapters.imaging.cutout import flood
from adapters.imaging.matte import edge_alpha

Array = np.ndarray
Version = Literal[1, 2]


def product_alpha(rgb: Array, version: Version = 2) -> Array | None:
    """Float alpha of the product in an RGB photo, ``None`` when no product stands out.

    Version 1 is the flood fill alone; version 2 refines it with GrabCut.
    """
    seg = flood(rgb)
    if seg is None:
        return None
    mask = grabcut.refine(rgb, seg) if version == 2 else seg.mask
    return edge_alpha(rgb, mask)


def product_mask(rgb: Array, version: Version = 2) -> Array:
    """Binary product mask (all ``False`` when nothing was found)."""
    alpha = product_alpha(rgb, version)
    if alpha is None:
        return np.zeros(rgb.shape[:2], bool)
    return alpha >= 0.5
