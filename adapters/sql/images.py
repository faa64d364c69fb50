"""Records of generated images (the bytes live in the blob store)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import images
from core.model import ImageRecord


def to_image(row: Row[Any]) -> ImageRecord:
    return ImageRecord(
        id=row.id,
        account_id=row.account_id,
        job_id=row.job_id,
        blob_key=row.blob_key,
        width=row.width,
        height=row.height,
        format=row.format,
        template=row.template,
        format_name=row.format_name,
        prompt=row.prompt,
        created_at=row.created_at,
        content_type=row.content_type,
    )


class SqlImageRepository:
    """Image records over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, image: ImageRecord) -> None:
        await self._connection.execute(
            insert(images).values(
                id=image.id,
                account_id=image.account_id,
                job_id=image.job_id,
                blob_key=image.blob_key,
                width=image.width,
                height=image.height,
                format=image.format,
                template=image.template,
                format_name=image.format_name,
                prompt=image.prompt,
                content_type=image.content_type,
                created_at=image.created_at,
            )
        )

    async def get(self, image_id: str) -> ImageRecord | None:
        row = (
            await self._connection.execute(select(images).where(images.c.id == image_id))
        ).first()
        return None if row is None else to_image(row)

    async def delete(self, image_id: str) -> bool:
        """Remove the record; ``False`` when there was none."""
        gone = (
            await self._connection.execute(
                delete(images).where(images.c.id == image_id).returning(images.c.id)
            )
        ).first()
        return gone is not None

    async def for_account(self, account_id: str, limit: int, offset: int) -> list[ImageRecord]:
        """The account's images, newest first."""
        rows = await self._connection.execute(
            select(images)
            .where(images.c.account_id == account_id)
            .order_by(images.c.created_at.desc(), images.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [to_image(row) for row in rows]

    async def count_for_account(self, account_id: str) -> int:
        query = select(func.count()).select_from(images).where(images.c.account_id == account_id)
        return int((await self._connection.execute(query)).scalar_one())
