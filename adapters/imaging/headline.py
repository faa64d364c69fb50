"""Headlines for sale templates: the product's name and price, fitted to the frame."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from adapters.imaging.backgrounds import colour
from core.imaging import Product
from core.templates import Format

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
DOLLARS = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}
MIN_SIZE = 14


@lru_cache(maxsize=64)
def font(size: int) -> Font:
    """Pillow's bundled scalable font (Aileron) at ``size`` px."""
    return ImageFont.load_default(size=size)


def _render(ch: str) -> bytes:
    image = Image.new("L", (48, 48))
    ImageDraw.Draw(image).text((8, 4), ch, font=font(32), fill=255)
    return image.tobytes()


@lru_cache(maxsize=1024)
def _has_glyph(ch: str) -> bool:
    return ch.isspace() or _render(ch) != _render("\uffff")


def printable(text: str) -> str:
    """The text without characters the bundled font cannot draw, whitespace collapsed."""
    kept = "".join(ch for ch in text if _has_glyph(ch))
    return " ".join(kept.split())


def price_parts(product: Product) -> tuple[str, str]:
    """The amount as printed and the currency code under it: ``("$24.90", "")`` for dollar
    currencies, ``("24.90", "EUR")`` otherwise (the bundled font has no € or £)."""
    price = printable(product.price)
    if not price:
        return "", ""
    code = printable(product.currency).upper()
    if code in DOLLARS:
        return (f"${price}" if code == "USD" else f"{code[:2]}${price}"), ""
    return price, code


def price_text(product: Product) -> str:
    return " ".join(part for part in price_parts(product) if part)


def name_text(product: Product) -> str:
    name = printable(product.name)
    brand = printable(product.brand)
    if brand and not name.lower().startswith(brand.lower()):
        name = f"{brand} {name}"
    return name


def _width(text: str, size: int) -> int:
    left, _, right, _ = font(size).getbbox(text, stroke_width=_stroke(size))
    return int(right - left)


def _stroke(size: int) -> int:
    return max(0, size // 28)  # a touch of stroke makes the regular face read as bold


def fit(text: str, max_width: float, max_size: int) -> int:
    """The largest font size (at most ``max_size``) at which ``text`` fits ``max_width``."""
    low, high = MIN_SIZE, max(MIN_SIZE, max_size)
    if _width(text, low) > max_width:
        return low
    while low < high:
        mid = (low + high + 1) // 2
        if _width(text, mid) <= max_width:
            low = mid
        else:
            high = mid - 1
    return low


def lines_for(text: str, max_width: float, max_size: int) -> tuple[list[str], int]:
    """One line if it stays large enough, else two balanced lines; ellipsis if still too long."""
    size = fit(text, max_width, max_size)
    words = text.split()
    if size >= max_size * 0.6 or len(words) < 2:
        return [_ellipsize(text, max_width, size)], size
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) * 2 - len(text)))
    pair = [" ".join(words[:best]), " ".join(words[best:])]
    two = min(fit(line, max_width, round(max_size * 0.72)) for line in pair)
    if two <= size:
        return [_ellipsize(text, max_width, size)], size
    return [_ellipsize(line, max_width, two) for line in pair], two


def _ellipsize(text: str, max_width: float, size: int) -> str:
    if _width(text, size) <= max_width:
        return text
    while len(text) > 1 and _width(text + "…", size) > max_width:
        text = text[:-1].rstrip()
    return text + "…"


def _draw_lines(
    draw: ImageDraw.ImageDraw, lines: list[str], size: int, centre: tuple[float, float], fill: Any
) -> None:
    gap = round(size * 0.18)
    heights = [font(size).getbbox(line, stroke_width=_stroke(size)) for line in lines]
    total = sum(b[3] - b[1] for b in heights) + gap * (len(lines) - 1)
    y = centre[1] - total / 2.0
    for line, box in zip(lines, heights, strict=True):
        draw.text(
            (centre[0] - (box[2] - box[0]) / 2.0 - box[0], y - box[1]),
            line,
            font=font(size),
            fill=fill,
            stroke_width=_stroke(size),
            stroke_fill=fill,
        )
        y += box[3] - box[1] + gap


@dataclass(frozen=True, slots=True)
class Reserve:
    """Rows kept free of the product for text."""

    top: int = 0
    bottom: int = 0


def reserve(recipe: Mapping[str, Any], fmt: Format) -> Reserve:
    short = min(fmt.width, fmt.height)
    if recipe.get("style") == "tag":
        return Reserve(bottom=round(0.14 * short + 0.03 * fmt.height))
    return Reserve(top=round(0.2 * short + 0.04 * fmt.height))


