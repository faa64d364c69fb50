"""Cut-out quality: IoU of the flood fill (v1) and GrabCut (v2) on the labelled set."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image
from report import machine, today, write_section  # bench/ is on the path when run as a script

from adapters.imaging.segment import product_mask

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "data" / "cutout"
RUNS = 3


def iou(found: np.ndarray, truth: np.ndarray) -> float:
    return float((found & truth).sum() / max(1, (found | truth).sum()))


def measure(rgb: np.ndarray, truth: np.ndarray, version: int) -> tuple[float, float]:
    """IoU and the median time of three runs (the masks are deterministic)."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        found = product_mask(rgb, version)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    return iou(found, truth), statistics.median(times)


def main() -> None:
    rows, v1s, v2s = [], [], []
    product_mask(np.full((48, 64, 3), 200, np.uint8))  # warm up OpenCV before timing
    for path in sorted(SET.glob("*.png")):
        if path.name.endswith(".mask.png"):
            continue
        rgb = np.asarray(Image.open(path).convert("RGB"))
        truth = np.asarray(Image.open(path.with_suffix(".mask.png")).convert("L")) > 127
        v1, t1 = measure(rgb, truth, 1)
        v2, t2 = measure(rgb, truth, 2)
        v1s.append(v1)
        v2s.append(v2)
        size = f"{rgb.shape[1]}×{rgb.shape[0]}"
        times = f"{t1 * 1000:.0f} ms | {t2 * 1000:.0f} ms"
        rows.append(f"| {path.stem} | {size} | {v1:.3f} | {v2:.3f} | {times} |")
    mean = f"| **mean** | | **{statistics.mean(v1s):.3f}** | **{statistics.mean(v2s):.3f}** | | |"
    body = "\n".join(
        [
            "## Cut-out IoU (`bench/cutout_iou.py`)",
            "",
            f"{today()}, {machine()}.",
            "",
            "Synthetic product photos with known masks (`tests/data/make_cutout_set.py`), "
            "drawn at 4× and reduced, with sensor noise. v1 floods the background in from "
            "the border against a fitted backdrop; a darker patch of the backdrop's own "
            "colour counts as shadow only when it has a way out sideways that crosses no "
            "step edge, so a light product's shaded sides stay product. v2 refines that "
            "mask with OpenCV GrabCut. Both then trace the edge in colour. Times are for "
            "`product_mask` on the 320×240 photo, median of three runs.",
            "",
            "| photo | size | IoU v1 | IoU v2 | time v1 | time v2 |",
            "|---|---|---|---|---|---|",
            *rows,
            mean,
        ]
    )
    write_section("cutout", body)
    print(body)


if __name__ == "__main__":
    main()
