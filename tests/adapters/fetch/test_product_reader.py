"""The product-page reader against local shops."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest
from PIL import Image

from adapters.fetch.product import PageProductReader
from core import messages
from core.errors import BadInput
from core.imaging import Product
from tests.adapters.fetch import pages
from tests.adapters.fetch.conftest import MakeFetcher
from tests.fakes import shop

Read = Callable[[dict[str, pages.Page], str], Awaitable[tuple[Product, str]]]


@pytest.fixture
def read(make_fetcher: MakeFetcher) -> Read:
    """Serve some pages, read one of them; returns the product and the server's base URL."""

    async def run(served: dict[str, pages.Page], path: str) -> tuple[Product, str]:
        async with pages.serve_pages(served) as (base, port):
            fetcher = make_fetcher(allow=frozenset({("127.0.0.1", port)}))
            return await PageProductReader(fetcher).read(base + path), base

    return run


async def test_the_shop_page_reads_as_the_mug_with_its_photo(make_fetcher: MakeFetcher) -> None:
    async with shop.serve_shop() as (base, port):
        fetcher = make_fetcher(allow=frozenset({("127.0.0.1", port)}))
        product = await PageProductReader(fetcher).read(base + shop.PRODUCT_PATH)
        photo = await fetcher.fetch_image(product.image_urls[0])
    assert product == Product(
        name=shop.PRODUCT_NAME,
        brand=shop.BRAND,
        description=shop.DESCRIPTION,
        price="24.90",
        currency="EUR",
        url=base + shop.PRODUCT_PATH,
        image_urls=(base + shop.IMAGE_PATH,),
    )
    with Image.open(io.BytesIO(photo.body)) as image:
        assert (image.format, image.size) == ("PNG", (800, 800))
        assert image.getpixel((400, 450)) == shop.TEAL


async def test_a_broken_block_does_not_hide_a_good_product_block(read: Read) -> None:
    product, base = await read({"/bowl": pages.html_page(pages.BROKEN_THEN_GOOD)}, "/bowl")
    assert (product.name, product.brand, product.price, product.currency) == (
        "Stoneware Bowl",
        "Kiln & Co",
        "18.00",
        "EUR",
    )
    assert product.image_urls == (f"{base}/img/bowl.jpg",)


async def test_a_product_block_with_comments_trailing_commas_and_a_semicolon_is_read(
    read: Read,
) -> None:
    product, base = await read({"/carafe": pages.html_page(pages.SEMICOLON_PRODUCT)}, "/carafe")
    assert (product.name, product.price, product.currency) == ("Glass Carafe", "32.00", "USD")
    assert product.image_urls == (f"{base}/img/carafe.jpg",)


async def test_a_product_inside_a_graph_follows_its_offer_reference(read: Read) -> None:
    product, base = await read({"/lamp": pages.jsonld_page(pages.GRAPH)}, "/lamp")
    assert product == Product(
        name="Graph Lamp",
        brand="Lumen",
        description="A brass desk lamp & its linen shade.",
        price="89.00",
        currency="GBP",
        url=f"{base}/lamp",
        image_urls=(f"{base}/img/lamp.jpg",),
    )


async def test_an_aggregate_offer_gives_its_lowest_price(read: Read) -> None:
    product, base = await read({"/tote": pages.jsonld_page(pages.AGGREGATE)}, "/tote")
    assert (product.name, product.brand, product.price, product.currency) == (
        "Cotton Tote",
        "Bagworks",
        "12.50",
        "USD",
    )
    hostport = base.removeprefix("http://")
    assert product.image_urls == (
        f"https://{hostport}/img/tote-front.jpg",
        f"{base}/img/tote-back.jpg",
    )


async def test_a_price_specification_inside_a_list_of_offers_is_found(read: Read) -> None:
    product, _ = await read({"/bowl": pages.jsonld_page(pages.PRICE_SPECIFICATION)}, "/bowl")
    assert (product.name, product.price, product.currency) == ("Tea Bowl", "4800", "JPY")


async def test_a_product_group_takes_price_and_images_from_its_variants(read: Read) -> None:
    product, base = await read({"/scarf": pages.jsonld_page(pages.PRODUCT_GROUP)}, "/scarf")
    assert (product.name, product.brand, product.price, product.currency) == (
        "Wool Scarf",
        "Fjell",
        "59.95",
        "SEK",
    )
    assert product.image_urls == (f"{base}/img/scarf-grey.jpg",)


