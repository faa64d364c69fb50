"""Privacy, proven whole: an export holds every category of one person's data and nothing
of anyone else's; an erasure leaves none of their identifiers in any table, in the
database's own files or in the blob store, while the ledger still balances."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select, text

from adapters.console.translate import translate
from adapters.slack.installs import EncryptedInstallationStore, TokenCipher
from adapters.sql.privacy import NOT_PERSONAL, PERSONAL
from adapters.sql.tables import ledger, metadata, wallets
from bot.bootstrap import App
from bot.web import create_web_app
from core.billing import PaymentEvent, PaymentKind
from core.errors import BadInput
from core.identity import Requester
from core.model import ReplyAddress
from core.replies import Confirm, Document, Error, Images, Private, Progress, Reply
from tests.harness import Chat, blob_files, count_rows, product_photo

# Alice's identifiers: none may survive her erasure anywhere.
ALICE = Requester("slack", "T0PRIV", "U0ALICE7Q", "alice-slack-name")
ALICE_NAME = "Alice Quux-Erasable"
ALICE_EMAIL = "alice.quux@erasable.example"
ALICE_PROMPT = "unicorn marmalade on basalt"
BOB = Requester("slack", "T0PRIV", "U0BOB9Z", "bob-slack-name")
BOB_PROMPT = "bobs lighthouse teapot"


class Person:
    """One person talking to the bot through the public commands (terminal syntax)."""

    def __init__(self, chat: Chat, requester: Requester) -> None:
        self.chat = chat
        self.requester = requester

    def address(self) -> ReplyAddress:
        return ReplyAddress(
            "console", endpoint=self.chat.endpoint, fields={"user_id": self.requester.user_id}
        )

    async def say(self, line: str, key: str | None = None) -> Reply:
        try:
            command = await translate(line)
        except BadInput as error:
            return Error(error.message)
        return await self.chat.app.bot.handle(self.requester, command, self.address(), key)

    async def press(self, value: str) -> Reply:
        return await self.chat.app.bot.press(self.requester, value, self.address())

    async def account_id(self) -> str:
        return (await self.chat.app.bot.open_account(self.requester)).id


async def fill(person: Person, photo: Path, prompt: str, *, everything: bool) -> list[Reply]:
    """Use the bot the way a person does; ``everything`` touches every table."""
    if everything:
        assert isinstance(await person.say("/privacy consent analytics on"), Private)
    queued = await person.say(f"/imagine {prompt} --image {photo} --n 2", key="delivery-1")
    assert isinstance(queued, Progress), queued
    delivered = await person.chat.run_jobs()
    if everything:
        await pay(person)
        await person.say("/credits use team")
        await person.say(f"/privacy correct name {ALICE_NAME}")
        await person.say(f"/privacy correct email {ALICE_EMAIL}")
        await person.say("/history")
        assert isinstance(await person.say("/delete-me"), Confirm)  # a pending confirmation
    return delivered


ALICE_CUSTOMER = "cus_AliceErasable1"


async def pay(person: Person) -> None:
    """The person bought the starter pack: the verified payment event, as the webhook
    hands it to core."""
    applied = await person.chat.app.bot.billing.apply(
        PaymentEvent(
            id="evt_alice_paid",
            kind=PaymentKind.PAID,
            provider="stripe",
            account_id=await person.account_id(),
            item="starter",
            purchase="cs_test_alice",
            charge="pi_alice",
            amount=500,
            customer=ALICE_CUSTOMER,
        )
    )
    assert applied.credits == 50


async def install_slack(app: App, requester: Requester, team: str) -> None:
    """The person installed the Slack app in their workspace (their user id is the
    installer's)."""
    store = EncryptedInstallationStore(
        app.engine, client_id="111.222", cipher=TokenCipher("test-secret")
    )
    await store.async_save(
        Installation(
            app_id="A0001",
            team_id=team,
            team_name="Privacy Workspace",
            bot_token=f"xoxb-{team}-bot",
            bot_id="B0001",
            bot_user_id="U0BOT",
            user_id=requester.user_id,
            user_token=f"xoxp-{team}-user",
            user_scopes="files:write",
            installed_at=datetime(2026, 11, 1, tzinfo=UTC).timestamp(),
        )
    )


async def export_of(person: Person) -> zipfile.ZipFile:
    queued = await person.say("/privacy export")
    assert isinstance(queued, Private) and queued.job_id, queued
    (ready,) = [r for r in await person.chat.run_jobs() if isinstance(r, Private)]
    assert ready.link and "/x/" in ready.link
    async with TestClient(TestServer(create_web_app(person.chat.app))) as client:
        response = await client.get("/x/" + ready.link.rsplit("/", 1)[1])
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/zip"
        body = await response.read()
    return zipfile.ZipFile(io.BytesIO(body))


def loaded(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name).decode("utf-8"))


