"""Reframing an already generated picture into another format, without any AI."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from adapters.imaging.reframe import PillowReframer, reframe
from core import messages
from core.errors import BadInput
from core.imaging import RenderedImage
from core.templates import Catalog
from tests.adapters.imaging.photos import encode, product_photo


def decoded(image: RenderedImage) -> np.ndarray:
    with Image.open(io.BytesIO(image.data)) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


@pytest.mark.parametrize("fmt", ["story", "landscape", "marketplace"])
async def test_a_picture_is_reframed_to_the_exact_size(catalog: Catalog, fmt: str) -> None:
    original = RenderedImage(data=encode(product_photo(400, 400)), width=400, height=400)
    out = await reframe(original, catalog.formats[fmt])
    wanted = catalog.formats[fmt]
    assert (out.width, out.height) == (wanted.width, wanted.height)
    assert decoded(out).shape == (wanted.height, wanted.width, 3)


async def test_the_new_margins_continue_the_pictures_edges(catalog: Catalog) -> None:
    picture = np.zeros((300, 300, 3), np.uint8)
    picture[:] = (40, 90, 200)  # blue all over, a red square in the middle
    picture[100:200, 100:200] = (220, 30, 30)
    out = decoded(
        await PillowReframer().reframe(encode(Image.fromarray(picture)), catalog.formats["story"])
    )
    top_margin = out[:300].reshape(-1, 3).mean(axis=0)
    assert np.abs(top_margin - (40, 90, 200)).max() < 25, "blue, not black or grey"
    assert out[960, 540].tolist()[0] > 180, "the red square is still in the middle"


async def test_the_same_shape_is_only_resized(catalog: Catalog) -> None:
    picture = product_photo(540, 540)
    out = decoded(await reframe(encode(picture), catalog.formats["square"]))
    small = np.asarray(Image.fromarray(out).resize((540, 540), Image.Resampling.BOX), np.float32)
    assert np.abs(small - np.asarray(picture, np.float32)).mean() < 4


async def test_bytes_that_are_not_a_picture_are_refused(catalog: Catalog) -> None:
    with pytest.raises(BadInput) as caught:
        await reframe(b"GIF89a not really", catalog.formats["square"])
    assert caught.value.message == messages.IMAGE_NOT_SUPPORTED
