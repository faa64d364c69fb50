"""Which PNG settings the studio writes with: time and size of each, on real results.

The pictures are the studio's own marketplace images of the real photographs in the
labelled set (12 MP JPEGs in, 2000×2000 out): mostly pure white, with a photographed
product in the middle. Every setting is lossless; they differ in how each row is filtered
before deflate and in deflate's own effort and strategy.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from report import machine, today, write_section  # bench/ is on the path when run as a script
from studio_vs_imagemagick import REAL, SIZES, photo_at, whole_path

from adapters.imaging.compose import PNG_SETTINGS

RUNS = 7
Encoder = Callable[[np.ndarray], int]  # encodes a BGR picture, gives the file's size
FILTERS = {
    "none": cv2.IMWRITE_PNG_FILTER_NONE,
    "sub": cv2.IMWRITE_PNG_FILTER_SUB,
    "up": cv2.IMWRITE_PNG_FILTER_UP,
    "paeth": cv2.IMWRITE_PNG_FILTER_PAETH,
    "all five, per row": cv2.IMWRITE_PNG_ALL_FILTERS,
}
STRATEGIES = {"default": cv2.IMWRITE_PNG_STRATEGY_DEFAULT, "RLE": cv2.IMWRITE_PNG_STRATEGY_RLE}


def opencv(level: int, filter_: int, strategy: int) -> tuple[int, ...]:
    return (
        cv2.IMWRITE_PNG_COMPRESSION, level,
        cv2.IMWRITE_PNG_STRATEGY, strategy,
        cv2.IMWRITE_PNG_FILTER, filter_,
    )  # fmt: skip


def measure(encode: Encoder, pictures: list[np.ndarray]) -> tuple[float, float]:
    """Median time (ms) and mean size (MB) of encoding each picture."""
    times, sizes = [], []
    for picture in pictures:
        encode(picture)
        for _ in range(RUNS):
            started = time.perf_counter()
            size = encode(picture)
            times.append(time.perf_counter() - started)
        sizes.append(size)
    return statistics.median(times) * 1000, statistics.mean(sizes) / 1e6


def main() -> None:
    load_before = os.getloadavg()[0]
    names = sorted(p.name.removesuffix(".mask.png") for p in REAL.glob("*.mask.png"))
    with tempfile.TemporaryDirectory() as tmp:
        pictures = []
        for name in names:
            data = photo_at(name, SIZES["12 MP"], Path(tmp)).read_bytes()
            with Image.open(io.BytesIO(whole_path(data))) as im:
                pictures.append(cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR))

    def pillow(level: int) -> Encoder:
        def encode(picture: np.ndarray) -> int:
            buffer = io.BytesIO()
            Image.fromarray(picture[..., ::-1]).save(buffer, format="PNG", compress_level=level)
            return len(buffer.getvalue())

        return encode

    def with_opencv(settings: tuple[int, ...]) -> Encoder:
        def encode(picture: np.ndarray) -> int:
            ok, data = cv2.imencode(".png", picture, settings)
            assert ok
            return len(data)

        return encode

    rows = []
    for level in (4, 6):
        ms, mb = measure(pillow(level), pictures)
        rows.append((f"Pillow, compress level {level} (adaptive filter per row)", ms, mb))
    for level in (1, 3, 6):
        for fname, filter_ in FILTERS.items():
            for sname, strategy in STRATEGIES.items():
                settings = opencv(level, filter_, strategy)
                ms, mb = measure(with_opencv(settings), pictures)
                chosen = " **(used)**" if settings == PNG_SETTINGS else ""
                rows.append((f"OpenCV, level {level}, filter {fname}, {sname}{chosen}", ms, mb))
    load_after = os.getloadavg()[0]
    rows.sort(key=lambda row: row[1])
    body = "\n".join(
        [
            "## PNG settings (`bench/png_settings.py`)",
            "",
            f"{today()}, {machine()}; 1-minute load average {load_before:.1f} before the run, "
            f"{load_after:.1f} after.",
            "",
            f"The studio's 2000×2000 marketplace images of the {len(pictures)} real "
            "photographs of the labelled set (12 MP JPEGs in). Median time of "
            f"{RUNS} encodes of each picture, mean size; all lossless. Sorted by time.",
            "",
            "| encoder and settings | median time | mean size |",
            "|---|---|---|",
            *(f"| {what} | {ms:.0f} ms | {mb:.2f} MB |" for what, ms, mb in rows),
        ]
    )
    write_section("png", body)
    print(body)


if __name__ == "__main__":
    main()