async def open_image_link(app: App, link: str) -> None:
    async with TestClient(TestServer(create_web_app(app))) as client:
        response = await client.get(
            "/i/" + link.rsplit("/", 1)[1], headers={"User-Agent": "Mozilla/5.0 (X11)"}
        )
        assert response.status == 200


async def rows_of(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain text-keyed data."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with app.engine.connect() as connection:
        for table in metadata.sorted_tables:
            result = await connection.execute(select(table))
            found[table.name] = [dict(row._mapping) for row in result]
    return found


def mentions(rows: dict[str, list[dict[str, Any]]], needles: tuple[str, ...]) -> list[str]:
    hits = []
    for table, table_rows in rows.items():
        for row in table_rows:
            flat = json.dumps(row, default=str)
            hits += [f"{table}: {needle}" for needle in needles if needle in flat]
    return hits


def test_every_table_is_either_personal_or_says_why_not() -> None:
    """A new table must get its place in export and erasure (or a reason it holds no
    one's data), or this fails."""
    tables = set(metadata.tables) | {"alembic_version"}
    assert set(PERSONAL) | set(NOT_PERSONAL) == tables
    assert not set(PERSONAL) & set(NOT_PERSONAL)


async def two_people(chat: Chat, tmp_path: Path) -> tuple[Person, Person, Images]:
    """Alice, who has used every feature (and installed the Slack app), and Bob beside
    her, who made images; Alice's images."""
    photo = tmp_path / "mug.png"
    photo.write_bytes(product_photo())
    alice, bob = Person(chat, ALICE), Person(chat, BOB)
    await install_slack(chat.app, ALICE, ALICE.tenant)
    made = await fill(alice, photo, ALICE_PROMPT, everything=True)
    (images,) = [r for r in made if isinstance(r, Images)]
    await open_image_link(chat.app, images.images[0].link)
    await fill(bob, photo, BOB_PROMPT, everything=False)
    return alice, bob, images


async def test_an_export_holds_every_category_and_nothing_of_anyone_else(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    alice, bob, images = await two_people(chat, tmp_path)
    alice_id, bob_id = await alice.account_id(), await bob.account_id()

    archive = await export_of(alice)
    # Every table that holds personal data has a row of Alice's by now (the export's
    # own record included).
    for table in PERSONAL:
        if table == "slack_installations":
            where = f"user_id = '{ALICE.user_id}'"
        elif table == "accounts":
            where = f"id = '{alice_id}'"
        else:
            where = f"account_id = '{alice_id}'"
        assert await count_rows(app, table, where) > 0, f"no row of Alice's in {table}"

    names = set(archive.namelist())
    expected = {
        "README.txt",
        "profile.json",
        "identities.json",
        "credits.json",
        "generations.json",
        "billing.json",
        "consents.json",
        "access_log.json",
        "analytics.json",
        "privacy_requests.json",
        "requests.json",
    }
    assert expected <= names
    readme = archive.read("README.txt").decode()
    for file in expected - {"README.txt"}:
        assert file in readme
    assert "IMY" in readme and "7 years" in readme

    profile = loaded(archive, "profile.json")
    assert (profile["id"], profile["display_name"], profile["email"]) == (
        alice_id,
        ALICE_NAME,
        ALICE_EMAIL,
    )
    assert profile["created_at"].endswith("Z")
    identities = loaded(archive, "identities.json")
    assert [i["user_id"] for i in identities["identities"]] == [ALICE.user_id]
    assert [i["user_id"] for i in identities["slack_installations"]] == [ALICE.user_id]
    credits = loaded(archive, "credits.json")
    kinds = [m["kind"] for m in credits["movements"]]
    assert kinds[0] == "grant" and "reserve" in kinds and "capture" in kinds
    assert credits["wallets"][0]["balance"] == sum(m["amount"] for m in credits["movements"])
    generations = loaded(archive, "generations.json")
    assert [j["payload"]["prompt"] for j in generations["jobs"] if j["kind"] == "imagine"] == [
        ALICE_PROMPT
    ]
    assert {i["id"] for i in generations["images"]} == {i.id for i in images.images}
    pictures = {n for n in names if n.startswith("images/")}
    assert {f"images/results/{i.id}.png" for i in images.images} <= pictures
    assert any(n.startswith("images/uploads/") for n in pictures)
    for image in images.images:
        stored = (app.settings.blob_root / "images" / alice_id / f"{image.id}.png").read_bytes()
        assert archive.read(f"images/results/{image.id}.png") == stored
    consents = loaded(archive, "consents.json")
    assert [(c["purpose"], c["granted"], c["policy_version"]) for c in consents] == [
        ("analytics", True, app.policy.version)
    ]
    access = loaded(archive, "access_log.json")
    link_hits = [a for a in access if a["kind"] == "link"]
    assert link_hits and link_hits[0]["client"] == "browser"
    assert link_hits[0]["network"].endswith("/24") or link_hits[0]["network"].endswith("/48")
    assert {a["action"] for a in access if a["kind"] == "privacy"} >= {"correct email", "export"}
    events = [e["event"] for e in loaded(archive, "analytics.json")]
    assert "imagine" in events and "history" in events
    requests = loaded(archive, "privacy_requests.json")
    assert {r["kind"] for r in requests["requests"]} >= {"consent", "rectification", "access"}
    assert requests["pending_confirmations"][0]["purpose"] == "erase"
    assert "code_hash" not in requests["pending_confirmations"][0]
    billing = loaded(archive, "billing.json")
    assert [c["customer_id"] for c in billing["customer"]] == [ALICE_CUSTOMER]
    assert [(p["purchase"], p["credits"]) for p in billing["purchases"]] == [("cs_test_alice", 50)]
    assert "purchase" in kinds
    assert loaded(archive, "requests.json")  # the delivery key, hashed

    everything = b"".join(archive.read(name) for name in names)
    for foreign in (BOB.user_id, BOB_PROMPT, bob_id, BOB.display_name):
        assert foreign.encode() not in everything, foreign


async def test_after_erasure_nothing_of_the_person_is_left_and_the_ledger_balances(
    chat: Chat, app: App, tmp_path: Path
) -> None:
    alice, bob, _ = await two_people(chat, tmp_path)
    await export_of(alice)
    alice_id, bob_id = await alice.account_id(), await bob.account_id()
    before = await rows_of(app)
    bob_before = {
        table: [row for row in rows if bob_id in json.dumps(row, default=str)]
        for table, rows in before.items()
    }

    asked = await alice.say("/delete-me")
    assert isinstance(asked, Confirm) and asked.actions
    someone_else = await bob.press(app.bot.actions.encode(asked.actions[0]))
    assert isinstance(someone_else, Error)  # only Alice may press her button
    erased = await alice.press(app.bot.actions.encode(asked.actions[0]))
    assert isinstance(erased, Private) and "erased" in erased.text

    needles = (
        ALICE.user_id,
        ALICE_NAME,
        ALICE_EMAIL,
        ALICE_PROMPT,
        alice_id,
        "alice-slack",
        ALICE_CUSTOMER,
    )
    after = await rows_of(app)
    assert mentions(after, needles) == []
    # Not in the database's own files either (SQLite: the file and its WAL).
    if app.engine.dialect.name == "sqlite":
        database = Path(app.engine.url.database)
        for path in (database, Path(f"{database}-wal")):
            if path.exists():
                raw = path.read_bytes()
                for needle in needles:
                    assert needle.encode() not in raw, f"{needle} readable in {path.name}"
    # Nor in the blob store: no file of hers, nothing named after her.
    for path in blob_files(app.settings.data_dir):
        assert alice_id not in str(path)

    # The ledger still balances, for every wallet, and her bookkeeping stays.
    async with app.engine.connect() as connection:
        for wallet in (await connection.execute(select(wallets))).all():
            total = (
                await connection.execute(
                    text("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE wallet_id = :w"),
                    {"w": wallet.id},
                )
            ).scalar_one()
            assert wallet.balance == total, wallet.id
        kept = (
            await connection.execute(select(ledger).where(ledger.c.account_id.like("anon_%")))
        ).all()
    assert {row.kind for row in kept} >= {"grant", "reserve", "capture"}
    erasures = [r for r in after["privacy_requests"] if r["kind"] == "erasure"]
    assert [(r["account_id"], r["status"]) for r in erasures] == [(None, "done")]
    installed = after["slack_installations"]
    assert installed and installed[0]["bot_token"] and installed[0]["user_token"] is None

    # Bob is untouched.
    for table, rows in bob_before.items():
        now = [row for row in after[table] if bob_id in json.dumps(row, default=str)]
        assert now == rows, table

    # Coming back starts afresh, without a second welcome grant.
    back = await alice.say("/credits")
    assert getattr(back, "balance", None) == 0


async def test_analytics_are_counted_only_while_consent_is_on(chat: Chat, app: App) -> None:
    alice = Person(chat, ALICE)
    await alice.say("/templates")  # off by default: not counted
    assert await count_rows(app, "analytics_events") == 0
    await alice.say("/privacy consent analytics on")
    await alice.say("/templates")
    await alice.say("/credits")
    assert await count_rows(app, "analytics_events") == 2
    await alice.say("/privacy consent analytics off")
    await alice.say("/templates")
    assert await count_rows(app, "analytics_events") == 2  # consent changes are never counted
    consents = await count_rows(app, "consents", "purpose = 'analytics'")
    assert consents == 2
    await alice.say("/privacy consent analytics on")
    await alice.say("/privacy object")  # objection stops it and withdraws consent
    await alice.say("/templates")
    assert await count_rows(app, "analytics_events") == 2
    assert await count_rows(app, "consents", "granted = false") == 2
    summary = await alice.say("/privacy")
    assert isinstance(summary, Document)
    mine = summary.sections[-1].body
    assert "Analytics consent: off" in mine and "Objected to optional processing: yes" in mine


async def test_a_new_policy_version_is_told_once_to_each_person(chat: Chat, app: App) -> None:
    alice, bob = Person(chat, ALICE), Person(chat, BOB)
    first = await alice.say("/templates")
    assert first.notice == ""  # new people start on the current policy
    await bob.say("/templates")
    app.bot.privacy.policy = replace(
        app.policy, version="3", date="2027-01-15", changes=("Exports now include analytics.",)
    )
    told = await alice.say("/credits")
    assert "2027-01-15" in told.notice and "Exports now include analytics." in told.notice
    assert (await alice.say("/credits")).notice == ""
    bob_told = await bob.say("/privacy")
    assert "version 3" in bob_told.notice
    assert (await bob.say("/templates")).notice == ""


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("/privacy consent marketing on", "no optional purpose called marketing"),
        ("/privacy correct email not-an-address", "not an e-mail address"),
        ("/delete-me confirm ABCDEFGH", "no erasure waiting"),
        ("/forget img_nothere", "You have no image img_nothere"),
        ("/history 0", "whole number from 1"),
    ],
)
async def test_bad_privacy_requests_get_one_sentence_and_change_nothing(
    chat: Chat, app: App, line: str, sentence: str
) -> None:
    alice = Person(chat, ALICE)
    await alice.say("/credits")
    before = await rows_of(app)
    answer = await alice.say(line)
    assert isinstance(answer, Error) and sentence in answer.text, answer
    after = await rows_of(app)
    after.pop("requests"), before.pop("requests")
    assert after == before


