"""The offline describer: a usable prompt from the photo's colours and the page's words."""

from __future__ import annotations

import pytest
from PIL import Image

from adapters.imaging.decode import PillowDecoder
from adapters.imaging.describe import StudioDescriber, product_kind
from core import messages
from core.errors import BadInput
from core.imaging import Product, SourceImage
from tests.adapters.imaging.photos import cutout_png, encode


async def test_the_prompt_names_the_product_and_its_colours(photo: SourceImage) -> None:
    product = Product(name="Ceramic Bottle", brand="Acme", description="A glazed bottle")
    prompt = await StudioDescriber().describe(photo, product)
    assert "the Acme Ceramic Bottle" in prompt
    assert "teal" in prompt and "white" in prompt
    assert "bottle" in prompt.split("Bottle,", 1)[1]
    assert "upright" in prompt


async def test_a_photo_alone_is_described_by_its_colours(decoder: PillowDecoder) -> None:
    source = await decoder.load(cutout_png())
    prompt = await StudioDescriber().describe(source, None)
    assert prompt.startswith("Studio product photo of ")
    assert "orange" in prompt


async def test_a_page_alone_is_described_from_its_words() -> None:
    product = Product(name="Acme Travel Mug", description="Navy stainless tumbler, 350 ml")
    prompt = await StudioDescriber().describe(None, product)
    assert "the Acme Travel Mug" in prompt and "navy" in prompt and "stainless" in prompt


async def test_a_plain_grey_picture_still_gets_a_prompt(decoder: PillowDecoder) -> None:
    source = await decoder.load(encode(Image.new("RGB", (200, 200), (128, 128, 128))))
    prompt = await StudioDescriber().describe(source, None)
    assert "grey" in prompt


async def test_nothing_to_describe_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        await StudioDescriber().describe(None, None)
    assert caught.value.message == messages.DESCRIBE_NEEDS_SOURCE


def test_the_kind_of_product_prefers_the_object_to_what_it_holds() -> None:
    oil = Product(name="Ruby Reserve Olive Oil", description="Cold-pressed, in a glass bottle")
    assert product_kind(oil) == "bottle"
    assert product_kind(Product(name="Acme Ceramic Mug")) == "mug"
    assert product_kind(Product(name="Cold Brew Coffee")) == "coffee"
