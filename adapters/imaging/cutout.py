"""Version 1 cut-out: flood the background in from the border against a fitted backdrop."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from adapters.imaging.shading import backdrop_pockets, escapes_sideways, step_edges

Array = np.ndarray

MIN_PRODUCT_SHARE = 0.002  # below this the "product" is a speck
MAX_PRODUCT_SHARE = 0.97  # above this nothing looked like background
MIN_BORDER_FIT = 0.35  # share of the border the backdrop must explain
MAX_NOISE = 12.0  # ΔE spread around a surface beyond which it is a scene, not a backdrop
SURFACE_SHARE = 0.2  # a second or third surface must explain this much of the border
KEEP_COMPONENT_SHARE = 0.12  # extra parts kept when at least this share of the largest
HOLE_SHARE = 0.003  # enclosed background patches at least this share of the product reopen
POCKET_SHARE = 0.25  # walled-in shade with this much plain backdrop beside it is floor


def to_lab(rgb: Array) -> Array:
    """sRGB uint8 to CIE Lab float32 (L in 0-100)."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _design(xs: Array, ys: Array) -> Array:
    return np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=-1)


def _axes(height: int, width: int) -> tuple[Array, Array]:
    xs = np.linspace(-1.0, 1.0, width, dtype=np.float32)
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)
    return xs, ys


@dataclass(frozen=True, slots=True)
class Surface:
    """One smooth (quadratic in x and y) Lab surface of the background, e.g. a paper sweep."""

    coeffs: Array  # (6, 3)
    noise: float  # robust spread of its border pixels around it, in ΔE
    tolerance: float

    def render(self, height: int, width: int) -> Array:
        xs, ys = _axes(height, width)
        gx, gy = np.meshgrid(xs, ys)
        return (_design(gx, gy) @ self.coeffs).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Backdrop:
    """The background as up to three surfaces (a wall and a table top, say)."""

    surfaces: tuple[Surface, ...]
    fit: float  # share of the border they explain


def border_band(height: int, width: int) -> Array:
    """A mask of the outer frame of an image, about 2 % of the shorter side thick."""
    band = max(2, round(min(height, width) * 0.02))
    mask = np.zeros((height, width), bool)
    mask[:band], mask[-band:], mask[:, :band], mask[:, -band:] = True, True, True, True
    return mask


def _robust_fit(design: Array, values: Array) -> tuple[Array, float, Array]:
    """Quadratic fit that starts from the half of the samples nearest their median colour
    (a least-squares start on a wall and a table would settle between the two)."""
    spread = np.linalg.norm(values - np.median(values, axis=0), axis=1)
    keep = spread <= np.median(spread)
    coeffs = np.zeros((6, 3), np.float32)
    noise = 0.0
    for _ in range(5):
        if keep.sum() < 12:
            break
        coeffs, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        residual = np.linalg.norm(design @ coeffs - values, axis=1)
        noise = float(1.4826 * np.median(residual[keep]))
        keep = residual < max(3.0 * noise, 2.5)
    return coeffs.astype(np.float32), noise, keep