async def test_opengraph_alone_is_enough(read: Read) -> None:
    product, base = await read({"/board": pages.html_page(pages.OPENGRAPH_ONLY)}, "/board")
    assert product == Product(
        name="Oak Cutting Board",
        brand="Woodshop",
        description="End-grain oak, oiled by hand.",
        price="45.00",
        currency="EUR",
        url=f"{base}/board",
        image_urls=(f"{base}/img/board.jpg", f"{base}/img/board-side.jpg"),
    )


async def test_microdata_alone_is_enough(read: Read) -> None:
    product, base = await read(
        {"/shop/candle": pages.html_page(pages.MICRODATA_ONLY)}, "/shop/candle"
    )
    assert product == Product(
        name="Beeswax Candle",
        brand="Hive",
        description="Hand-dipped, 40 hours.",
        price="16.00",
        currency="CHF",
        url=f"{base}/shop/candle",
        image_urls=(f"{base}/shop/img/candle.jpg",),
    )


async def test_without_markup_the_title_description_and_largest_images_are_used(
    read: Read,
) -> None:
    product, base = await read({"/apron": pages.html_page(pages.FALLBACK_ONLY)}, "/apron")
    assert product.name == "Linen Apron"
    assert product.description == "A heavy linen apron with two pockets."
    assert (product.price, product.currency) == ("", "")
    assert product.image_urls == (
        f"{base}/img/apron-main.jpg",
        f"{base}/img/apron-detail.jpg",
        f"{base}/img/apron-unsized.jpg",
    )


async def test_relative_and_protocol_relative_images_are_made_absolute_against_the_base(
    read: Read,
) -> None:
    product, base = await read({"/p/vase": pages.html_page(pages.RELATIVE_IMAGES)}, "/p/vase")
    assert product.image_urls == (
        f"{base}/assets/v2/vase.jpg",
        f"{base}/cdn/vase-side.jpg",
        f"{base}/img/vase-top.jpg",
    )


async def test_a_shopify_page_is_read_from_the_shops_product_data(read: Read) -> None:
    served = {
        "/collections/mugs/products/teal-mug": pages.html_page(pages.SHOPIFY_PAGE),
        "/products/teal-mug.js": ("application/json", pages.SHOPIFY_DATA),
    }
    product, base = await read(served, "/collections/mugs/products/teal-mug")
    assert product == Product(
        name="Teal Mug",
        brand="Acme",
        description="Glazed stoneware, 350 ml.",
        price="24.90",
        currency="EUR",
        url=f"{base}/collections/mugs/products/teal-mug",
        image_urls=(
            f"{base}/cdn/shop/files/teal-mug.png?v=1",
            f"{base}/cdn/shop/files/teal-mug-side.png?v=1",
        ),
    )


async def test_a_shopify_page_whose_product_data_fails_falls_back_to_the_page(
    read: Read,
) -> None:
    served = {"/products/teal-mug": pages.html_page(pages.SHOPIFY_PAGE)}
    product, _ = await read(served, "/products/teal-mug")
    assert (product.name, product.price, product.currency) == ("Teal Mug (page)", "99.00", "EUR")


async def test_a_page_in_latin_1_is_decoded_by_its_declared_charset(read: Read) -> None:
    page = ("text/html; charset=iso-8859-1", pages.LATIN_1.encode("latin-1"))
    product, _ = await read({"/cup": page}, "/cup")
    assert product.name == "Café Crème Cup"


async def test_a_page_with_only_an_image_is_named_after_its_address(read: Read) -> None:
    product, base = await read(
        {"/p/blue-ceramic-vase": pages.html_page(pages.IMAGE_ONLY)}, "/p/blue-ceramic-vase"
    )
    assert product.name == "Blue ceramic vase"
    assert product.image_urls == (f"{base}/img/x.jpg",)


async def test_a_page_without_a_product_is_refused_with_a_hint(read: Read) -> None:
    with pytest.raises(BadInput) as refused:
        await read({"/about": pages.html_page(pages.NOTHING)}, "/about")
    assert str(refused.value) == messages.FETCH_NO_PRODUCT


async def test_fetch_refusals_reach_the_caller_unchanged(make_fetcher: MakeFetcher) -> None:
    reader = PageProductReader(make_fetcher())
    with pytest.raises(BadInput) as refused:
        await reader.read("http://169.254.169.254/latest/meta-data/")
    assert str(refused.value) == messages.FETCH_NOT_PUBLIC
