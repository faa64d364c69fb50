"""Sources: a product page within one deadline, and the first usable image it lists."""

from __future__ import annotations

import asyncio

import pytest

from core import messages
from core.errors import BadInput
from core.imaging import Product, SourceImage
from core.ports import Fetched
from core.sources import Sources


class Decoder:
    async def load(self, data: bytes) -> SourceImage:
        if data != b"good":
            raise BadInput(messages.IMAGE_NOT_SUPPORTED)
        return SourceImage(data=data, width=100, height=100, has_alpha=False)


class Reader:
    def __init__(self, images: tuple[str, ...], hang: bool = False) -> None:
        self.images = images
        self.hang = hang

    async def read(self, url: str) -> Product:
        if self.hang:
            await asyncio.Event().wait()
        return Product(name="Mug", url=url, image_urls=self.images)


class Fetcher:
    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies
        self.asked: list[str] = []

    async def fetch_page(self, url: str) -> Fetched:
        raise AssertionError("pages are the reader's job")

    async def fetch_image(self, url: str) -> Fetched:
        self.asked.append(url)
        return Fetched(url=url, content_type="image/png", body=self.bodies[url])


async def test_the_first_usable_image_of_a_page_is_taken() -> None:
    fetcher = Fetcher({"a": b"broken", "b": b"good", "c": b"good"})
    source = await Sources(Decoder(), Reader(("a", "b", "c")), fetcher).from_page("u")
    assert source.image is not None and source.product is not None
    assert fetcher.asked == ["a", "b"]


async def test_a_page_whose_images_are_all_unusable_says_so() -> None:
    fetcher = Fetcher({"a": b"broken", "b": b"broken", "c": b"broken", "d": b"good"})
    with pytest.raises(BadInput) as refused:
        await Sources(Decoder(), Reader(("a", "b", "c", "d")), fetcher).from_page("u")
    assert refused.value.message == messages.PAGE_HAS_NO_IMAGE
    assert fetcher.asked == ["a", "b", "c"]  # at most three are tried


async def test_a_page_that_takes_too_long_is_given_up_in_one_sentence() -> None:
    sources = Sources(Decoder(), Reader((), hang=True), Fetcher({}), deadline=0.05)
    with pytest.raises(BadInput) as refused:
        await sources.from_page("u")
    assert refused.value.message == messages.FETCH_TIMED_OUT
