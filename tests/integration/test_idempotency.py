"""A platform that delivers one request twice gets one answer and is charged once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.console.translate import translate
from bot.bootstrap import App
from core.idempotency import Idempotency
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Error, Progress, Statement
from tests.harness import Chat, running_app

ALICE = Requester("slack", "T1", "U1", "Alice")
ADDRESS = ReplyAddress("slack", fields={"channel": "C1"})


async def imagine(app: App, photo: Path, key: str) -> Progress | Error:
    command = await translate(f"/imagine --image {photo} --n 2")
    reply = await app.bot.handle(ALICE, command, ADDRESS, key)
    assert isinstance(reply, Progress | Error)
    return reply


async def jobs_and_balance(app: App) -> tuple[int, int]:
    account = await app.bot.open_account(ALICE)
    return await Chat(app).count("jobs"), account.balance


async def test_a_repeated_request_gets_the_first_answer_and_queues_nothing_new(
    app: App, photo: Path
) -> None:
    first = await imagine(app, photo, "Ev0001")
    again = await imagine(app, photo, "Ev0001")
    assert isinstance(first, Progress) and again == first
    assert await jobs_and_balance(app) == (1, 8)
    other = await imagine(app, photo, "Ev0002")  # a new key is a new request
    assert isinstance(other, Progress) and other.job_id != first.job_id
    assert await jobs_and_balance(app) == (2, 6)


async def test_concurrent_deliveries_of_one_request_to_two_servers_queue_one_job(
    tmp_path: Path, photo: Path, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    async with (
        running_app(data_dir, database_url) as one,
        running_app(data_dir, database_url) as two,
    ):
        replies = await asyncio.gather(
            *(imagine(server, photo, "Ev0003") for server in (one, two, one, two))
        )
        assert isinstance(replies[0], Progress)
        assert all(reply == replies[0] for reply in replies)
        assert await jobs_and_balance(one) == (1, 8)


async def test_a_repeated_refusal_is_the_same_sentence_and_costs_nothing(
    app: App, tmp_path: Path
) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    first = await imagine(app, text, "Ev0004")
    assert isinstance(first, Error)
    assert await imagine(app, text, "Ev0004") == first
    assert await jobs_and_balance(app) == (0, 10)


async def test_a_request_whose_first_handler_died_is_taken_over_after_its_lease(
    app: App, photo: Path
) -> None:
    account = await app.bot.open_account(ALICE)
    key = Idempotency.scoped("slack", account.id, "Ev0005")
    past = datetime.now(UTC) - timedelta(minutes=5)
    async with app.uow_factory() as uow:  # a server claimed it, then died
        assert await uow.requests.begin(
            key, account.id, "dead", past, past + timedelta(minutes=2), past - timedelta(days=1)
        )
        await uow.commit()
    reply = await imagine(app, photo, "Ev0005")
    assert isinstance(reply, Progress)
    assert await imagine(app, photo, "Ev0005") == reply
    assert await jobs_and_balance(app) == (1, 8)


async def test_one_platform_id_from_two_people_is_two_requests(app: App, photo: Path) -> None:
    await imagine(app, photo, "Ev0006")  # Alice spends 2 of her 10
    bob = Requester("slack", "T1", "U2", "Bob")
    command = await translate("/credits")
    mine = await app.bot.handle(ALICE, command, ADDRESS, "same-id")
    theirs = await app.bot.handle(bob, command, ADDRESS, "same-id")
    assert isinstance(mine, Statement) and isinstance(theirs, Statement)
    assert (mine.balance, theirs.balance) == (8, 10)
