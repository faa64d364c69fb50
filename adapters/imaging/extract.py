"""From a normalised source photo to a trimmed product cut-out at the size it will be used."""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image

from adapters.imaging import grabcut
from adapters.imaging.compose import Cutout, resized
from adapters.imaging.cutout import flood, keep_main_parts
from adapters.imaging.matte import decontaminate, edge_alpha
from core import messages
from core.errors import BadInput

Array = np.ndarray

COARSE_SIDE = 560  # the flood fill and GrabCut decide at this size; edges are refined later
VISIBLE = 0.02


def read_png(data: bytes) -> Array:
    """RGB or RGBA uint8 pixels of a normalised source."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return np.asarray(im.convert("RGBA" if im.mode in ("RGBA", "LA", "PA") else "RGB"))


def _trim(rgb: Array, alpha: Array) -> Cutout:
    ys, xs = np.nonzero(alpha > VISIBLE)
    if len(xs) == 0:
        raise BadInput(messages.IMAGE_NO_PRODUCT)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
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
    """Decide product and background at a coarse size, then trace the edge at full detail."""
    height, width = rgb.shape[:2]
    k = min(1.0, COARSE_SIDE / max(height, width))
    coarse_size = (max(1, round(width * k)), max(1, round(height * k)))
    coarse = cv2.resize(rgb, coarse_size, interpolation=cv2.INTER_AREA) if k < 1 else rgb
    seg = flood(coarse)
    if seg is None:
        raise BadInput(messages.IMAGE_NO_PRODUCT)
    mask = grabcut.refine(coarse, seg) if version == 2 else seg.mask
    ys, xs = np.nonzero(mask)
    product_long = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) / k
    f = min(1.0, longest / product_long)
    fine_size = (max(1, round(width * f)), max(1, round(height * f)))
    ratio = f / k  # fine pixels per coarse pixel
    pad = math.ceil(3 * ratio) + 4
    x0 = max(0, math.floor(xs.min() * ratio) - pad)
    x1 = min(fine_size[0], math.ceil((xs.max() + 1) * ratio) + pad)
    y0 = max(0, math.floor(ys.min() * ratio) - pad)
    y1 = min(fine_size[1], math.ceil((ys.max() + 1) * ratio) + pad)
    fine = cv2.resize(rgb, fine_size, interpolation=cv2.INTER_AREA) if f < 1 else rgb
    fine = np.ascontiguousarray(fine[y0:y1, x0:x1])
    soft = cv2.resize(mask.astype(np.float32), fine_size, interpolation=cv2.INTER_LINEAR)
    fine_mask = soft[y0:y1, x0:x1] >= 0.5
    radius = int(np.clip(math.ceil(ratio) + 1, 2, 6))
    alpha = edge_alpha(fine, fine_mask, radius)
    return _trim(decontaminate(fine, alpha), alpha)


def extract(data: bytes, longest: int, version: int = 2) -> Cutout:
    """The product in a normalised source, no longer than ``longest`` px on its long side."""
    pixels = read_png(data)
    if pixels.shape[2] == 4:
        return from_alpha(pixels, longest)
    return from_photo(pixels, longest, version)