def fit_backdrop(lab: Array) -> Backdrop:
    """Fit surfaces to the border band one after another, each on what the others left.

    A later surface must cover a fifth of the border and three of its four sides, so a
    product touching one edge is never mistaken for background.
    """
    height, width = lab.shape[:2]
    ys_i, xs_i = np.nonzero(border_band(height, width))
    step = max(1, len(xs_i) // 6000)
    ys_i, xs_i = ys_i[::step], xs_i[::step]
    band = max(2, round(min(height, width) * 0.02))
    sides = np.stack(
        [ys_i < band, ys_i >= height - band, xs_i < band, xs_i >= width - band], axis=1
    )
    xs, ys = _axes(height, width)
    design = _design(xs[xs_i], ys[ys_i])
    values = lab[ys_i, xs_i]
    left = np.ones(len(values), bool)
    surfaces: list[Surface] = []
    for _ in range(3):
        if left.sum() < SURFACE_SHARE * len(values):
            break
        coeffs, noise, keep = _robust_fit(design[left], values[left])
        if noise > MAX_NOISE:  # a busy scene, not a backdrop
            break
        explained = np.zeros_like(left)
        explained[np.nonzero(left)[0][keep]] = True
        if surfaces:
            per_side = sides[explained].sum(axis=0) / np.maximum(sides.sum(axis=0), 1)
            if explained.mean() < SURFACE_SHARE or (per_side > 0.05).sum() < 3:
                break
        tol = float(np.clip(2.5 * noise + 1.5, 3.0, 40.0))
        surfaces.append(Surface(coeffs=coeffs, noise=noise, tolerance=tol))
        left &= ~explained
    return Backdrop(surfaces=tuple(surfaces), fit=float(1.0 - left.mean()))


def smoothing(height: int, width: int) -> float:
    """Gaussian sigma that tames sensor noise at this resolution."""
    return float(np.clip(min(height, width) / 300.0, 0.8, 3.0))


def shadow_like(lab: Array, model: Array, distance: Array, tol: float) -> Array:
    """Darker, same-chromaticity pixels on a gentle ramp: shadow-coloured.

    A cast shadow changes slowly compared with how far it is from the backdrop; a product's
    edge is a step, whose gradient is about half its contrast. A light product's shaded side
    passes this test too; ``flood`` tells the two apart by where they lie.
    """
    light, model_light = lab[..., 0], model[..., 0]
    chroma = lab[..., 1:] / (light[..., None] + 16.0)
    model_chroma = model[..., 1:] / (model_light[..., None] + 16.0)
    chroma_shift = np.linalg.norm(chroma - model_chroma, axis=-1) * (model_light + 16.0)
    darker = (light < model_light) & (light > 0.3 * model_light)
    gx = cv2.Sobel(light, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    soft = np.hypot(gx, gy) < 0.35 * np.maximum(distance, tol)
    return darker & soft & (chroma_shift < 0.5 * tol + 2.0)


def border_connected(candidate: Array) -> Array:
    """The parts of ``candidate`` reachable from the image border (4-connected)."""
    count, labels = cv2.connectedComponents(candidate.astype(np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros_like(candidate, dtype=bool)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    lookup = np.zeros(count, bool)
    lookup[np.unique(edge[edge > 0])] = True
    return lookup[labels]


def keep_main_parts(mask: Array) -> Array:
    """Drop specks: keep the largest part and parts at least a fraction of its size."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    if count <= 1:
        return np.zeros_like(mask, dtype=bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    keep[1:] = areas >= KEEP_COMPONENT_SHARE * areas.max()
    return keep[labels]


def fill_holes(mask: Array, score: Array | None = None) -> Array:
    """Fill enclosed gaps, except big ones that look just like the backdrop (a mug's handle).

    ``score`` is each pixel's distance from the backdrop in units of its tolerance.
    """
    holes = ~mask & ~border_connected(~mask)
    if score is None or not holes.any():
        return mask | holes
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        holes.astype(np.uint8), connectivity=4
    )
    area = max(int(mask.sum()), 1)
    total = np.bincount(labels.ravel(), weights=np.minimum(score, 3.0).ravel(), minlength=count)
    sizes = stats[:, cv2.CC_STAT_AREA]
    reopen = (sizes >= HOLE_SHARE * area) & (total < 0.6 * sizes)
    reopen[0] = False
    return mask | (holes & ~reopen[labels])


def bridge(mask: Array, score: Array) -> Array:
    """Close notches in the outline that the backdrop can't explain: a white label's shaded
    rim between the body above and below it.

    A pixel joins when the product is above and below it within a quarter of the product's
    height, it is not clearly backdrop-coloured, and it is above the floor zone (gaps there,
    between a chair's legs say, are open underneath anyway).
    """
    rows = np.nonzero(mask.any(axis=1))[0]
    if len(rows) == 0:
        return mask
    height = mask.shape[0]
    index = np.arange(height)[:, None]
    above = np.maximum.accumulate(np.where(mask, index, -1), axis=0)
    below = np.minimum.accumulate(np.where(mask, index, height)[::-1], axis=0)[::-1]
    reach = 0.25 * (rows[-1] - rows[0] + 1)
    enclosed = (above >= 0) & (below < height) & (below - above <= reach)
    floor = rows[-1] - round(0.15 * (rows[-1] - rows[0] + 1))
    enclosed[floor:] = False
    return mask | (enclosed & (score >= 0.6))


@dataclass(frozen=True, slots=True)
class Segmentation:
    """A product mask and what it was decided from."""

    mask: Array  # bool
    score: Array  # distance from the nearest surface, in units of its tolerance
    shadow: Array  # bool: flooded as a shadow on the backdrop rather than as backdrop
    backdrop: Backdrop


def flood(rgb: Array) -> Segmentation | None:
    """Version 1: the background is what floods in from the border within tolerance."""
    height, width = rgb.shape[:2]
    lab = cv2.GaussianBlur(to_lab(rgb), (0, 0), smoothing(height, width))
    backdrop = fit_backdrop(lab)
    if backdrop.fit < MIN_BORDER_FIT or not backdrop.surfaces:
        return None
    candidate = np.zeros((height, width), bool)
    shade = np.zeros((height, width), bool)
    score = np.full((height, width), np.inf, np.float32)
    for surface in backdrop.surfaces:
        model = surface.render(height, width)
        distance = np.linalg.norm(lab - model, axis=-1)
        candidate |= distance < surface.tolerance
        shade |= shadow_like(lab, model, distance, surface.tolerance)
        score = np.minimum(score, distance / surface.tolerance)
    # Shade is a shadow only with a way out sideways past no step edge (or in a bay of the
    # floor); walled in by the product's outline it is a shaded face of the product.
    edges = step_edges(lab, smoothing(height, width), border_band(height, width))
    shade &= ~candidate & ~edges
    free = escapes_sideways(edges)
    free |= backdrop_pockets(~free & ~edges, free & ~edges, candidate, POCKET_SHARE)
    shadow = shade & free
    candidate |= shadow
    # Background-like pixels the border cannot reach stay holes until fill_holes decides.
    foreground = cv2.morphologyEx(
        (~candidate).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
    ).astype(bool)
    mask = fill_holes(bridge(keep_main_parts(foreground), score), score)
    share = mask.mean()
    if share < MIN_PRODUCT_SHARE or share > MAX_PRODUCT_SHARE:
        return None
    return Segmentation(mask=mask, score=score, shadow=shadow & ~mask, backdrop=backdrop)
