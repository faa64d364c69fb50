"""Cut-out quality on the labelled set in tests/data/cutout (see make_cutout_set.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from adapters.imaging.segment import product_mask
from tests.adapters.imaging.photos import product_photo, true_mask

SET = Path(__file__).resolve().parents[2] / "data" / "cutout"


def iou(found: np.ndarray, truth: np.ndarray) -> float:
    return float((found & truth).sum() / max(1, (found | truth).sum()))


def labelled() -> list[tuple[str, np.ndarray, np.ndarray]]:
    cases = []
    for path in sorted(SET.glob("*.png")):
        if path.name.endswith(".mask.png"):
            continue
        rgb = np.asarray(Image.open(path).convert("RGB"))
        truth = np.asarray(Image.open(path.with_suffix(".mask.png")).convert("L")) > 127
        cases.append((path.stem, rgb, truth))
    return cases


def test_the_labelled_set_is_there_and_small() -> None:
    cases = labelled()
    assert 6 <= len(cases) <= 10
    assert sum(p.stat().st_size for p in SET.iterdir()) < 1_100_000


def test_grabcut_cuts_out_at_least_as_well_as_the_flood_fill() -> None:
    v1, v2 = [], []
    for _, rgb, truth in labelled():
        v1.append(iou(product_mask(rgb, 1), truth))
        v2.append(iou(product_mask(rgb, 2), truth))
    assert np.mean(v2) >= 0.85
    assert np.mean(v2) >= np.mean(v1)
    assert min(b - a for a, b in zip(v1, v2, strict=True)) > -0.05, "no photo gets much worse"


def test_a_shaded_bottle_on_a_sweep_is_cut_out_tightly() -> None:
    found = product_mask(np.asarray(product_photo()), 2)
    assert iou(found, true_mask()) > 0.95
