"""Where a picture comes from: an attached photo or a product page, checked before any spending."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from core import messages
from core.commands import ImageUpload
from core.errors import BadInput
from core.imaging import Product, SourceImage
from core.ports import Fetcher, ImageDecoder, ProductReader

log = logging.getLogger(__name__)

#: Product pages often list thumbnails or broken images first; try a few.
IMAGE_CANDIDATES = 3
#: One deadline for everything a URL costs: the page, shop data and image downloads.
PAGE_DEADLINE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Source:
    image: SourceImage | None = None
    product: Product | None = None


class Sources:
    """Turns an upload or a URL into a validated image (and the page's product data)."""

    def __init__(
        self,
        decoder: ImageDecoder,
        reader: ProductReader,
        fetcher: Fetcher,
        deadline: float = PAGE_DEADLINE_SECONDS,
    ) -> None:
        self._decoder = decoder
        self._reader = reader
        self._fetcher = fetcher
        self._deadline = deadline

    async def resolve(self, image: ImageUpload | None, url: str | None) -> Source:
        if image is not None and url:
            raise BadInput(messages.ONE_SOURCE_ONLY)
        if image is not None:
            return Source(image=await self._decoder.load(image.data))
        if url:
            return await self.from_page(url.strip())
        return Source()

    async def from_page(self, url: str) -> Source:
        """The page's product and its first usable image, within one deadline."""
        try:
            async with asyncio.timeout(self._deadline):
                return await self._from_page(url)
        except TimeoutError:
            raise BadInput(messages.FETCH_TIMED_OUT) from None

    async def _from_page(self, url: str) -> Source:
        product = await self._reader.read(url)
        refusal: BadInput | None = None
        for index, image_url in enumerate(product.image_urls[:IMAGE_CANDIDATES]):
            try:
                fetched = await self._fetcher.fetch_image(image_url)
                return Source(image=await self._decoder.load(fetched.body), product=product)
            except BadInput as error:
                log.info("product image %d of a page was unusable", index)
                refusal = refusal or error
        if refusal is not None:
            log.debug("no usable product image: %s", refusal.message)
        raise BadInput(messages.PAGE_HAS_NO_IMAGE)
