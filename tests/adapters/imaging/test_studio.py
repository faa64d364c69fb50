"""The offline studio provider, end to end from a decoded photo to finished PNGs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from adapters.imaging.compose import png
from adapters.imaging.decode import PillowDecoder
from adapters.imaging.studio import StudioProvider
from core import messages
from core.errors import BadInput
from core.imaging import Product, RenderedImage, RenderSpec, SourceImage
from core.templates import Catalog, Format
from tests.adapters.imaging.photos import cutout_png, encode

PRODUCT = Product(name="Acme Ceramic Bottle", brand="Acme", price="24.90", currency="USD")


THUMB = Format(name="thumb", width=400, height=300, fill=0.7)  # quick, for looks not sizes


def spec(
    catalog: Catalog,
    source: SourceImage | None,
    template: str = "studio-white",
    fmt: str | Format | None = None,
    product: Product | None = None,
    seed: int = 3,
) -> RenderSpec:
    chosen = catalog.template(template)
    return RenderSpec(
        prompt="",
        template=chosen,
        format=fmt if isinstance(fmt, Format) else catalog.format(fmt, chosen),
        source=source,
        product=product,
        seed=seed,
    )


def pixels(image: RenderedImage) -> np.ndarray:
    with Image.open(io.BytesIO(image.data)) as im:
        assert im.format == "PNG"
        assert im.size == (image.width, image.height)
        return np.asarray(im.convert("RGB"))


async def test_the_studio_declares_itself(catalog: Catalog) -> None:
    studio = StudioProvider(cost=3)
    assert studio.name == "studio"
    assert studio.supports_prompt_only is False
    assert studio.cost_per_image() == 3
    assert StudioProvider().cost_per_image() == 1


@pytest.mark.parametrize("fmt", ["square", "portrait", "story", "landscape", "marketplace"])
async def test_every_format_comes_out_at_its_exact_size(
    catalog: Catalog, photo: SourceImage, fmt: str
) -> None:
    [image] = await StudioProvider().render(spec(catalog, photo, "studio-grey", fmt), 1)
    wanted = catalog.formats[fmt]
    assert (image.width, image.height) == (wanted.width, wanted.height)
    assert image.content_type == "image/png"
    assert pixels(image).shape == (wanted.height, wanted.width, 3)


async def test_every_template_renders(catalog: Catalog, photo: SourceImage) -> None:
    studio = StudioProvider()
    for name in catalog.templates:
        [image] = await studio.render(spec(catalog, photo, name, THUMB, PRODUCT), 1)
        assert pixels(image).std() > 5, name


async def test_the_marketplace_frame_is_pure_white_with_the_product_at_85_percent(
    catalog: Catalog, photo: SourceImage
) -> None:
    [image] = await StudioProvider().render(spec(catalog, photo, fmt="marketplace"), 1)
    out = pixels(image)
    frame = np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]])
    assert (frame == 255).all()
    rows = np.nonzero((out.min(axis=2) < 150).any(axis=1))[0]  # the teal bottle, not its shadow
    assert 0.82 <= (rows[-1] - rows[0] + 1) / 2000 <= 0.88
    below = out[rows[-1] + 2 : rows[-1] + 30, 900:1100]
    assert below.min() < 245, "a soft contact shadow under the product"
    assert (out[rows[-1] + 150 :] == 255).all(), "the shadow fades out well before the frame"


async def test_the_cut_out_leaves_the_old_background_behind(
    catalog: Catalog, photo: SourceImage
) -> None:
    [image] = await StudioProvider().render(spec(catalog, photo, fmt="marketplace"), 1)
    out = pixels(image).astype(int)
    rows = np.nonzero((out.min(axis=2) < 150).any(axis=1))[0]
    cols = np.nonzero((out.min(axis=2) < 150).any(axis=0))[0]
    # Beside the bottle's neck the photo's grey sweep would show if the cut-out were loose.
    beside_neck = out[rows[0] + 40 : rows[0] + 200, cols[0] : cols[0] + 120]
    assert (beside_neck.min(axis=2) > 240).mean() > 0.95


async def test_a_photo_with_real_transparency_keeps_its_own_outline(
    catalog: Catalog, decoder: PillowDecoder
) -> None:
    source = await decoder.load(cutout_png())
    assert source.has_alpha
    [image] = await StudioProvider().render(spec(catalog, source, fmt="marketplace"), 1)
    out = pixels(image).astype(int)
    orange = (out[..., 0] > 200) & (out[..., 1] > 100) & (out[..., 1] < 160) & (out[..., 2] < 80)
    ys, xs = np.nonzero(orange)
    assert len(xs) > 100_000
    # The disc's corners of its bounding box were transparent: they show the white studio.
    assert out[ys.min() + 5, xs.min() + 5].min() > 240
    assert out[ys.min() + 5, xs.max() - 5].min() > 240


async def test_the_same_spec_and_seed_give_the_same_bytes(
    catalog: Catalog, photo: SourceImage
) -> None:
    studio = StudioProvider()
    first = await studio.render(spec(catalog, photo, "marble", THUMB, seed=11), 2)
    again = await studio.render(spec(catalog, photo, "marble", THUMB, seed=11), 2)
    other = await studio.render(spec(catalog, photo, "marble", THUMB, seed=12), 1)
    assert [i.data for i in first] == [i.data for i in again]
    assert first[0].data != first[1].data, "variants of one request differ"
    assert other[0].data != first[0].data, "another seed gives another picture"


async def test_the_headline_prints_the_product_when_there_is_one(
    catalog: Catalog, photo: SourceImage
) -> None:
    studio = StudioProvider()
    [titled] = await studio.render(spec(catalog, photo, "sale-banner", "square", PRODUCT), 1)
    [plain] = await studio.render(spec(catalog, photo, "sale-banner", "square"), 1)
    titled_px, plain_px = pixels(titled).astype(int), pixels(plain).astype(int)
    banner = titled_px[:200]
    red = (abs(banner - np.array([215, 38, 61])).max(axis=2) < 8).mean()
    white = (banner.min(axis=2) > 245).mean()
    assert red > 0.6 and white > 0.03, "a red banner with white lettering"
    assert np.abs(titled_px[:200] - plain_px[:200]).mean() > 40


async def test_the_price_tag_shows_name_and_price(catalog: Catalog, photo: SourceImage) -> None:
    studio = StudioProvider()
    [titled] = await studio.render(spec(catalog, photo, "price-tag", "portrait", PRODUCT), 1)
    [plain] = await studio.render(spec(catalog, photo, "price-tag", "portrait"), 1)
    titled_px, plain_px = pixels(titled).astype(int), pixels(plain).astype(int)
    caption = titled_px[-150:]
    assert (caption.max(axis=2) < 90).mean() > 0.02, "dark lettering along the bottom"
    assert np.abs(titled_px[:300, 600:] - plain_px[:300, 600:]).max() > 100, "a tag up right"


async def test_prompt_only_requests_are_refused_naming_the_setting(catalog: Catalog) -> None:
    with pytest.raises(BadInput) as caught:
        await StudioProvider().render(spec(catalog, None), 1)
    assert caught.value.message == messages.PROMPT_ONLY_NEEDS_AI
    assert "AIOE_PROVIDER" in caught.value.message


@pytest.mark.parametrize("kind", ["blank", "busy"])
async def test_a_photo_without_a_product_is_refused(
    catalog: Catalog, decoder: PillowDecoder, kind: str
) -> None:
    rng = np.random.default_rng(1)
    if kind == "blank":
        picture = np.full((300, 400, 3), 231, np.uint8)
    else:  # a full-bleed scene: nothing plain to separate from
        picture = (rng.random((30, 40, 3)) * 255).astype(np.uint8).repeat(10, 0).repeat(10, 1)
    source = await decoder.load(encode(Image.fromarray(picture)))
    with pytest.raises(BadInput) as caught:
        await StudioProvider().render(spec(catalog, source), 1)
    assert caught.value.message == messages.IMAGE_NO_PRODUCT


def test_the_png_holds_every_pixel_and_is_the_same_each_time() -> None:
    rng = np.random.default_rng(5)
    pixels = np.full((300, 400, 3), 255, np.uint8)
    pixels[50:250, 100:300] = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    data = png(image)
    assert data == png(image)
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.format == "PNG" and decoded.mode == "RGB"
        assert np.array_equal(np.asarray(decoded), pixels)
