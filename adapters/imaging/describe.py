"""Offline ``/describe``: a generation prompt from the photo's own colours and the page's words."""

from __future__ import annotations

import asyncio
import re

import cv2
import numpy as np

from adapters.imaging import colours
from adapters.imaging.cutout import flood
from adapters.imaging.decode import source_pixels
from core import messages
from core.errors import BadInput
from core.imaging import Product, SourceImage

Array = np.ndarray

ANALYSIS_SIDE = 320
OBJECTS = (
    "mug",
    "cup",
    "bottle",
    "jar",
    "vase",
    "candle",
    "lamp",
    "chair",
    "table",
    "sofa",
    "stool",
    "bag",
    "backpack",
    "wallet",
    "purse",
    "shoe",
    "shoes",
    "sneaker",
    "sneakers",
    "boot",
    "boots",
    "sandal",
    "watch",
    "ring",
    "necklace",
    "bracelet",
    "earrings",
    "sunglasses",
    "glasses",
    "hat",
    "cap",
    "shirt",
    "t-shirt",
    "hoodie",
    "sweater",
    "jacket",
    "dress",
    "scarf",
    "sock",
    "socks",
    "headphones",
    "earbuds",
    "speaker",
    "phone",
    "case",
    "laptop",
    "keyboard",
    "mouse",
    "camera",
    "toy",
    "book",
    "notebook",
    "pen",
    "plate",
    "bowl",
    "teapot",
    "kettle",
    "pan",
    "knife",
    "cushion",
    "pillow",
    "blanket",
    "towel",
    "tumbler",
    "flask",
    "pot",
    "planter",
    "clock",
    "frame",
    "basket",
    "box",
    "tin",
    "tube",
    "can",
    "pouch",
    "bar",
)
CONTENTS = (
    "soap",
    "serum",
    "cream",
    "lotion",
    "perfume",
    "lipstick",
    "shampoo",
    "tea",
    "coffee",
    "chocolate",
    "oil",
    "wine",
    "beer",
    "juice",
    "sauce",
    "honey",
    "candy",
)
MATERIALS = (
    "ceramic",
    "porcelain",
    "stoneware",
    "glass",
    "leather",
    "wooden",
    "wood",
    "oak",
    "walnut",
    "bamboo",
    "steel",
    "stainless",
    "brass",
    "copper",
    "silver",
    "gold",
    "cotton",
    "linen",
    "wool",
    "cashmere",
    "silk",
    "denim",
    "canvas",
    "rattan",
    "marble",
    "concrete",
    "plastic",
    "velvet",
    "suede",
    "enamel",
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z\-]+", text.lower())


def product_kind(product: Product | None) -> str:
    """The thing itself ("mug"): an object word from the name or description, else what it
    holds, else the name's last word."""
    if product is None:
        return ""
    for vocabulary in (OBJECTS, CONTENTS):  # "olive oil in a glass bottle" is a bottle
        for text in (product.name, product.description):
            found = [word for word in _words(text) if word in vocabulary]
            if found:
                return found[-1]
    last = _words(product.name)
    return last[-1] if last and len(last[-1]) > 2 else ""


def material(product: Product | None) -> str:
    if product is None:
        return ""
    name = set(_words(product.name))
    for word in _words(f"{product.name} {product.description}"):
        if word in MATERIALS and word not in name:
            return word
    return ""


def colours_in_text(product: Product | None) -> list[str]:
    if product is None:
        return []
    text = f" {product.name} {product.description} ".lower()
    return [name for name in colours.NAMED if f" {name} " in text][:2]


def _analyse(data: bytes) -> tuple[list[str], bool, str, bool]:
    """Colour names, gloss, shape word and transparency of the product in a photo."""
    pixels = source_pixels(data, budget=4 * ANALYSIS_SIDE * ANALYSIS_SIDE)
    transparent = pixels.shape[2] == 4
    height, width = pixels.shape[:2]
    k = min(1.0, ANALYSIS_SIDE / max(height, width))
    size = (max(1, round(width * k)), max(1, round(height * k)))
    small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA) if k < 1 else pixels
    rgb = np.ascontiguousarray(small[..., :3])
    if transparent:
        mask = small[..., 3] > 128
    else:
        seg = flood(rgb)
        mask = seg.mask if seg is not None else np.ones(rgb.shape[:2], bool)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return [], False, "", transparent
    aspect = (ys.max() - ys.min() + 1) / (xs.max() - xs.min() + 1)
    shape = "tall" if aspect > 1.35 else "wide" if aspect < 0.74 else ""
    names = [swatch.name for swatch in colours.dominant(rgb, mask)]
    return names, colours.glossy(rgb, mask), shape, transparent


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def write_prompt(
    product: Product | None, names: list[str], gloss: bool, shape: str, transparent: bool
) -> str:
    """The prompt itself, from what was found; plain, specific, ready to paste."""
    kind = product_kind(product) or "product"
    look = " ".join(
        part for part in ("glossy" if gloss else "", _join(names), material(product), kind) if part
    )
    subject = _article(look)
    if product is not None and product.name.strip():
        title = product.name.strip()
        brand = product.brand.strip()
        if brand and not title.lower().startswith(brand.lower()):
            title = f"{brand} {title}"
        subject = f"the {title}, {subject}"
    framing = {
        "tall": "standing upright in a vertical composition",
        "wide": "shown in a wide, low composition",
    }.get(shape, "centred in the frame")
    source = " faithful to the supplied cut-out" if transparent else ""
    return (
        f"Studio product photo of {subject}, {framing}{source}, on a clean seamless backdrop "
        "with soft diffused light and a gentle contact shadow, crisp focus, true-to-life "
        "colours, commercial e-commerce style."
    )


class StudioDescriber:
    """Describes a product without any AI: its photo's colours and shape, its page's words."""

    async def describe(self, source: SourceImage | None, product: Product | None) -> str:
        if source is None and product is None:
            raise BadInput(messages.DESCRIBE_NEEDS_SOURCE)
        names: list[str] = []
        gloss, shape, transparent = False, "", False
        if source is not None:
            names, gloss, shape, transparent = await asyncio.to_thread(_analyse, source.data)
        if not names:
            names = colours_in_text(product)
        return write_prompt(product, names, gloss, shape, transparent)
