"""Retried platform deliveries get the first answer: keys stored in the database."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from core.context import Claim
from core.ids import new_id
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Reply, reply_from_data, reply_to_data

#: How long a key is remembered.
KEPT_FOR = timedelta(days=1)


class ClaimLost(Exception):
    """Another process took over this request's key (this one was presumed dead)."""


class Idempotency:
    """Claims keys for requests, stores their answers, and hands a repeat the first one.

    The first request with a key claims it under a lease and answers; a repeat that
    arrives meanwhile waits for that answer (any process: the key is a row). A claim
    whose holder died lapses and the repeat takes over. Jobs store their answer in the
    transaction that queues them, so a key never queues two jobs.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        lease: timedelta = timedelta(seconds=120),
        poll_seconds: float = 0.05,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._lease = lease
        self._poll = poll_seconds

    @staticmethod
    def scoped(platform: str, account_id: str, key: str) -> str:
        """Keys are kept hashed, per platform and account."""
        return hashlib.sha256(f"{platform}\0{account_id}\0{key}".encode()).hexdigest()

    async def claim(self, key: str, account_id: str) -> tuple[Reply | None, Claim]:
        """``(None, claim)`` when this request answers; ``(answer, claim)`` when the key
        was answered already (waiting for a concurrent holder if need be)."""
        claim = Claim(key, new_id("req"))
        wait = self._poll
        while True:
            now = self._clock()
            async with self._uow() as uow:
                mine = await uow.requests.begin(
                    key, account_id, claim.owner, now, now + self._lease, now - KEPT_FOR
                )
                if not mine:
                    mine = await uow.requests.take_over(key, claim.owner, now, now + self._lease)
                answer = None if mine else await uow.requests.answer(key)
                await uow.commit()
            if mine:
                return None, claim
            if answer is not None:
                return reply_from_data(answer), claim
            await asyncio.sleep(wait)
            wait = min(wait * 2, 1.0)

    @staticmethod
    async def store(uow: UnitOfWork, claim: Claim, reply: Reply) -> None:
        """Store the answer in the caller's transaction; raises ``ClaimLost``."""
        if not await uow.requests.finish(claim.key, claim.owner, reply_to_data(reply)):
            raise ClaimLost(claim.key)

    async def record(self, claim: Claim, reply: Reply) -> None:
        """Store the answer unless the request stored it already (jobs do)."""
        async with self._uow() as uow:
            await uow.requests.finish(claim.key, claim.owner, reply_to_data(reply))
            await uow.commit()

    async def abandon(self, claim: Claim) -> None:
        """The request failed unexpectedly: let a retry try again."""
        async with self._uow() as uow:
            await uow.requests.abandon(claim.key, claim.owner)
            await uow.commit()

    async def purge(self) -> int:
        async with self._uow() as uow:
            count = await uow.requests.purge(self._clock() - KEPT_FOR)
            await uow.commit()
        return count
