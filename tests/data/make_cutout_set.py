"""Writes the labelled cut-out set (tests/data/cutout): synthetic photos and their true masks."""

# Run ``python tests/data/make_cutout_set.py``; the output is deterministic. Each scene is
# drawn at four times its size and reduced, like a camera, then given sensor noise.

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).parent / "cutout"
W, H = 320, 240
SS = 4  # supersampling factor
Array = np.ndarray
Shape = Callable[[ImageDraw.ImageDraw], None]


def grid(width: int = W * SS, height: int = H * SS) -> tuple[Array, Array]:
    """Normalised coordinates, x and y in [0, 1]."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs / (width - 1), ys / (height - 1)


def shape(draw_fn: Shape, width: int = W * SS, height: int = H * SS) -> Array:
    """A binary silhouette drawn with Pillow, as floats."""
    im = Image.new("L", (width, height), 0)
    draw_fn(ImageDraw.Draw(im))
    return np.asarray(im, dtype=np.float32) / 255.0


def blur(a: Array, radius: float) -> Array:
    im = Image.fromarray(np.clip(a * 255.0, 0, 255).astype(np.uint8))
    return np.asarray(im.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255.0


def vertical(top: tuple[int, ...], bottom: tuple[int, ...], y: Array, power: float = 1.0) -> Array:
    t = (y**power)[..., None]
    return np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t


def vignette(rgb: Array, x: Array, y: Array, strength: float) -> Array:
    r2 = (x - 0.5) ** 2 + (y - 0.5) ** 2
    return rgb * (1 - strength * r2 / 0.5)[..., None]


def value_noise(rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int]) -> Array:
    """Smooth random field in [0, 1] (bicubic-upscaled lattice noise)."""
    lattice = rng.random(cells).astype(np.float32)
    im = Image.fromarray(lattice).resize(size, Image.Resampling.BICUBIC)
    return np.clip(np.asarray(im, dtype=np.float32), 0, 1)


def wood(rng: np.random.Generator, x: Array, y: Array, base: tuple[int, int, int]) -> Array:
    warp = value_noise(rng, (6, 4), (x.shape[1], x.shape[0]))
    rings = np.sin((y * 38 + warp * 6 + 0.4 * np.sin(x * 7)) * np.pi) * 0.5 + 0.5
    fine = value_noise(rng, (120, 8), (x.shape[1], x.shape[0]))
    shade = 0.78 + 0.16 * rings**3 + 0.1 * fine
    return np.array(base, np.float32) * shade[..., None]


def shade_cylinder(x: Array, left: float, right: float, colour: tuple[int, int, int]) -> Array:
    u = np.clip((x - left) / (right - left), 0, 1)
    light = 0.55 + 0.5 * np.clip(np.sin(u * np.pi), 0, 1) ** 0.7 - 0.25 * u
    highlight = np.exp(-(((u - 0.3) / 0.05) ** 2)) * 0.55
    rgb = np.array(colour, np.float32) * light[..., None]
    return rgb + (255 - rgb) * highlight[..., None]


def shadow_blob(x: Array, y: Array, cx: float, cy: float, rx: float, ry: float) -> Array:
    d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
    return np.exp(-d * 2.2)


def cast_shadow(
    x: Array, y: Array, base: tuple[float, float], length: float, angle: float, width: float
) -> Array:
    """A shadow thrown sideways from ``base`` (light from the side): darkest and sharpest
    at the base, fading and widening along ``angle`` degrees (0 is to the right, 90 up)."""
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    dx, dy = (x - base[0]) * W / H, base[1] - y
    along, across = (c * dx + s * dy) / length, -s * dx + c * dy
    spread = width * (0.6 + along.clip(0, None))
    fade = np.exp(-2.0 * along.clip(0, None)) * np.clip(1 + 8 * along, 0, 1)
    return fade * np.exp(-((across / spread) ** 2))


def finish(
    name: str, bg: Array, shadow: Array, depth: float, items: list[tuple[Array, Array]], seed: int
) -> None:
    """Composite at supersampled size, reduce, add noise, save photo and mask."""
    rng = np.random.default_rng(seed)
    rgb = bg * (1 - depth * shadow)[..., None]
    alpha = np.zeros(bg.shape[:2], np.float32)
    for colour, a in items:
        rgb = rgb * (1 - a[..., None]) + colour * a[..., None]
        alpha = np.maximum(alpha, a)
    small = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).reduce(SS)
    photo = np.asarray(small, dtype=np.float32)
    photo = photo + rng.normal(0, 1.8, photo.shape) + rng.normal(0, 1.0, photo.shape[:2])[..., None]
    photo_im = Image.fromarray(np.clip(np.rint(photo), 0, 255).astype(np.uint8))
    truth = Image.fromarray((alpha * 255).astype(np.uint8)).reduce(SS)
    mask = Image.fromarray(((np.asarray(truth) >= 128) * 255).astype(np.uint8)).convert("1")
    photo_im.save(OUT / f"{name}.png", optimize=True)
    mask.save(OUT / f"{name}.mask.png", optimize=True)


def mug() -> None:
    x, y = grid()
    s = SS
    bg = vignette(vertical((250, 250, 248), (214, 214, 212), y, 1.4), x, y, 0.25)
    body = shape(lambda d: d.rounded_rectangle((110 * s, 60 * s, 200 * s, 190 * s), 8 * s, 255))

    def handle(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((176 * s, 85 * s, 240 * s, 165 * s), 255)
        d.ellipse((192 * s, 102 * s, 224 * s, 148 * s), 0)
        d.rectangle((110 * s, 60 * s, 199 * s, 190 * s), 0)

    ring = shape(handle)
    teal = shade_cylinder(x, 110 / W, 200 / W, (20, 128, 132))
    rim = shape(lambda d: d.ellipse((112 * s, 56 * s, 198 * s, 70 * s), 255))
    colour = np.where(rim[..., None] > 0, np.float32(236), teal)
    shadow = shadow_blob(x, y, 0.55, 0.8, 0.24, 0.05)
    finish("mug-white-sweep", bg, shadow, 0.45, [(colour, np.maximum(body, rim)), (teal, ring)], 1)


def bottle() -> None:
    x, y = grid()
    s = SS
    bg = vignette(vertical((178, 180, 184), (132, 134, 138), y), x, y, 0.3)

    def outline(d: ImageDraw.ImageDraw) -> None:
        d.rounded_rectangle((130 * s, 90 * s, 190 * s, 215 * s), 10 * s, 255)
        d.polygon(
            [(130 * s, 100 * s), (150 * s, 62 * s), (170 * s, 62 * s), (190 * s, 100 * s)], 255
        )
        d.rectangle((150 * s, 25 * s, 170 * s, 64 * s), 255)

    body = shape(outline)
    glass = shade_cylinder(x, 130 / W, 190 / W, (40, 58, 44))
    label = shape(lambda d: d.rectangle((130 * s, 125 * s, 190 * s, 180 * s), 255))
    paper = (
        np.full_like(glass, 240)
        * (0.82 + 0.18 * np.sin(np.clip((x - 0.4) / 0.19, 0, 1) * np.pi))[..., None]
    )
    colour = glass * (1 - label[..., None]) + paper * label[..., None]
    shadow = shadow_blob(x, y, 0.6, 0.9, 0.18, 0.04)
    finish("bottle-grey", bg, shadow, 0.5, [(colour, body)], 2)


def sneaker() -> None:
    x, y = grid()
    s = SS
    bg = vignette(vertical((236, 222, 200), (214, 196, 170), y), x, y, 0.35)
    upper = [(60, 150), (90, 95), (140, 80), (170, 105), (215, 120), (265, 140), (270, 165)]
    sole = [(55, 165), (275, 165), (272, 182), (62, 184)]

    def outline(d: ImageDraw.ImageDraw) -> None:
        d.polygon([(a * s, b * s) for a, b in [*upper, (60, 168)]], 255)

    top = blur(shape(outline), 6)
    top = (top > 0.5).astype(np.float32)
    sole_m = shape(lambda d: d.polygon([(a * s, b * s) for a, b in sole], 255))
    red = np.array((196, 38, 44), np.float32) * (0.75 + 0.35 * (1 - y) ** 2)[..., None]
    white = np.full(red.shape, 244, np.float32) * (0.9 + 0.1 * x)[..., None]
    shadow = shadow_blob(x, y, 0.52, 0.77, 0.4, 0.05)
    finish("sneaker-warm", bg, shadow, 0.4, [(red, top), (white, sole_m)], 3)


def box() -> None:
    x, y = grid()
    s = SS
    bg = vertical((242, 236, 224), (226, 219, 204), y)
    front = shape(
        lambda d: d.polygon(
            [(90 * s, 95 * s), (190 * s, 110 * s), (190 * s, 205 * s), (90 * s, 190 * s)], 255
        )
    )
    side = shape(
        lambda d: d.polygon(
            [(190 * s, 110 * s), (245 * s, 90 * s), (245 * s, 180 * s), (190 * s, 205 * s)], 255
        )
    )
    lid = shape(
        lambda d: d.polygon(
            [(90 * s, 95 * s), (150 * s, 75 * s), (245 * s, 90 * s), (190 * s, 110 * s)], 255
        )
    )
    cream = np.array((236, 226, 206), np.float32)
    shadow = shadow_blob(x, y, 0.6, 0.83, 0.3, 0.06)
    items = [
        (cream * 0.93 * np.ones_like(bg), front),
        (cream * 0.8 * np.ones_like(bg), side),
        (np.minimum(cream * 1.04, 255) * np.ones_like(bg), lid),
    ]
    finish("box-lowcontrast", bg, shadow, 0.3, items, 4)


def ball() -> None:
    x, y = grid()
    s = SS
    t = np.clip((x * 0.6 + y * 0.4), 0, 1)[..., None]
    bg = np.array((120, 170, 230), np.float32) * (1 - t) + np.array((178, 136, 214), np.float32) * t
    disc = shape(lambda d: d.ellipse((105 * s, 55 * s, 215 * s, 165 * s), 255))
    cx, cy, r = 160 / W, 110 / H, 55
    dx, dy = (x - cx) * W / r, (y - cy) * H / r
    nz = np.sqrt(np.clip(1 - dx**2 - dy**2, 0, 1))
    light = np.clip(-0.45 * dx - 0.55 * dy + 0.7 * nz, 0, 1)
    orange = np.array((240, 132, 30), np.float32) * (0.35 + 0.7 * light)[..., None]
    spec = (light**24)[..., None] * 200
    shadow = shadow_blob(x, y, 0.52, 0.76, 0.16, 0.04)
    finish("ball-gradient", bg, shadow, 0.45, [(np.minimum(orange + spec, 255), disc)], 5)


def lamp() -> None:
    x, y = grid()
    s = SS
    rng = np.random.default_rng(6)
    wall = vertical((226, 228, 222), (205, 208, 200), y)
    table = wood(rng, x, y, (176, 122, 78))
    surface = (y > 0.72)[..., None]
    bg = np.where(surface, table, wall)

    def outline(d: ImageDraw.ImageDraw) -> None:
        d.polygon(
            [(125 * s, 40 * s), (195 * s, 40 * s), (220 * s, 100 * s), (100 * s, 100 * s)], 255
        )
        d.rectangle((156 * s, 100 * s, 164 * s, 190 * s), 255)
        d.ellipse((125 * s, 182 * s, 195 * s, 198 * s), 255)

    silhouette = shape(outline)
    shade_c = shade_cylinder(x, 100 / W, 220 / W, (236, 214, 170))
    brass = shade_cylinder(x, 125 / W, 195 / W, (150, 112, 52))
    colour = np.where((y < 100 / H)[..., None], shade_c, brass)
    shadow = shadow_blob(x, y, 0.55, 0.8, 0.18, 0.03)
    finish("lamp-wood", bg, shadow, 0.5, [(colour, silhouette)], 6)


def watch() -> None:
    x, y = grid()
    s = SS
    rng = np.random.default_rng(7)
    weave = value_noise(rng, (240, 320), (W * SS, H * SS))
    bg = np.array((208, 204, 196), np.float32) * (0.9 + 0.14 * weave)[..., None]
    bg = vignette(bg, x, y, 0.3)
    strap = shape(lambda d: d.rectangle((140 * s, 10 * s, 180 * s, 230 * s), 255))
    case = shape(lambda d: d.ellipse((115 * s, 75 * s, 205 * s, 165 * s), 255))
    face = shape(lambda d: d.ellipse((123 * s, 83 * s, 197 * s, 157 * s), 255))
    leather = (
        np.array((92, 60, 40), np.float32)
        * (0.85 + 0.2 * value_noise(rng, (60, 8), (W * SS, H * SS)))[..., None]
    )
    steel = shade_cylinder(x, 115 / W, 205 / W, (190, 192, 198))
    dial = np.array((24, 30, 52), np.float32) * np.ones_like(bg)
    shadow = shadow_blob(x, y, 0.53, 0.53, 0.17, 0.5)
    items = [(leather, strap), (steel, case), (dial, face)]
    finish("watch-textured", bg, shadow, 0.25, items, 7)


def plant() -> None:
    x, y = grid()
    s = SS
    bg = vignette(vertical((246, 244, 238), (230, 226, 218), y), x, y, 0.55)
    pot = shape(
        lambda d: d.polygon(
            [(125 * s, 140 * s), (195 * s, 140 * s), (185 * s, 215 * s), (135 * s, 215 * s)], 255
        )
    )
    terracotta = shade_cylinder(x, 125 / W, 195 / W, (190, 98, 62))
    leaf_rng = np.random.default_rng(8)

    def leaves(d: ImageDraw.ImageDraw) -> None:
        for _ in range(9):
            cx, cy = leaf_rng.uniform(115, 205), leaf_rng.uniform(45, 130)
            rx, ry = leaf_rng.uniform(10, 22), leaf_rng.uniform(6, 11)
            d.ellipse(((cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s), 255)
            d.line(((cx * s, cy * s), (160 * s, 142 * s)), 255, width=3 * s)

    foliage = shape(leaves)
    green = (
        np.array((58, 128, 64), np.float32)
        * (0.7 + 0.45 * value_noise(leaf_rng, (12, 16), (W * SS, H * SS)))[..., None]
    )
    shadow = shadow_blob(x, y, 0.55, 0.9, 0.2, 0.03)
    finish("plant-vignette", bg, shadow, 0.45, [(green, foliage), (terracotta, pot)], 8)


def vase() -> None:
    """A white vase on a white sweep, lit from the left: its lit side is nearly backdrop
    white and its shadow falls sideways and up the sweep."""
    x, y = grid()
    s = SS
    bg = vignette(vertical((252, 252, 250), (226, 226, 223), y, 1.3), x, y, 0.2)

    def outline(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((112 * s, 92 * s, 184 * s, 206 * s), 255)
        d.rectangle((134 * s, 52 * s, 162 * s, 110 * s), 255)
        d.ellipse((128 * s, 46 * s, 168 * s, 60 * s), 255)
        d.rectangle((126 * s, 196 * s, 170 * s, 208 * s), 255)

    body = shape(outline)
    inside = body > 0.5
    columns = np.arange(body.shape[1], dtype=np.float32)[None, :]
    left = np.where(inside, columns, np.inf).min(axis=1, keepdims=True)
    right = np.where(inside, columns, -np.inf).max(axis=1, keepdims=True)
    u = np.clip((columns - left) / np.maximum(right - left, 1.0), 0, 1)  # across each row
    light = np.clip(1.0 - 0.3 * u**1.6 - 0.12 * (1 - np.sin(u * np.pi)) * u, 0, 1)
    porcelain = np.array((230, 229, 224), np.float32) * light[..., None]
    highlight = np.exp(-(((u - 0.22) / 0.06) ** 2)) * 0.8
    porcelain += (255 - porcelain) * highlight[..., None]
    contact = shadow_blob(x, y, 0.46, 0.86, 0.13, 0.025)
    side = cast_shadow(x, y, (0.5, 0.85), 0.6, 22, 0.035)
    shadow = np.maximum(contact, side)
    finish("vase-white-on-white", bg, shadow, 0.32, [(porcelain, body)], 9)


def camera() -> None:
    """A black camera on a charcoal backdrop: a dim rim light is all that separates them."""
    x, y = grid()
    s = SS
    bg = vignette(vertical((64, 64, 68), (38, 38, 42), y), x, y, 0.4)

    def outline(d: ImageDraw.ImageDraw) -> None:
        d.rounded_rectangle((82 * s, 92 * s, 238 * s, 186 * s), 12 * s, 255)
        d.rounded_rectangle((104 * s, 76 * s, 150 * s, 96 * s), 4 * s, 255)
        d.rectangle((186 * s, 82 * s, 214 * s, 94 * s), 255)

    body = shape(outline)
    lens = shape(lambda d: d.ellipse((128 * s, 104 * s, 204 * s, 180 * s), 255))
    glass = shape(lambda d: d.ellipse((146 * s, 122 * s, 186 * s, 162 * s), 255))
    rim = np.clip(1 - (y - 76 / H) / (30 / H), 0, 1) ** 2
    black = (
        np.array((26, 26, 28), np.float32)
        + np.array((70, 70, 74), np.float32) * (0.6 * rim)[..., None]
    )
    ring = np.array((44, 44, 48), np.float32) * (0.8 + 0.4 * (1 - y))[..., None]
    dx, dy = x - 160 / W, y - 136 / H
    blue = (
        np.array((18, 24, 52), np.float32)
        + 190 * np.exp(-(((dx + 0.02) / 0.012) ** 2 + ((dy + 0.03) / 0.016) ** 2))[..., None]
    )
    shadow = shadow_blob(x, y, 0.5, 0.79, 0.3, 0.04)
    items = [(black, body), (ring, lens), (blue, glass)]
    finish("camera-dark-on-dark", bg, shadow, 0.5, items, 10)


def kettle() -> None:
    """A glossy red kettle on light grey: softbox reflections run off its edges and show
    the backdrop's own white."""
    x, y = grid()
    s = SS
    bg = vignette(vertical((238, 238, 240), (214, 214, 218), y), x, y, 0.3)

    def outline(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((96 * s, 78 * s, 216 * s, 200 * s), 255)
        d.rectangle((112 * s, 180 * s, 200 * s, 198 * s), 255)
        d.polygon(
            [(204 * s, 130 * s), (252 * s, 98 * s), (258 * s, 104 * s), (212 * s, 160 * s)], 255
        )
        d.ellipse((146 * s, 64 * s, 166 * s, 82 * s), 255)

    body = shape(outline)
    cx, cy, r = 156 / W, 139 / H, 60
    dx, dy = (x - cx) * W / r, (y - cy) * H / r
    nz = np.sqrt(np.clip(1 - dx**2 - dy**2, 0, 1))
    light = np.clip(-0.35 * dx - 0.45 * dy + 0.75 * nz, 0.15, 1)
    red = np.array((188, 22, 30), np.float32) * (0.35 + 0.75 * light)[..., None]
    softbox = np.exp(-(((dx + 0.94) / 0.09) ** 2)) * (np.abs(dy) < 0.6)
    window = np.exp(-(((dx - 0.5) / 0.1) ** 2 + ((dy + 0.82) / 0.09) ** 2))
    spout_glint = np.exp(-(((x - 244 / W) / 0.012) ** 2 + ((y - 106 / H) / 0.012) ** 2))
    shine = np.clip(softbox + window + spout_glint, 0, 1)[..., None]
    gloss = red + (np.float32(246) - red) * shine
    shadow = shadow_blob(x, y, 0.5, 0.84, 0.22, 0.035)
    finish("kettle-glossy", bg, shadow, 0.45, [(gloss, body)], 11)


def tote() -> None:
    """A tan leather tote on a cool grey sweep: the backdrop shows through both handles."""
    x, y = grid()
    s = SS
    bg = vignette(vertical((226, 230, 236), (196, 202, 210), y, 1.2), x, y, 0.3)
    bag = shape(
        lambda d: d.polygon(
            [(100 * s, 112 * s), (220 * s, 112 * s), (236 * s, 206 * s), (84 * s, 206 * s)], 255
        )
    )

    def handles(d: ImageDraw.ImageDraw) -> None:
        d.arc((112 * s, 40 * s, 168 * s, 170 * s), 180, 360, 255, width=5 * s)
        d.arc((152 * s, 34 * s, 208 * s, 172 * s), 180, 360, 255, width=5 * s)

    straps = shape(handles) * (y < 116 / H)
    rng = np.random.default_rng(12)
    grain = value_noise(rng, (80, 100), (W * SS, H * SS))
    leather = (
        np.array((176, 118, 70), np.float32)
        * (0.8 + 0.12 * grain + 0.12 * (1 - y) - 0.08 * x)[..., None]
    )
    seam = shape(lambda d: d.line(((92 * s, 196 * s), (228 * s, 196 * s)), 255, width=2 * s))
    leather = leather * (1 - 0.25 * seam[..., None])
    strap_c = np.array((150, 96, 56), np.float32) * np.ones_like(bg)
    shadow = shadow_blob(x, y, 0.5, 0.87, 0.3, 0.03)
    finish("tote-handles", bg, shadow, 0.4, [(strap_c, straps), (leather, bag)], 12)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for scene in (mug, bottle, sneaker, box, ball, lamp, watch, plant, vase, camera, kettle, tote):
        scene()


if __name__ == "__main__":
    main()
