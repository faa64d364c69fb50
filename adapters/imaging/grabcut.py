"""Version 2 cut-out: OpenCV's GrabCut, seeded by the flood-fill mask, settles its doubts."""

from __future__ import annotations

import cv2
import numpy as np

from adapters.imaging.cutout import (
    MAX_PRODUCT_SHARE,
    MIN_PRODUCT_SHARE,
    Segmentation,
    border_band,
    border_connected,
    bridge,
    fill_holes,
    keep_main_parts,
    smooth_outline,
)

Array = np.ndarray

ITERATIONS = 3  # at the learning size
LEARN_SIDE = 160  # GrabCut learns its colour models on a copy at most this long
RNG_SEED = 0
NO_RECT = (0, 0, 0, 0)  # GrabCut reads the seeds from the mask, not a rectangle
MIN_AGREEMENT = 0.5  # IoU with the flood mask below which GrabCut is judged lost


def _given_away(seg: Segmentation) -> Array:
    """What a flood at half the tolerance would have kept, joined to the product: parts
    whose colour is near the backdrop's, like a brass stem standing on a wooden table."""
    strict = (seg.score >= 0.5) & ~border_connected(seg.score < 0.5)
    square = np.ones((3, 3), np.uint8)
    strict = cv2.morphologyEx(strict.astype(np.uint8), cv2.MORPH_OPEN, square)
    count, labels = cv2.connectedComponents(strict, connectivity=8)
    touching = np.unique(labels[cv2.dilate(seg.mask.astype(np.uint8), square) > 0])
    keep = np.zeros(count, bool)
    keep[touching[touching > 0]] = True
    return keep[labels] & ~seg.mask


def _bitten(found: Array, seg: Segmentation) -> Array:
    """Flood-mask pixels, clearly unlike the backdrop, that GrabCut dropped although it kept
    the product on both sides of them in their row: a bite out of a dark product's lower
    half, whose colour its shadow shares."""
    width = found.shape[1]
    columns = np.broadcast_to(np.arange(width), found.shape)
    left = np.maximum.accumulate(np.where(found, columns, -1), axis=1) >= 0
    right = np.minimum.accumulate(np.where(found, columns, width)[:, ::-1], axis=1)[:, ::-1]
    between = left & (right < width)
    return seg.mask & ~found & between & (seg.score >= 1.0) & ~seg.shadow


def _floor_zone(mask: Array) -> Array:
    """Where cast shadows lie: beside the product's lowest part, below it, and to its sides."""
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    zone = np.ones_like(mask)
    if len(rows):
        top = rows[-1] - round(0.15 * (rows[-1] - rows[0] + 1))
        zone[:top, cols[0] : cols[-1] + 1] = False
    return zone


def seeds(seg: Segmentation) -> Array:
    """GrabCut labels from a flood mask: sure background far out or clearly backdrop-coloured,
    probable either side of the edge and wherever the colour is ambiguous, sure product deep
    inside and clearly unlike the backdrop."""
    mask = seg.mask
    height, width = mask.shape
    side = min(height, width)
    deep = max(2, round(0.03 * side))
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    labels = np.full(mask.shape, cv2.GC_BGD, np.uint8)
    doubtful = (seg.score >= 0.5) & (outside <= 0.25 * side)
    labels[~mask & doubtful] = cv2.GC_PR_BGD
    labels[mask] = cv2.GC_PR_FGD
    labels[_given_away(seg) & ~(seg.shadow & _floor_zone(mask))] = cv2.GC_PR_FGD
    labels[mask & (inside > deep) & (seg.score > 1.5)] = cv2.GC_FGD
    # A shadow under the product is the classic GrabCut mistake: dark like the product,
    # joined to it. Below the product's lowest row it is background for sure.
    rows = np.nonzero(mask.any(axis=1))[0]
    if len(rows):
        below = np.zeros_like(mask)
        below[rows[-1] + 1 :] = True
        labels[seg.shadow & below] = cv2.GC_BGD
    labels[border_band(height, width) & ~mask] = cv2.GC_BGD
    return labels


