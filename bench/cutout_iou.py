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


def iou(found: np.ndarray, truth: np.ndarray) -> float:
    return float((found & truth).sum() / max(1, (found | truth).sum()))


def measure(rgb: np.ndarray, truth: np.ndarray, version: int) -> tuple[float, float]:
    started = time.perf_counter()
    found = product_mask(rgb, version)  # type: ignore[arg-type]
    return iou(found, truth), time.perf_counter() - started


def main() -> None:
    rows, v1s, v2s = [], [], []
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
            "Synthetic product photos with known masks (`tests/data/make_cutout_set.py`). "
            "v1 floods the background in from the border against a fitted backdrop; v2 "
            "refines that mask with OpenCV GrabCut. Both then trace the edge in colour.",
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
