"""Cut-out quality on the labelled set in tests/data/cutout (see make_cutout_set.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from adapters.imaging.segment import product_mask
from adapters.imaging.shading import backdrop_pockets, escapes_sideways, step_edges
from tests.adapters.imaging.photos import product_photo, true_mask

SET = Path(__file__).resolve().parents[2] / "data" / "cutout"
FLOOR = 0.9  # every photo's v2 IoU, unless listed below
HARD = {"vase-white-on-white": 0.65}  # its lit side is the backdrop's white, edge and all


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


@cache
def scores() -> dict[str, tuple[float, float]]:
    """IoU of v1 and v2 for each labelled photo (computed once for the tests below)."""
    return {
        name: (iou(product_mask(rgb, 1), truth), iou(product_mask(rgb, 2), truth))
        for name, rgb, truth in labelled()
    }


def test_the_labelled_set_is_there_and_small() -> None:
    cases = labelled()
    assert 10 <= len(cases) <= 14
    assert sum(p.stat().st_size for p in SET.iterdir()) < 1_500_000


def test_grabcut_cuts_out_at_least_as_well_as_the_flood_fill() -> None:
    v1, v2 = zip(*scores().values(), strict=True)
    assert np.mean(v2) >= 0.93
    assert np.mean(v2) >= np.mean(v1)
    assert min(b - a for a, b in zip(v1, v2, strict=True)) > -0.05, "no photo gets much worse"


def test_every_labelled_photo_is_cut_out_above_its_floor() -> None:
    low = {name: round(v2, 3) for name, (_, v2) in scores().items() if v2 < HARD.get(name, FLOOR)}
    assert not low


def test_a_light_box_whose_sides_match_its_shadow_keeps_its_sides() -> None:
    v1, v2 = scores()["box-lowcontrast"]
    assert v1 > 0.9
    assert v2 > 0.9


def test_a_shaded_bottle_on_a_sweep_is_cut_out_tightly() -> None:
    found = product_mask(np.asarray(product_photo()), 2)
    assert iou(found, true_mask()) > 0.95


def test_a_step_is_an_edge_and_a_soft_ramp_is_not() -> None:
    lab = np.full((60, 80, 3), 80.0, np.float32)
    lab[:, 40:, 0] = 74.0  # a face six units darker, with a sharp edge
    ramp = np.clip((np.arange(80, dtype=np.float32) - 12.0) / 8.0, 0.0, 1.0)
    lab[30:, :40, 0] -= 10.0 * ramp[:40]  # a contact shadow fading in over eight pixels below
    lab += np.random.default_rng(0).normal(0.0, 0.3, lab.shape).astype(np.float32)
    lab = cv2.GaussianBlur(lab, (0, 0), 0.8)
    quiet = np.zeros((60, 80), bool)
    quiet[:4], quiet[-4:] = True, True
    edges = step_edges(lab, 0.8, quiet)
    assert edges[5:25, 38:42].any(axis=1).all(), "the step is found on every row"
    assert not edges[5:25, 5:35].any()
    assert not edges[35:55, 5:30].any(), "the ramp is no edge"


def test_only_pixels_walled_in_on_both_sides_have_no_way_out() -> None:
    blocked = np.zeros((3, 7), bool)
    blocked[0, [2, 5]] = True
    blocked[2, [0, 6]] = True
    free = escapes_sideways(blocked)
    assert free[1].all()
    assert free[0].tolist() == [True, True, True, False, False, True, True]
    assert not free[2, 1:6].any()


def test_walled_in_shade_is_floor_only_in_a_bay_of_plain_backdrop() -> None:
    walled = np.zeros((9, 12), bool)
    walled[1:4, 1:5] = True  # a shaded face: nothing in it is backdrop
    walled[5:8, 6:11] = True  # floor between two legs: backdrop with a shadow in it
    walled[5:8, 0:4] = True  # a white bottle's lit middle, closed off by its outline
    free = np.zeros_like(walled)
    free[8, 6:11] = True  # the floor below the legs
    backdrop = np.zeros_like(walled)
    backdrop[5:8, 6:9] = True
    backdrop[5:8, 0:2] = True
    pockets = backdrop_pockets(walled, free, backdrop, 0.25)
    assert not pockets[1:4, 1:5].any()
    assert pockets[5:8, 6:11].all()
    assert not pockets[5:8, 0:4].any()
