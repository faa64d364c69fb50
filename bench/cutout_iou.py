"""Cut-out quality: IoU of the flood fill (v1) and GrabCut (v2) on the labelled set, and the
holes left inside real photographs' products on the whole path at 12 MP."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from report import machine, today, write_section  # bench/ is on the path when run as a script

from adapters.imaging import extract, grabcut
from adapters.imaging.cutout import border_connected, flood
from adapters.imaging.segment import product_mask

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "data" / "cutout"
REAL = SET / "real"
RUNS = 3
MEGAPIXELS = 12e6
LONGEST = 2000  # the marketplace cut-out's long side
COARSE = 400  # the side at which flood fill and GrabCut are timed
Array = np.ndarray


def iou(found: Array, truth: Array) -> float:
    return float((found & truth).sum() / max(1, (found | truth).sum()))


def enclosed_share(alpha: Array, truth: Array, product_area: float) -> float:
    """Background (alpha < 0.5) that the product encloses (no way to the border through
    background) where the hand mask says product, per unit of the product's area."""
    clear = alpha < 0.5
    holes = clear & ~border_connected(clear)
    return float((holes & truth).sum() / max(product_area, 1.0))


def labelled(folder: Path) -> list[tuple[str, Array, Array]]:
    cases = []
    for path in sorted(folder.glob("*.png")):
        if path.name.endswith(".mask.png"):
            continue
        rgb = np.asarray(Image.open(path).convert("RGB"))
        truth = np.asarray(Image.open(path.with_suffix(".mask.png")).convert("L")) > 127
        cases.append((path.stem, rgb, truth))
    return cases


def median_time(run: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(rgb: Array, truth: Array, version: int) -> tuple[float, float, Array]:
    """IoU, the median time of three runs (the masks are deterministic) and the mask."""
    found = product_mask(rgb, version)  # type: ignore[arg-type]
    return iou(found, truth), median_time(lambda: product_mask(rgb, version)), found  # type: ignore[arg-type]


def enlarged(rgb: Array) -> Array:
    """The photo enlarged to about 12 MP, its aspect kept."""
    height, width = rgb.shape[:2]
    factor = (MEGAPIXELS / (height * width)) ** 0.5
    size = (round(width * factor), round(height * factor))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)


def _match(photo: Array, cut: Array, scale: float) -> tuple[float, tuple[int, int]]:
    height, width = cut.shape[:2]
    size = (max(1, round(width / scale)), max(1, round(height / scale)))
    if size[0] >= photo.shape[1] or size[1] >= photo.shape[0]:
        return np.inf, (0, 0)
    template = cv2.resize(cut, size, interpolation=cv2.INTER_AREA)
    scores = cv2.matchTemplate(photo, template, cv2.TM_SQDIFF)
    low, _, corner, _ = cv2.minMaxLoc(scores)
    return low / template.size, corner


def locate(photo: Array, cut: Array, guess: float) -> tuple[float, tuple[int, int]]:
    """Where a trimmed cut-out came from, in pixels of the small photo: its scale (cut-out
    pixels per photo pixel) and top-left corner, from its colours matched against the
    photo at a range of scales around ``guess``."""
    candidates = np.geomspace(0.8 * guess, 1.25 * guess, 45)
    best = min(candidates, key=lambda s: _match(photo, cut, s)[0])
    fine = np.linspace(0.99 * best, 1.01 * best, 21)
    scale = min(fine, key=lambda s: _match(photo, cut, s)[0])
    return float(scale), _match(photo, cut, scale)[1]


@dataclass(frozen=True, slots=True)
class WholePath:
    """A real photo through ``extract.from_photo`` at 12 MP, judged against its hand mask."""

    iou: float
    holes: float
    seconds: float


def whole_path(rgb: Array, truth: Array) -> WholePath:
    big = enlarged(rgb)
    started = time.perf_counter()
    cut = extract.from_photo(big, LONGEST)
    seconds = time.perf_counter() - started
    ys, xs = np.nonzero(truth)
    extent = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    scale, (x0, y0) = locate(rgb, cut.rgb, max(cut.alpha.shape) / extent)
    # cut-out pixel (u, v) looks at photo pixel (x0 + (u + 0.5) / scale - 0.5, ...)
    to_photo = np.array(
        [[1 / scale, 0, x0 + 0.5 / scale - 0.5], [0, 1 / scale, y0 + 0.5 / scale - 0.5]],
        np.float32,
    )
    height, width = cut.alpha.shape
    hand = cv2.warpAffine(
        truth.astype(np.float32),
        to_photo,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
    )
    hand = hand >= 0.5
    area = float(truth.sum()) * scale * scale  # the whole product, also outside the crop
    found = cut.alpha >= 0.5
    overlap = float((found & hand).sum())
    return WholePath(
        iou=overlap / max(1.0, found.sum() + area - overlap),
        holes=enclosed_share(cut.alpha, hand, area),
        seconds=seconds,
    )


