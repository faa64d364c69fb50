"""Makes the real photographs in this folder and draws their hand-made masks.

The photographs come from scikit-image's sample data (see README.md for each one's source
and licence); ``SOURCES`` says which file, which crop and what size. Every outline below
was read off the stored photo by eye: from crops viewed at 4-10x zoom with a pixel grid,
and, where the edge is a soft ramp, from brightness profiles printed along rays from the
product's centre (the radius where the profile crosses half-way between product and
backdrop). Each mask was then checked by viewing its outline over the photo at several
zooms and corrected until it ran along the product's edge. Coordinates are pixel edges of
the stored photo (pixel ``(i, j)`` covers ``[i, i+1) x [j, j+1)``). Shapes are drawn at four
times the size and reduced, then cut at one half.

``python tests/data/cutout/real/masks.py`` rewrites the ``<name>.mask.png`` files;
``python tests/data/cutout/real/masks.py --photos DIR`` also remakes the photos from
scikit-image's ``skimage/data`` folder ``DIR``. The output is deterministic.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).parent
SS = 4  # supersampling factor
Point = tuple[float, float]
Draw = Callable[[ImageDraw.ImageDraw], None]

# name: (file in skimage/data, crop box or None, longest side after reduction or None)
SOURCES: dict[str, tuple[str, tuple[int, int, int, int] | None, int | None]] = {
    "coffee": ("coffee.png", None, None),
    "clock": ("clock_motion.png", None, None),
    "coin": ("coins.png", (176, 152, 250, 234), None),
    "retina": ("retina.jpg", None, 480),
    "cell": ("cell.png", (230, 200, 550, 560), None),
    "rocket": ("rocket.jpg", (262, 112, 372, 340), None),
}


def polygon(points: Sequence[Point], fill: int = 255) -> Draw:
    def draw(canvas: ImageDraw.ImageDraw) -> None:
        canvas.polygon([(x * SS, y * SS) for x, y in points], fill=fill)

    return draw


def ellipse(cx: float, cy: float, rx: float, ry: float, fill: int = 255) -> Draw:
    box = [(cx - rx) * SS, (cy - ry) * SS, (cx + rx) * SS, (cy + ry) * SS]

    def draw(canvas: ImageDraw.ImageDraw) -> None:
        canvas.ellipse(box, fill=fill)

    return draw


def radial(cx: float, cy: float, radii: Sequence[float]) -> Draw:
    """A closed outline from radii read at equal angles, clockwise from the +x axis."""
    step = 2 * math.pi / len(radii)
    return polygon(
        [(cx + r * math.cos(i * step), cy + r * math.sin(i * step)) for i, r in enumerate(radii)]
    )


# An espresso cup on its saucer, a spoon on the saucer; a wooden table around, with the
# saucer's shadow to the lower left. The handle's opening shows the saucer: product.
COFFEE = [
    polygon(
        [
            # the cup's rim, left to right
            (179, 77), (184.5, 68.5), (190.4, 60.1), (204.9, 45.9),
            (220.8, 34.2), (238.1, 26.1), (256, 21), (273.7, 17.8), (291.5, 18),
            (309, 19.5), (325.9, 24), (342.9, 29.5), (359.3, 37.7), (374.4, 48.9),
            (387.4, 63.2), (392.5, 71.5),
            # the spoon's handle above the saucer
            (399, 72), (403, 68.5), (408, 67.5), (415.5, 68.5), (419, 70.5), (422.5, 75.5),
            (423, 83), (421.8, 90.5), (419, 100.5), (416.8, 105.5),
            # the saucer's rim, clockwise; below, where its dark outer wall meets the shadow
            (418, 106.8), (428, 113), (438, 120.5), (445.5, 128), (451, 138), (457, 150),
            (463, 162), (468, 175), (472, 190), (475.5, 205), (477.5, 218), (478, 230),
            (477, 248.5), (474.2, 264.7), (468.5, 281.5), (462.3, 296.7), (452.5, 310.5),
            (442.5, 324), (431, 336), (419.2, 346.8), (406.5, 356.5), (393.3, 364.9),
            (379.5, 372), (365.5, 377.7), (351.5, 382), (336.9, 385.5), (322.5, 388),
            (308.5, 389.5),
            (294.5, 390.8), (280.5, 391), (266.5, 390), (252.7, 388.1), (238.5, 386),
            (224.9, 383.4), (211, 379.3), (197.6, 374.1), (184, 368), (170.8, 361.3),
            (157.5, 353), (145.1, 344.1), (132, 334), (120.3, 323), (109.5, 310),
            (100, 296.2), (91.5, 281), (84.9, 265), (80.5, 247.5), (78, 230.5), (78, 215),
            (79.5, 200), (81.8, 180), (88, 160), (98, 140), (109.3, 120), (117.5, 110), (128, 100),
            (142, 90), (160, 80), (170.5, 76.5),
        ]
    )
]  # fmt: skip

# A wall clock on a plain wall, photographed while the camera moved sideways: the outline
# is where the smear first departs from the wall, with the frame's dark rim inside.
CLOCK = [
    polygon(
        [
            (167, 97), (175, 95.5), (190, 93.5), (205, 92.5), (220, 92.5), (235, 93),
            (249, 95), (261, 101), (269, 107), (274, 113), (279, 119), (282, 125),
            (285, 131), (287, 137), (289, 143), (289.5, 150), (289.5, 157), (288, 163),
            (285.5, 169), (283.5, 175), (280.5, 181), (276, 187), (271, 193), (265.5, 199),
            (258, 205), (246, 211), (232, 214.5), (215, 216.5), (200, 216.5), (188, 215.5),
            (172, 209), (166, 202), (161, 195), (155, 188), (150, 182), (146.5, 175),
            (144.5, 168), (143, 162), (142.5, 156), (143, 150), (144.5, 144), (146, 138),
            (147, 132), (148, 126), (150.5, 120), (154, 114), (157.5, 108), (161, 102.5),
        ]
    )
]  # fmt: skip

# One ancient coin on a dark grey cloth, cropped from a museum photograph of many; the
# coin's relief has dark and bright spots, its rim is crisp. Radii every 15 degrees.
COIN = [
    radial(
        37.5,
        41.8,
        [
            23.3, 23.5, 23.5, 24.5, 23.2, 22.3, 23.6, 23.3, 23.7, 24.3, 24.4, 24.6,
            24.7, 25.2, 24.6, 24.3, 24.7, 24.4, 23.6, 24.3, 24.5, 23.5, 23.6, 23.3,
        ],
    )
]  # fmt: skip

# A fundus photograph: an orange disc, with the bright optic disc on its left and a small
# square marker tab at the upper right, on black.
RETINA = [
    ellipse(239.5, 239.25, 236.1, 236.1),
    polygon([(387.1, 53.1), (396.5, 44.25), (417.75, 63), (410.5, 74.4), (395, 68)]),
]

# A bright round cell in a dark halo on a grey, grainy ground: the product is the bright
# body, the halo around it is not (a shadow-like ring). Radii every 15 degrees.
CELL = [
    radial(
        198.5,
        178.5,
        [
            62.8, 62.2, 60.8, 59.8, 59.2, 58.5, 57.8, 59.0, 58.2, 58.8, 60.2, 61.8,
            63.2, 64.0, 64.5, 65.2, 65.2, 66.5, 66.0, 65.5, 65.2, 65.2, 64.2, 62.8,
        ],
    )
]  # fmt: skip

# A white rocket against the evening sky, with the thin service tower that hugs it and two
# small arms near the bottom; it runs out of the picture at the bottom. The tower's
# one-pixel gaps are part of its lattice, not backdrop.
ROCKET = [
    polygon(
        [
            (61.2, 15), (64.2, 16.2), (67.2, 20.2), (69.2, 24.2), (70.7, 30.2), (71.4, 37.2),
            (72, 44), (72, 66), (74.5, 68), (74.5, 79), (73, 81), (73, 181), (74, 183),
            (74, 228), (47.5, 228), (47.5, 127), (46.5, 125), (46.5, 116), (48, 114),
            (48, 80), (46.5, 78), (46.5, 45), (49.5, 42), (50, 40), (50.2, 34.2),
            (50.7, 29.2), (51.7, 24.2), (53.7, 20.2), (56.7, 16.7),
        ]
    ),
    polygon([(40.3, 208.7), (48, 208.7), (48, 210.7), (40.3, 210.7)]),
    polygon([(73, 208.7), (80.5, 208.7), (80.5, 210.7), (73, 210.7)]),
]  # fmt: skip

SHAPES: dict[str, list[Draw]] = {
    "coffee": COFFEE,
    "clock": CLOCK,
    "coin": COIN,
    "retina": RETINA,
    "cell": CELL,
    "rocket": ROCKET,
}


def render(size: tuple[int, int], shapes: Sequence[Draw]) -> Image.Image:
    """The mask at ``size``: shapes drawn in order (one with fill 0 cuts a gap)."""
    width, height = size
    canvas = Image.new("L", (width * SS, height * SS), 0)
    draw = ImageDraw.Draw(canvas)
    for shape in shapes:
        shape(draw)
    small = canvas.resize(size, Image.Resampling.BOX)
    return Image.fromarray(np.where(np.asarray(small) >= 128, 255, 0).astype(np.uint8))


def make_photo(data: Path, name: str) -> None:
    """Crop and reduce one sample photo as ``SOURCES`` says and store it as PNG."""
    file, box, longest = SOURCES[name]
    with Image.open(data / file) as source:
        photo = source.convert("L" if source.mode == "L" else "RGB")
    if box is not None:
        photo = photo.crop(box)
    if longest is not None and max(photo.size) > longest:
        scale = longest / max(photo.size)
        size = (round(photo.width * scale), round(photo.height * scale))
        photo = photo.resize(size, Image.Resampling.LANCZOS)
    photo.save(HERE / f"{name}.png", optimize=True)


def main(argv: Sequence[str]) -> None:
    if len(argv) == 2 and argv[0] == "--photos":
        for name in SOURCES:
            make_photo(Path(argv[1]), name)
    for name, shapes in SHAPES.items():
        with Image.open(HERE / f"{name}.png") as photo:
            size = photo.size
        render(size, shapes).save(HERE / f"{name}.mask.png", optimize=True)


if __name__ == "__main__":
    main(sys.argv[1:])