def _window(labels: Array) -> tuple[slice, slice]:
    """The undecided region plus a margin of sure background for GrabCut to learn from;
    far-off background changes nothing and would only cost time."""
    height, width = labels.shape
    ys, xs = np.nonzero(labels != cv2.GC_BGD)
    pad = max(8, round(0.06 * min(height, width)))
    return (
        slice(max(0, ys.min() - pad), min(height, ys.max() + 1 + pad)),
        slice(max(0, xs.min() - pad), min(width, xs.max() + 1 + pad)),
    )


def _band(mask: Array, radius: int) -> Array:
    """Pixels within ``radius`` of the outline of ``mask``, on either side."""
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    grown = cv2.dilate(mask.astype(np.uint8), disk).astype(bool)
    return grown & ~cv2.erode(mask.astype(np.uint8), disk).astype(bool)


def _learn(bgr: Array, labels: Array, scale: float) -> tuple[Array, Array, Array]:
    """GrabCut's iterations on a copy reduced by ``scale``: its colour models and its
    decision, brought back to full size. Learning the models is the costly part of GrabCut
    and needs no fine detail; the copy takes every pixel it keeps as it is (no averaging),
    so the models see the photo's grain as it is."""
    height, width = labels.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(bgr, size, interpolation=cv2.INTER_NEAREST) if scale < 1 else bgr
    decided = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(RNG_SEED)
    cv2.grabCut(small, decided, NO_RECT, background, foreground, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    product = ((decided == cv2.GC_FGD) | (decided == cv2.GC_PR_FGD)).astype(np.float32)
    product = cv2.resize(product, (width, height), interpolation=cv2.INTER_LINEAR) >= 0.5
    return background, foreground, product


def _seeded(labels: Array) -> bool:
    """Whether GrabCut has both colours to learn from: background and product seeds."""
    background = np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any()
    return bool(background and np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).any())


def _grabcut(bgr: Array, labels: Array, flooded: Array) -> Array:
    """GrabCut's product mask for the seeds ``labels``: colour models learnt small, then
    one cut at full size with them frozen. The cut decides where the small decision and the
    flood fill disagree and near either's outline (thin parts the small copy cannot see);
    elsewhere the two agree and stand."""
    scale = min(1.0, LEARN_SIDE / max(labels.shape))
    small = cv2.resize(labels, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    if not _seeded(small):  # the seeds are too thin to survive the reduction
        scale = 1.0
    background, foreground, product = _learn(bgr, labels, scale)
    if scale >= 1:
        return product
    settled = (product == flooded) & ~_band(product, max(2, round(1.5 / scale)))
    settled &= ~_band(flooded, 2)
    final = labels.copy()
    free = (labels == cv2.GC_PR_BGD) | (labels == cv2.GC_PR_FGD)
    final[free & settled & product] = cv2.GC_FGD
    final[free & settled & ~product] = cv2.GC_BGD
    cv2.grabCut(bgr, final, NO_RECT, background, foreground, 1, cv2.GC_EVAL_FREEZE_MODEL)
    return (final == cv2.GC_FGD) | (final == cv2.GC_PR_FGD)


def refine(rgb: Array, seg: Segmentation) -> Array:
    """The GrabCut mask, or the flood mask when GrabCut wanders off.

    GrabCut starts its colour models with k-means++, so its generator is seeded with a
    constant: a photo always gets the same cut-out.
    """
    labels = seeds(seg)
    sure_background = labels == cv2.GC_BGD
    if not sure_background.any() or not np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
        return seg.mask
    window = _window(labels)
    found = np.zeros_like(seg.mask)
    found[window] = _grabcut(
        np.ascontiguousarray(rgb[window][..., ::-1]),
        np.ascontiguousarray(labels[window]),
        seg.mask[window],
    )
    found = cv2.morphologyEx(
        found.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
    ).astype(bool)
    # Sure background was a guess made before GrabCut saw the product whole: what the
    # product now encloses is judged like any other hole.
    found = bridge(keep_main_parts(found), seg.score) & ~sure_background
    found |= _bitten(found, seg)
    found = fill_holes(smooth_outline(found), seg.score, seg.lab)
    share = found.mean()
    union = (found | seg.mask).sum()
    agreement = (found & seg.mask).sum() / max(union, 1)
    if not MIN_PRODUCT_SHARE <= share <= MAX_PRODUCT_SHARE or agreement < MIN_AGREEMENT:
        return seg.mask
    return found