def coarse_times(rgb: Array) -> tuple[float, float]:
    """Median times of the flood fill and of GrabCut on the photo at ``COARSE`` px."""
    height, width = rgb.shape[:2]
    k = COARSE / max(height, width)
    size = (round(width * k), round(height * k))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    seg = flood(small)
    if seg is None:
        return median_time(lambda: flood(small)), 0.0
    return median_time(lambda: flood(small)), median_time(lambda: grabcut.refine(small, seg))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def synthetic_section() -> tuple[list[str], list[float]]:
    rows, v1s, v2s, coarse = [], [], [], []
    for name, rgb, truth in labelled(SET):
        v1, t1, _ = measure(rgb, truth, 1)
        v2, t2, _ = measure(rgb, truth, 2)
        v1s.append(v1)
        v2s.append(v2)
        coarse.append(sum(coarse_times(rgb)))
        size = f"{rgb.shape[1]}×{rgb.shape[0]}"
        rows.append(f"| {name} | {size} | {v1:.3f} | {v2:.3f} | {ms(t1)} | {ms(t2)} |")
    mean = f"| **mean** | | **{statistics.mean(v1s):.3f}** | **{statistics.mean(v2s):.3f}** | | |"
    table = [
        "| photo | size | IoU v1 | IoU v2 | time v1 | time v2 |",
        "|---|---|---|---|---|---|",
        *rows,
        mean,
    ]
    return table, coarse


def real_section() -> tuple[list[str], list[float]]:
    rows, coarse, v2s, big_ious, holes = [], [], [], [], []
    for name, rgb, truth in labelled(REAL):
        v1, _, found1 = measure(rgb, truth, 1)
        v2, _, found2 = measure(rgb, truth, 2)
        own1 = enclosed_share(found1.astype(np.float32), truth, float(truth.sum()))
        own2 = enclosed_share(found2.astype(np.float32), truth, float(truth.sum()))
        whole = whole_path(rgb, truth)
        flood_time, grabcut_time = coarse_times(rgb)
        coarse.append(flood_time + grabcut_time)
        v2s.append(v2)
        big_ious.append(whole.iou)
        holes.append(whole.holes)
        size = f"{rgb.shape[1]}×{rgb.shape[0]}"
        rows.append(
            f"| {name} | {size} | {v1:.3f} | {v2:.3f} | {own1:.2%} | {own2:.2%} "
            f"| {whole.iou:.3f} | {whole.holes:.2%} | {whole.seconds:.2f} s "
            f"| {ms(flood_time)} + {ms(grabcut_time)} |"
        )
    mean = (
        f"| **mean** | | | **{statistics.mean(v2s):.3f}** | | | "
        f"**{statistics.mean(big_ious):.3f}** | max **{max(holes):.2%}** | | |"
    )
    table = [
        "| photo | size | IoU v1 | IoU v2 | holes v1 | holes v2 | IoU 12 MP | holes 12 MP "
        f"| cut-out 12 MP | flood + GrabCut at {COARSE} px |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        mean,
    ]
    return table, coarse


def main() -> None:
    product_mask(np.full((48, 64, 3), 200, np.uint8))  # warm up OpenCV before timing
    load = os.getloadavg()[0]
    synthetic, coarse_synthetic = synthetic_section()
    real, coarse_real = real_section()
    coarse = coarse_synthetic + coarse_real
    body = "\n".join(
        [
            "## Cut-out IoU (`bench/cutout_iou.py`)",
            "",
            f"{today()}, {machine()}; load average {load:.1f} when it started (times "
            "from a busy machine are longer).",
            "",
            "v1 floods the background in from the border against a fitted backdrop; a "
            "darker patch of the backdrop's own colour counts as shadow only when it has a "
            "way out sideways that crosses no step edge. v2 refines that mask with OpenCV "
            "GrabCut (colour models learnt on a copy at most "
            f"{grabcut.LEARN_SIDE} px long, then one cut at full size). Both fill what the "
            "product encloses unless it shows the backdrop through a thin part of the "
            "product, in the backdrop's colours and grain; then the edge is traced in "
            "colour.",
            "",
            "Synthetic product photos with known masks (`tests/data/make_cutout_set.py`), "
            "drawn at 4× and reduced, with sensor noise. Times are for `product_mask` on "
            "the 320×240 photo, median of three runs.",
            "",
            *synthetic,
            "",
            "Real photographs (`tests/data/cutout/real/`, scikit-image's sample data, "
            "masks drawn by hand: `masks.py`). IoU and holes at the photo's own size "
            "through `product_mask`; then the whole path: the photo enlarged to 12 MP, "
            f"`extract.from_photo(photo, {LONGEST})` (deciding at "
            f"{extract.COARSE_SIDE} px), its alpha compared with the hand mask brought to "
            "the cut-out's crop (found by matching the cut-out's colours against the "
            "photo). Holes: background (alpha < 0.5) enclosed by the product where the "
            "hand mask says product, as a share of the product's area.",
            "",
            *real,
            "",
            f"Flood fill plus GrabCut with each photo reduced to {COARSE} px on its long "
            f"side, all {len(coarse)} photos: median {ms(statistics.median(coarse))}, "
            f"slowest {ms(max(coarse))} (median of three runs each).",
        ]
    )
    write_section("cutout", body)
    print(body)


if __name__ == "__main__":
    main()
