"""Reservations from several processes at once against one wallet, on every configured
database: the balance is the only thing they share, and it holds."""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from collections import Counter
from itertools import chain
from multiprocessing.synchronize import Barrier

from sqlalchemy import func, select

from adapters.sql.engine import create_engine
from adapters.sql.tables import ledger
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.model import Movement, PostResult
from tests.adapters.sql.builders import T0, new_account

PROCESSES = 4
RESERVATIONS = 1_000  # in all, a quarter from each process
LANES = 5  # concurrent reservations in each process: one connection each, 20 in all
CREDITS = 100
WAIT_SECONDS = 120.0  # for a process that hangs: fail rather than block the suite


def reserve_in_a_process(
    url: str, wallet_id: str, process: int, start: Barrier, results: multiprocessing.Queue
) -> None:
    """A process of its own: once all are ready, its share of the reservations at once.
    It answers with what the reservations gave, or with the error that stopped it."""
    try:
        start.wait(WAIT_SECONDS)
        results.put(asyncio.run(_reserve_share(url, wallet_id, process)))
    except BaseException:
        results.put(traceback.format_exc())
        raise


async def _reserve_share(url: str, wallet_id: str, process: int) -> dict[str, int]:
    engine = create_engine(url)
    uows = SqlUnitOfWorkFactory(engine)

    async def reserve(lane: int) -> list[PostResult]:
        results = []
        for n in range(RESERVATIONS // PROCESSES // LANES):
            async with uows() as uow:
                key = f"job:p{process}-{lane}-{n}:reserve"
                results.append(await uow.ledger.post(wallet_id, Movement.RESERVE, -1, key, T0))
                await uow.commit()
        return results

    try:
        lanes = await asyncio.gather(*(reserve(lane) for lane in range(LANES)))
    finally:
        await engine.dispose()
    return {str(result): count for result, count in Counter(chain.from_iterable(lanes)).items()}


async def test_a_thousand_reservations_from_four_processes_against_a_hundred_credits_post_a_hundred(
    database_url: str, uow_factory: SqlUnitOfWorkFactory
) -> None:
    wallet_id = (await new_account(uow_factory, credits=CREDITS)).wallet_id
    context = multiprocessing.get_context("spawn")  # nothing of this process's loop or pool
    start = context.Barrier(PROCESSES)
    results: multiprocessing.Queue = context.Queue()
    processes = [
        context.Process(
            target=reserve_in_a_process, args=(database_url, wallet_id, n, start, results)
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        answers = [await asyncio.to_thread(results.get, True, WAIT_SECONDS) for _ in processes]
    finally:
        for process in processes:
            await asyncio.to_thread(process.join, WAIT_SECONDS)
            if process.is_alive():  # hung: leave nothing running behind the suite
                process.kill()
    failures = [answer for answer in answers if isinstance(answer, str)]
    assert not failures, failures[0]
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    counts = sum((Counter(answer) for answer in answers), Counter[str]())

    assert counts == {
        PostResult.POSTED: CREDITS,
        PostResult.INSUFFICIENT: RESERVATIONS - CREDITS,
    }
    async with uow_factory(readonly=True) as uow:
        assert await uow.ledger.balance(wallet_id) == 0
    async with uow_factory.engine.connect() as connection:
        rows, total = (
            await connection.execute(
                select(func.count(), func.sum(ledger.c.amount)).where(
                    ledger.c.wallet_id == wallet_id
                )
            )
        ).one()
    assert (rows, total) == (1 + CREDITS, 0)
