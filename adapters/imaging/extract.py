"""From a stored source photo to a trimmed product cut-out at the size it will be used."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from adapters.imaging import grabcut
from adapters.imaging.compose import Cutout, resized
from adapters.imaging.cutout import flood, keep_main_parts
from adapters.imaging.decode import jpeg_scans, source_pixels
from adapters.imaging.matte import decontaminate, edge_alpha
from core import messages
from core.errors import BadInput

Array = np.ndarray

COARSE_SIDE = 320  # the flood fill and GrabCut decide at this size; edges are refined later
VISIBLE = 0.02


def _trim(rgb: Array, alpha: Array) -> Cutout:
    visible = alpha > VISIBLE
    rows, cols = np.flatnonzero(visible.any(axis=1)), np.flatnonzero(visible.any(axis=0))
    if len(rows) == 0:
        raise BadInput(messages.IMAGE_NO_PRODUCT)
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return Cutout(
        rgb=np.ascontiguousarray(rgb[y0:y1, x0:x1]), alpha=np.ascontiguousarray(alpha[y0:y1, x0:x1])
    )


def _shrink(cut: Cutout, longest: int) -> Cutout:
    width, height = cut.size
    scale = longest / max(width, height)
    if scale >= 1.0:
        return cut
    colour, alpha = resized(cut, max(1, round(width * scale)), max(1, round(height * scale)))
    return Cutout(rgb=np.rint(colour).astype(np.uint8), alpha=alpha)


def from_alpha(rgba: Array, longest: int) -> Cutout:
    """A photo that already has transparency: its alpha is the cut-out, specks dropped."""
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    main = keep_main_parts(alpha > 0.5)
    if main.sum() < 16:
        raise BadInput(messages.IMAGE_NO_PRODUCT)
    reach = cv2.dilate(main.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return _shrink(_trim(rgba[..., :3], np.where(reach, alpha, 0.0)), longest)


def from_photo(rgb: Array, longest: int, version: int = 2) -> Cutout:
    """Decide product and background at a coarse size, then trace the edge at the size the
    product will be used, over the product's window alone."""
    mask = decide(coarse_copy(rgb), version)
    return trace(rgb, mask, mask.shape[1] / rgb.shape[1], longest)


def coarse_copy(rgb: Array) -> Array:
    """The photo at most ``COARSE_SIDE`` px long, where the product is decided."""
    height, width = rgb.shape[:2]
    k = min(1.0, COARSE_SIDE / max(height, width))
    size = (max(1, round(width * k)), max(1, round(height * k)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if k < 1 else rgb


def decide(coarse: Array, version: int = 2) -> Array:
    """The product's mask on the coarse copy: the flood fill, refined by GrabCut."""
    seg = flood(coarse)
    if seg is None:
        raise BadInput(messages.IMAGE_NO_PRODUCT)
    return grabcut.refine(coarse, seg) if version == 2 else seg.mask


def trace(rgb: Array, mask: Array, k: float, longest: int) -> Cutout:
    """The cut-out from the photo and its coarse mask (``k`` coarse pixels a photo pixel),
    no longer than ``longest`` px on its long side."""
    height, width = rgb.shape[:2]
    ys, xs = np.nonzero(mask)
    product_long = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) / k
    f = min(1.0, longest / product_long)
    ratio = f / k  # fine pixels per coarse pixel
    # The product's window in the photo, with room for the edge band on every side.
    pad = math.ceil((3 * ratio + 4) / f)
    x0, x1 = max(0, math.floor(xs.min() / k) - pad), min(width, math.ceil((xs.max() + 1) / k) + pad)
    y0, y1 = (
        max(0, math.floor(ys.min() / k) - pad),
        min(height, math.ceil((ys.max() + 1) / k) + pad),
    )
    fine_size = (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f)))
    window = rgb[y0:y1, x0:x1]
    fine = cv2.resize(window, fine_size, interpolation=cv2.INTER_AREA) if f < 1 else window
    fine = np.ascontiguousarray(fine)
    fine_mask = _mask_at(
        mask, k, (x0, y0), (fine_size[0] / (x1 - x0), fine_size[1] / (y1 - y0)), fine_size, ratio
    )
    radius = int(np.clip(math.ceil(ratio) + 1, 2, 6))
    alpha = edge_alpha(fine, fine_mask, radius)
    return _trim(decontaminate(fine, alpha, radius), alpha)


def _mask_at(
    mask: Array,
    k: float,
    origin: tuple[int, int],
    scale: tuple[float, float],
    size: tuple[int, int],
    ratio: float,
) -> Array:
    """The coarse mask over the fine window: sampled between coarse pixel centres, then
    smoothed over about one coarse pixel so the outline follows curves, not stairs."""
    fx, fy = scale
    # fine (u, v) -> photo (x0 + (u + 0.5) / fx - 0.5) -> coarse ((x + 0.5) * k - 0.5)
    matrix = np.array(
        [
            [k / fx, 0.0, (origin[0] + 0.5 / fx) * k - 0.5],
            [0.0, k / fy, (origin[1] + 0.5 / fy) * k - 0.5],
        ],
        np.float32,
    )
    soft = cv2.warpAffine(
        mask.astype(np.float32),
        matrix,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if ratio > 1.5:
        soft = cv2.GaussianBlur(soft, (0, 0), 0.5 * ratio)
    return soft >= 0.5


def extract(data: bytes, longest: int, version: int = 2) -> Cutout:
    """The product in a stored source, no longer than ``longest`` px on its long side.

    A baseline JPEG is decoded twice at once: at an eighth of its size on this thread,
    where the product is decided, and whole on another, ready by the time the edge is
    traced. A progressive one is not: its decoder holds every coefficient of the picture
    while it reads, and two of those at once would double the peak memory."""
    if not data.startswith(b"\xff\xd8") or jpeg_scans(data) > 1:
        pixels = source_pixels(data)
        if pixels.shape[2] == 4:
            return from_alpha(pixels, longest)
        return from_photo(pixels, longest, version)
    with ThreadPoolExecutor(1) as pool:
        whole = pool.submit(source_pixels, data)
        small = source_pixels(data, budget=4 * COARSE_SIDE * COARSE_SIDE)
        try:
            mask = decide(coarse_copy(small), version)
        finally:
            rgb = whole.result()
    return trace(rgb, mask, mask.shape[1] / rgb.shape[1], longest)
