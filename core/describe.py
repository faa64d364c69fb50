"""/describe: a ready-to-use generation prompt written from a product photo or page."""

from __future__ import annotations

from core import messages
from core.commands import Describe
from core.credits import Credits
from core.errors import BadInput, ProviderFailed
from core.ids import new_id
from core.model import Account
from core.ports import Describer, UnitOfWorkFactory
from core.replies import Text
from core.sources import Sources


class Describing:
    """Reserves a small fixed cost, asks the describer, then captures or releases it."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        credits: Credits,
        sources: Sources,
        describer: Describer,
        cost: int,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._sources = sources
        self._describer = describer
        self._cost = cost

    async def describe(self, account: Account, command: Describe) -> Text:
        if command.image is None and not command.url:
            raise BadInput(messages.DESCRIBE_NEEDS_SOURCE)
        source = await self._sources.resolve(command.image, command.url)
        operation = new_id("dsc")
        async with self._uow() as uow:
            await self._credits.reserve(uow, account.id, operation, self._cost)
            await uow.commit()
        try:
            prompt = await self._describer.describe(source.image, source.product)
        except BaseException as error:
            async with self._uow() as uow:
                await self._credits.release(
                    uow, account.id, operation, self._cost, reason="describe failed"
                )
                await uow.commit()
            if isinstance(error, ProviderFailed):
                raise ProviderFailed(
                    messages.DESCRIBE_FAILED.format(reason=error.message), transient=error.transient
                ) from error
            raise
        async with self._uow() as uow:
            await self._credits.capture(uow, account.id, operation, self._cost)
            await uow.commit()
        return Text(messages.DESCRIBED.format(prompt=prompt, cost=self._cost))
