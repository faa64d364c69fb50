"""Marketplace image from a 12-megapixel photo: the studio against ImageMagick's convert."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from report import machine, today, write_section  # bench/ is on the path when run as a script

from adapters.imaging.compose import compose, png
from adapters.imaging.decode import PillowDecoder
from adapters.imaging.extract import extract
from adapters.imaging.studio import StudioProvider
from core.imaging import RenderSpec, SourceImage
from core.templates import load_catalog

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
WIDTH, HEIGHT = 4000, 3000
# The same job for ImageMagick: fit into 85 % of 2000 px, a soft drop shadow, white pad.
MAGICK_ARGS = [
    "-resize", "1700x1700",
    "(", "+clone", "-background", "black", "-shadow", "35x24+0+28", ")",
    "+swap", "-background", "white", "-layers", "merge", "+repage",
    "-gravity", "center", "-extent", "2000x2000",
]  # fmt: skip


def photo() -> Image.Image:
    """A 12 MP product shot: a shaded bottle with a label on a vignetted gradient sweep."""
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    x, y = xs / WIDTH, ys / HEIGHT
    top, bottom = np.array((246, 245, 242), np.float32), np.array((208, 206, 201), np.float32)
    image = top * (1 - y[..., None]) + bottom * y[..., None]
    image *= (1 - 0.2 * ((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.5)[..., None]
    image *= (1 - 0.4 * np.exp(-(((x - 0.53) / 0.2) ** 2 + ((y - 0.87) / 0.025) ** 2) * 2.2))[
        ..., None
    ]
    outline = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(outline)
    cx, half = WIDTH // 2, int(WIDTH * 0.12)
    draw.rounded_rectangle((cx - half, int(HEIGHT * 0.38), cx + half, int(HEIGHT * 0.87)), 90, 255)
    draw.rectangle((cx - half // 3, int(HEIGHT * 0.1), cx + half // 3, int(HEIGHT * 0.4)), 255)
    alpha = np.asarray(outline.filter(ImageFilter.GaussianBlur(2)), np.float32)[..., None] / 255
    u = np.clip((xs - (cx - half)) / (2 * half), 0, 1)
    light = 0.55 + 0.5 * np.clip(np.sin(u * np.pi), 0, 1) ** 0.7 - 0.2 * u
    body = np.array((150, 36, 58), np.float32) * light[..., None]
    body += (255 - body) * (np.exp(-(((u - 0.3) / 0.04) ** 2)) * 0.6)[..., None]
    label = ((y > 0.55) & (y < 0.74))[..., None]
    body = np.where(label, np.float32(240) * (0.86 + 0.14 * light[..., None]), body)
    image = image * (1 - alpha) + body * alpha
    image += rng.normal(0, 2.0, image.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8))


def find_magick() -> tuple[list[str], str]:
    """A real ImageMagick command and its version line, or ``([], reason)``."""
    for candidate in ("magick", "convert", "/usr/bin/convert", "/usr/local/bin/convert"):
        path = shutil.which(candidate)
        if not path:
            continue
        version = subprocess.run([path, "-version"], capture_output=True, text=True, check=False)
        first = version.stdout.splitlines()[0] if version.stdout else ""
        if "ImageMagick" in first:
            return [path], first.split("https://")[0].replace("Version: ", "").strip()
    return [], "not installed (`apt-get install imagemagick`)"


def median_time(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    catalog = load_catalog(ROOT / "config" / "templates.toml")
    template = catalog.template("studio-white")
    market = catalog.formats["marketplace"]
    with tempfile.TemporaryDirectory() as tmp:
        jpeg = Path(tmp) / "photo.jpg"
        photo().save(jpeg, quality=92)
        source: SourceImage = asyncio.run(PillowDecoder().load(jpeg.read_bytes()))
        normalised = Path(tmp) / "photo.png"
        normalised.write_bytes(source.data)
        spec = RenderSpec(prompt="", template=template, format=market, source=source, seed=1)
        studio = StudioProvider()

        def render() -> None:
            asyncio.run(studio.render(spec, 1))

        cut = extract(source.data, 2000)
        picture = compose(cut, template, market, None, np.random.default_rng(1))
        rows = [
            ("studio: whole render (cut-out, compose, PNG)", median_time(render)),
            ("studio: cut-out only", median_time(lambda: extract(source.data, 2000))),
            (
                "studio: compose only",
                median_time(lambda: compose(cut, template, market, None, np.random.default_rng(1))),
            ),
            ("studio: PNG encode only", median_time(lambda: png(picture))),
        ]
        magick, version = find_magick()
        if magick:
            out = Path(tmp) / "magick.png"
            command = [*magick, str(normalised), *MAGICK_ARGS, str(out)]
            rows.append(
                (
                    f"{version}: resize, shadow, pad (no cut-out)",
                    median_time(lambda: subprocess.run(command, check=True)),
                )
            )
        else:
            rows.append((f"ImageMagick: {version}", float("nan")))
    lines = [
        f"| {label} | {'n/a' if seconds != seconds else f'{seconds * 1000:.0f} ms'} |"
        for label, seconds in rows
    ]
    body = "\n".join(
        [
            "## Studio marketplace composite vs ImageMagick (`bench/studio_vs_imagemagick.py`)",
            "",
            f"{today()}, {machine()}.",
            "",
            f"Input: a generated {WIDTH}×{HEIGHT} (12 MP) product photo, normalised to PNG. "
            "Output: the 2000×2000 pure-white marketplace image, PNG. Median of "
            f"{RUNS} runs. The studio also cuts the product out of its backdrop and draws a "
            "contact shadow under it; ImageMagick only resizes the whole photo, adds a drop "
            "shadow and pads it. ImageMagick's time includes starting the process and reading "
            "the 12 MP PNG; the studio's whole render includes decoding it too.",
            "",
            "| what | median |",
            "|---|---|",
            *lines,
        ]
    )
    write_section("studio", body)
    print(body)


if __name__ == "__main__":
    main()
