"""Image records on every configured database."""

from __future__ import annotations

from adapters.sql.uow import SqlUnitOfWorkFactory
from tests.adapters.sql.builders import image, new_account


async def test_images_are_stored_listed_newest_first_and_deleted(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    mine = (await new_account(uow_factory, "ada")).id
    theirs = (await new_account(uow_factory, "bob")).id
    async with uow_factory() as uow:
        for n in range(5):
            await uow.images.add(image(f"img-{n}", mine, created=n))
        await uow.images.add(image("img-bob", theirs, created=10))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.images.get("img-2") == image("img-2", mine, created=2)
        first_page = await uow.images.for_account(mine, limit=2, offset=0)
        second_page = await uow.images.for_account(mine, limit=2, offset=2)
        deleted = await uow.images.delete("img-4")
        deleted_again = await uow.images.delete("img-4")
        await uow.commit()

    assert [each.id for each in first_page] == ["img-4", "img-3"]
    assert [each.id for each in second_page] == ["img-2", "img-1"]
    assert (deleted, deleted_again) == (True, False)
    async with uow_factory() as uow:
        assert await uow.images.get("img-4") is None
        assert [each.id for each in await uow.images.for_account(mine, 10, 0)] == [
            "img-3",
            "img-2",
            "img-1",
            "img-0",
        ]