async def test_a_wrong_or_late_confirmation_code_erases_nothing(chat: Chat, app: App) -> None:
    alice = Person(chat, ALICE)
    asked = await alice.say("/delete-me")
    assert isinstance(asked, Confirm)
    wrong = await alice.say("/delete-me confirm ZZZZZZZZ")
    assert isinstance(wrong, Error) and "does not match" in wrong.text
    # The wrong guess used up the code: the right one no longer works either.
    late = await alice.say(f"/delete-me confirm {asked.code}")
    assert isinstance(late, Error)
    assert await count_rows(app, "identities") == 1


async def test_history_pages_and_forget(chat: Chat, app: App, tmp_path: Path) -> None:
    photo = tmp_path / "mug.png"
    photo.write_bytes(product_photo())
    alice = Person(chat, ALICE)
    account = await app.bot.open_account(ALICE)
    async with app.uow_factory() as uow:
        await app.credits.adjust(uow, account.wallet_id, 10, "test:more", "for the test")
        await uow.commit()
    for _ in range(3):  # twelve images, in the format quickest to render
        imagined = await alice.say(f"/imagine --image {photo} --format landscape --n 4")
        assert isinstance(imagined, Progress)
    await chat.run_jobs()
    first = await alice.say("/history")
    second = await alice.say("/history 2")
    assert (first.total, first.pages, len(first.entries)) == (12, 2, 10)
    assert (second.page, len(second.entries)) == (2, 2)
    newest = [e.created_at for e in first.entries]
    assert newest == sorted(newest, reverse=True)
    victim = first.entries[0]
    forgotten = await alice.say(f"/forget {victim.id}")
    assert isinstance(forgotten, Private)
    async with TestClient(TestServer(create_web_app(app))) as client:
        response = await client.get("/i/" + victim.link.rsplit("/", 1)[1])
        assert response.status == 404
    assert (await alice.say("/history")).total == 11
    bob = Person(chat, BOB)
    refused = await bob.say(f"/forget {first.entries[1].id}")
    assert isinstance(refused, Error)


async def test_erasure_asks_the_payments_port_to_erase_the_customer(chat: Chat, app: App) -> None:
    """When billing is configured, its records of the person go with them."""
    from adapters.sql.privacy import SqlDiskReclaimer
    from bot.bootstrap import utcnow
    from core.privacy import Eraser

    erased: list[str] = []

    class Payments:
        async def erase_customer(self, customer_id: str) -> None:
            erased.append(customer_id)

    alice = Person(chat, ALICE)
    account_id = await alice.account_id()
    async with app.uow_factory() as uow:
        await uow.payments.set_customer(account_id, "stripe", "cus_Alice01", utcnow())
        await uow.commit()
    eraser = Eraser(
        uow_factory=app.uow_factory,
        credits=app.credits,
        blobs=app.blobs,
        handlers=dict(app.job_handlers),
        reclaim=SqlDiskReclaimer(app.engine),
        clock=utcnow,
        payments=Payments(),
    )
    await eraser.erase(account_id, via="operator")
    assert erased == ["cus_Alice01"]
    assert await count_rows(app, "accounts", f"id = '{account_id}'") == 0
    assert await count_rows(app, "payment_customers") == 0
