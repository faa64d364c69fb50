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
ATTACHED_SHARE = 0.05  # or at least this share and within reach of it
ATTACHED_REACH = 0.05  # share of the short side
HOLE_SHARE = 0.003  # enclosed patches smaller than this share of the product are product
RING_SHARE = 0.04  # the backdrop "just outside" the product: this share of the short side
TWIN_DELTA = 5.0  # ΔE within which a patch's colour has a twin in the backdrop nearby
TWIN_SHARE = 0.8  # share of a patch's colours that need a twin for it to show the backdrop
GRAIN_RATIO = 2.0  # a patch showing the backdrop has its grain within this factor of it
WALL_RATIO = 2.0  # the backdrop is seen through a product part at most this many times
#                   thicker than the gap is wide (a handle, a strap, a rim)
SAMPLES = 600  # colours compared per patch and per backdrop sample
POCKET_SHARE = 0.25  # walled-in shade with this much plain backdrop beside it is floor
DARKEST_SHADOW = 0.1  # a deep contact shadow keeps this share of the backdrop's lightness


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
        # Six unknowns: solving the 6x6 normal equations costs nothing next to a
        # factorisation of thousands of rows, and gives the same least-squares surface.
        picked = design[keep].astype(np.float64)
        normal, target = picked.T @ picked, picked.T @ values[keep].astype(np.float64)
        coeffs, *_ = np.linalg.lstsq(normal, target, rcond=None)
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
    darker = (light < model_light) & (light > DARKEST_SHADOW * model_light)
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
    """Drop specks: keep the largest part, parts at least a fraction of its size, and
    smaller parts close beside it (a handle or a strap whose joint the decision missed)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    if count <= 1:
        return np.zeros_like(mask, dtype=bool)
    areas = stats[:, cv2.CC_STAT_AREA].copy()
    areas[0] = 0
    largest = int(areas.argmax())
    keep = areas >= KEEP_COMPONENT_SHARE * areas[largest]
    attached = (areas >= ATTACHED_SHARE * areas[largest]) & ~keep
    if attached.any():
        gap = cv2.distanceTransform((labels != largest).astype(np.uint8), cv2.DIST_L2, 3)
        nearest = np.full(count, np.inf)
        np.minimum.at(nearest, labels.ravel(), gap.ravel())
        keep |= attached & (nearest <= ATTACHED_REACH * min(mask.shape))
    keep[0] = False
    return keep[labels]


def _twins(values: Array, palette: Array) -> float:
    """Share of ``values`` (Lab rows) with a colour within ``TWIN_DELTA`` in ``palette``."""
    take = np.linspace(0, len(values) - 1, min(len(values), SAMPLES)).astype(int)
    pick = np.linspace(0, len(palette) - 1, min(len(palette), SAMPLES)).astype(int)
    a, b = values[take], palette[pick]
    gaps = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    return float((gaps.min(axis=1) < TWIN_DELTA**2).mean())


def _grain(light: Array, region: Array, size: int) -> float:
    """Median spread of ``light`` in ``size``-square windows, counting only ``region``
    pixels so the edge around a patch adds nothing: its grain (wood, paper, sensor noise),
    which a smooth highlight lacks."""
    weight = region.astype(np.float32)
    box = (size, size)
    count = cv2.boxFilter(weight, -1, box, normalize=False)
    total = cv2.boxFilter(light * weight, -1, box, normalize=False)
    squares = cv2.boxFilter(light * light * weight, -1, box, normalize=False)
    full = region & (count >= min(0.5 * size * size, max(3.0, float(count.max()) - 1.0)))
    n = count[full]
    variance = (squares[full] - total[full] ** 2 / n) / np.maximum(n - 1.0, 1.0)
    return float(np.median(np.sqrt(np.maximum(variance, 0.0)))) if len(n) else 0.0


@dataclass(frozen=True, slots=True)
class Patch:
    """An enclosed patch that the backdrop model claims, with what it is judged against."""

    region: Array  # bool, the patch
    nearby: Array  # bool, the backdrop just outside the product around it
    wall: float  # the product's thickness between the patch and the backdrop outside
    width: float  # the patch's own width (twice its inscribed radius)


def shows_backdrop(lab: Array, patch: Patch) -> bool:
    """Whether an enclosed patch is the backdrop seen through the product (a mug's handle)
    rather than part of it (a highlight, a white rim, a reflection on a glossy saucer).

    The backdrop is seen *through* a part of the product (a handle, a strap, a rim): the
    product around the patch is no thicker than ``WALL_RATIO`` times the patch is wide.
    And the patch continues the backdrop just outside the product: nearly all its colours
    occur there, and its grain is as fine or as coarse. Brightness alone decides nothing.
    """
    if patch.nearby.sum() < 16 or patch.wall > WALL_RATIO * patch.width:
        return False
    if _twins(lab[patch.region], lab[patch.nearby]) < TWIN_SHARE:
        return False
    size = max(3, round(min(lab.shape[:2]) / 80) | 1)
    light = np.ascontiguousarray(lab[..., 0])
    ratio = (_grain(light, patch.region, size) + 0.05) / (_grain(light, patch.nearby, size) + 0.05)
    return 1.0 / GRAIN_RATIO <= ratio <= GRAIN_RATIO


def _around(box: Array, grow: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """A bounding box ``(x, y, w, h)`` grown by ``grow`` on every side, within ``shape``."""
    x, y, w, h = (int(v) for v in box)
    return (
        slice(max(0, y - grow), min(shape[0], y + h + grow)),
        slice(max(0, x - grow), min(shape[1], x + w + grow)),
    )


def _patches(mask: Array, labels: Array, stats: Array, indices: Array) -> list[Patch]:
    """The enclosed patches ``indices`` of ``labels``, each with the backdrop within reach
    of the product around it (the whole ring round the product if too little is near)."""
    outside = ~mask & (labels == 0)
    wall = cv2.distanceTransform((~outside).astype(np.uint8), cv2.DIST_L2, 3)
    gap = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    ring = outside & (gap <= max(3.0, RING_SHARE * min(mask.shape)))
    patches = []
    for index in indices:
        region = labels == index
        near = np.zeros_like(ring)
        window = _around(stats[index, :4], int(stats[index, 2:4].max()), mask.shape)
        near[window] = ring[window]
        inside = cv2.distanceTransform(region[window].astype(np.uint8), cv2.DIST_L2, 3)
        patches.append(
            Patch(
                region=region,
                nearby=near if near.sum() >= 16 else ring,
                wall=float(wall[region].min()),
                width=2.0 * float(inside.max()),
            )
        )
    return patches


def fill_holes(mask: Array, score: Array | None = None, lab: Array | None = None) -> Array:
    """Fill what the product encloses, except patches that show the backdrop through it
    (a mug's handle): big enough to matter, explained by the fitted backdrop surface there,
    and passing ``shows_backdrop``.

    ``score`` is each pixel's distance from the backdrop in units of its tolerance; ``lab``
    the smoothed Lab photo.
    """
    holes = ~mask & ~border_connected(~mask)
    if score is None or lab is None or not holes.any():
        return mask | holes
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        holes.astype(np.uint8), connectivity=4
    )
    area = max(int(mask.sum()), 1)
    total = np.bincount(labels.ravel(), weights=np.minimum(score, 3.0).ravel(), minlength=count)
    sizes = stats[:, cv2.CC_STAT_AREA]
    candidates = (sizes >= HOLE_SHARE * area) & (total < 0.6 * sizes)
    candidates[0] = False
    reopen = np.zeros(count, bool)
    indices = np.nonzero(candidates)[0]
    for index, patch in zip(indices, _patches(mask, labels, stats, indices), strict=True):
        reopen[index] = shows_backdrop(lab, patch)
    return mask | (holes & ~reopen[labels])


def smooth_outline(mask: Array) -> Array:
    """The mask with its outline smoothed over a pixel or so (a 250th of the short side):
    notches and slivers a pixel or two wide (a rim's dark wall half missed, its bright lip
    half kept) close or go, so the outline traced at full size is not ragged."""
    sigma = max(0.8, min(mask.shape) / 250.0)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    return soft >= 0.5


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
    lab: Array  # the photo in Lab, smoothed against sensor noise


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
    mask = fill_holes(smooth_outline(bridge(keep_main_parts(foreground), score)), score, lab)
    share = mask.mean()
    if share < MIN_PRODUCT_SHARE or share > MAX_PRODUCT_SHARE:
        return None
    return Segmentation(mask=mask, score=score, shadow=shadow & ~mask, backdrop=backdrop, lab=lab)