def draw(image: Image.Image, product: Product, recipe: Mapping[str, Any], fmt: Format) -> None:
    """Print name and price on a composed picture, in the template's style."""
    if recipe.get("style") == "tag":
        _tag(image, product, recipe, fmt)
    else:
        _banner(image, product, recipe, fmt)


def _banner(image: Image.Image, product: Product, recipe: Mapping[str, Any], fmt: Format) -> None:
    space = reserve(recipe, fmt)
    draw_ = ImageDraw.Draw(image)
    draw_.rectangle((0, 0, fmt.width, space.top), fill=colour(recipe.get("banner"), "#d7263d"))
    lines, size = lines_for(name_text(product), fmt.width * 0.86, round(space.top * 0.42))
    text_colour = colour(recipe.get("banner_text"), "#ffffff")
    _draw_lines(draw_, lines, size, (fmt.width / 2.0, space.top / 2.0), text_colour)
    amount, code = price_parts(product)
    if not amount:
        return
    short = min(fmt.width, fmt.height)
    radius = round(0.12 * short)
    cx, cy = fmt.width - radius - round(0.05 * fmt.width), space.top + radius * 0.85
    draw_.ellipse(
        (cx - radius, cy - radius, cx + radius, cy + radius),
        fill=colour(recipe.get("accent"), "#ffd23f"),
    )
    ink = colour(recipe.get("accent_text"), "#1d1d1f")
    size = fit(amount, radius * 1.55, round(radius * 0.62))
    if not code:
        _draw_lines(draw_, [amount], size, (cx, cy), ink)
        return
    _draw_lines(draw_, [amount], size, (cx, cy - radius * 0.12), ink)
    small = fit(code, radius * 0.9, round(size * 0.5))
    _draw_lines(draw_, [code], small, (cx, cy + radius * 0.42), ink)


def _tag(image: Image.Image, product: Product, recipe: Mapping[str, Any], fmt: Format) -> None:
    space = reserve(recipe, fmt)
    draw_ = ImageDraw.Draw(image)
    caption = colour(recipe.get("caption"), "#3a3532")
    lines, size = lines_for(name_text(product), fmt.width * 0.84, round(space.bottom * 0.4))
    _draw_lines(draw_, lines, size, (fmt.width / 2.0, fmt.height - space.bottom / 2.0), caption)
    price = price_text(product)
    if not price:
        return
    short = min(fmt.width, fmt.height)
    tag_w, tag_h = round(0.34 * short), round(0.15 * short)
    layer = Image.new("RGBA", (tag_w + 8, tag_h + 8), (0, 0, 0, 0))
    ink = ImageDraw.Draw(layer)
    notch = tag_h // 2
    body = [
        (4 + notch, 4),
        (4 + tag_w, 4),
        (4 + tag_w, 4 + tag_h),
        (4 + notch, 4 + tag_h),
        (4, 4 + tag_h // 2),
    ]
    paper = (*colour(recipe.get("tag"), "#fffaf0"), 255)
    ink.polygon(body, fill=paper, outline=(*caption, 90), width=max(1, short // 400))
    hole = max(3, tag_h // 10)
    ink.ellipse(
        (
            4 + notch * 0.55 - hole,
            4 + tag_h / 2 - hole,
            4 + notch * 0.55 + hole,
            4 + tag_h / 2 + hole,
        ),
        fill=(0, 0, 0, 0),
    )
    price_size = fit(price, (tag_w - notch) * 0.82, round(tag_h * 0.55))
    _draw_lines(
        ink,
        [price],
        price_size,
        (4 + notch + (tag_w - notch) / 2.0, 4 + tag_h / 2.0),
        colour(recipe.get("tag_text"), "#1d1d1f"),
    )
    angle = -8.0
    turned = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    x = fmt.width - turned.width - round(0.06 * fmt.width)
    y = round(0.06 * fmt.height)
    # Where the hole went: rotate its offset from the layer's centre like Pillow did.
    dx, dy = 4 + notch * 0.55 - layer.width / 2.0, 4 + tag_h / 2.0 - layer.height / 2.0
    turn = math.radians(angle)
    hole_x = x + turned.width / 2.0 + dx * math.cos(turn) + dy * math.sin(turn)
    hole_y = y + turned.height / 2.0 - dx * math.sin(turn) + dy * math.cos(turn)
    draw_.line(
        (hole_x, 0, hole_x, hole_y),
        fill=colour(recipe.get("string"), "#a0714f"),
        width=max(2, short // 300),
    )
    image.paste(turned, (x, y), turned)
