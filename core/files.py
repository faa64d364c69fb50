"""Image bytes by image id, for deliveries that upload files (Slack, Discord)."""

from __future__ import annotations

from dataclasses import dataclass

from core import messages
from core.errors import NotFound
from core.ports import BlobStore, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class ImageFile:
    data: bytes
    content_type: str
    filename: str


class ImageFiles:
    """Reads a finished image's file through its record: no adapter digs in the database."""

    def __init__(self, uow_factory: UnitOfWorkFactory, blobs: BlobStore) -> None:
        self._uow = uow_factory
        self._blobs = blobs

    async def read(self, image_id: str) -> ImageFile:
        """The image's bytes; raises ``NotFound`` once it was deleted."""
        async with self._uow(readonly=True) as uow:
            record = await uow.images.get(image_id)
        if record is None:
            raise NotFound(messages.IMAGE_GONE)
        try:
            data = await self._blobs.get(record.blob_key)
        except KeyError:
            raise NotFound(messages.IMAGE_GONE) from None
        return ImageFile(data, record.content_type, f"{record.id}.{record.format}")
