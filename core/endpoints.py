"""Process-local endpoints (a terminal session) stay alive by renewing a lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from core.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)


class EndpointLease:
    """Renews the lease of one local endpoint while its process runs.

    Jobs for an endpoint whose lease lapsed have nobody to deliver to: any worker's
    upkeep cancels them and returns their credits (``release_orphaned``).
    """

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, route: str, lease_seconds: float
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self.route = route
        self._lease = lease_seconds

    async def beat(self) -> None:
        now = self._clock()
        async with self._uow() as uow:
            await uow.endpoints.beat(self.route, now, now + timedelta(seconds=self._lease))
            await uow.commit()

    async def keep_alive(self) -> None:
        """Renew every third of the lease until cancelled; a database hiccup is retried
        at the next beat."""
        while True:
            try:
                await self.beat()
            except Exception:
                log.warning("could not renew the lease of %s", self.route, exc_info=True)
            await asyncio.sleep(self._lease / 3)

    async def end(self) -> None:
        """The endpoint closes on purpose (its jobs were already dealt with)."""
        with contextlib.suppress(Exception):
            async with self._uow() as uow:
                await uow.endpoints.end(self.route)
                await uow.commit()
