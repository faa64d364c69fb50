"""Revision 0002 on every configured database: data written under revision 0001
(balances on accounts, queues, untyped payloads, interaction tokens in addresses,
stored replies with typed-command actions) loads through today's repositories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import alembic_config, create_engine, migrate_async
from adapters.sql.engine import alembic_config as _alembic_config
from adapters.sql.tables import UtcDateTime, metadata
from adapters.sql.uow import SqlUnitOfWorkFactory
from core.identity import Identity
from core.imaging import Product
from core.model import Job, JobStatus, Movement, PostResult, ReplyAddress, WalletKind
from core.payloads import DescribePayload, ImaginePayload, ReformatPayload, SourceRef
from core.replies import Error, ImageOut, Images, reply_from_data
from tests.adapters.sql.builders import T0, at

HEAD = ScriptDirectory.from_config(_alembic_config()).get_current_head()

TIME = UtcDateTime()

# --- the 0001 schema, as the code of that revision wrote to it ---------------------
_accounts = sa.table(
    "accounts",
    sa.column("id", sa.String()),
    sa.column("display_name", sa.String()),
    sa.column("balance", sa.Integer()),
    sa.column("created_at", TIME),
)
_identities = sa.table(
    "identities",
    sa.column("id", sa.String()),
    sa.column("account_id", sa.String()),
    sa.column("platform", sa.String()),
    sa.column("tenant", sa.String()),
    sa.column("user_id", sa.String()),
    sa.column("display_name", sa.String()),
    sa.column("created_at", TIME),
)
_ledger = sa.table(
    "ledger",
    sa.column("account_id", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("amount", sa.Integer()),
    sa.column("idempotency_key", sa.String()),
    sa.column("job_id", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("created_at", TIME),
)
_jobs = sa.table(
    "jobs",
    sa.column("id", sa.String()),
    sa.column("account_id", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("queue", sa.String()),
    sa.column("status", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("address", sa.JSON()),
    sa.column("cost", sa.Integer()),
    sa.column("attempts", sa.Integer()),
    sa.column("max_attempts", sa.Integer()),
    sa.column("run_after", TIME),
    sa.column("lease_owner", sa.String()),
    sa.column("lease_expires_at", TIME),
    sa.column("error", sa.Text()),
    sa.column("result", sa.JSON()),
    sa.column("created_at", TIME),
    sa.column("updated_at", TIME),
    sa.column("finished_at", TIME),
    sa.column("delivered_at", TIME),
)
_images = sa.table(
    "images",
    sa.column("id", sa.String()),
    sa.column("account_id", sa.String()),
    sa.column("job_id", sa.String()),
    sa.column("blob_key", sa.String()),
    sa.column("width", sa.Integer()),
    sa.column("height", sa.Integer()),
    sa.column("format", sa.String()),
    sa.column("template", sa.String()),
    sa.column("format_name", sa.String()),
    sa.column("prompt", sa.Text()),
    sa.column("content_type", sa.String()),
    sa.column("created_at", TIME),
)

ADA = "acc_ada"
GRACE = "acc_grace"
PRODUCT = {
    "name": "Marble Mug",
    "brand": "Ada & Co",
    "description": "Stoneware, 350 ml.",
    "price": "24.90",
    "currency": "EUR",
    "url": "https://shop.example/mug",
    "image_urls": ["https://shop.example/mug.png"],
}
IMAGINE = {
    "prompt": "a mug on marble",
    "template": "marble",
    "format": "portrait",
    "n": 2,
    "seed": 918273645,
    "provider": "studio",
    "product": PRODUCT,
    "url": "https://shop.example/mug",
    "source_key": f"uploads/{ADA}/job-imagine.png",
    "source_size": [800, 600],
    "source_alpha": True,
}


def _address(platform: str, tenant: str, queue: str = "default", **fields: str) -> dict[str, str]:
    """A 0001 ``ReplyAddress.to_json()``: every slot, empty where unused."""
    names = ("channel", "thread", "message", "interaction", "user_id")
    return {
        "platform": platform,
        "tenant": tenant,
        **{name: fields.get(name, "") for name in names},
        "queue": queue,
    }


def _old_job(job_id: str, kind: str, created: float, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": job_id,
        "account_id": ADA,
        "kind": kind,
        "queue": "default",
        "status": "queued",
        "cost": 1,
        "attempts": 0,
        "max_attempts": 3,
        "run_after": None,
        "lease_owner": None,
        "lease_expires_at": None,
        "error": "",
        "result": {},
        "created_at": at(created),
        "updated_at": at(created),
        "finished_at": None,
        "delivered_at": None,
    }
    row.update(values)
    return row


OLD_JOBS = [
    _old_job(
        "job-imagine",
        "imagine",
        created=10,
        queue="console:term_abc",
        status="succeeded",
        payload=IMAGINE,
        address=_address("console", "local", queue="console:term_abc", user_id="ada"),
        cost=2,
        attempts=1,
        finished_at=at(40),
        result={
            "images": ["img-1"],
            "reply": {
                "kind": "images",
                "text": "Here are 2 images.",
                "images": [
                    {
                        "id": "img-1",
                        "link": "https://aioe.example/i/img-1?t=sig",
                        "width": 1080,
                        "height": 1350,
                        "format": "png",
                        "actions": [
                            {
                                "kind": "reroll",
                                "label": "More like this",
                                "command": "/reroll img-1",
                                "argument": "",
                            }
                        ],
                    }
                ],
                "actions": [
                    {
                        "kind": "reformat",
                        "label": "Another format",
                        "command": "/reformat img-1",
                        "argument": "FORMAT",
                    }
                ],
            },
        },
    ),
    _old_job(
        "job-describe",
        "describe",
        created=20,
        payload={
            "product": None,
            "url": None,
            "source_key": f"uploads/{ADA}/job-describe.png",
            "source_size": [640, 480],
            "source_alpha": False,
        },
        address=_address("slack", "T1", channel="C1", thread="171.5", user_id="U1"),
    ),
    _old_job(
        "job-reformat",
        "reformat",
        created=30,
        queue="console:term_abc",
        payload={**IMAGINE, "n": 1, "format": "story", "image_id": "img-1"},
        address=_address("console", "local", queue="console:term_abc", user_id="ada"),
    ),
    _old_job(
        "job-discord",
        "imagine",
        created=50,
        status="failed",
        payload={
            "prompt": "a lamp at dusk",
            "template": "studio",
            "format": "square",
            "n": 1,
            "seed": 5,
            "provider": "openai",
            "product": None,
            "url": None,
        },
        address=_address("discord", "G1", channel="C9", interaction="tok-pending", user_id="U7"),
        attempts=3,
        error="provider down",
        finished_at=at(60),
        result={"reply": {"kind": "error", "text": "That did not work.", "actions": []}},
    ),
    _old_job(
        "job-discord-sent",
        "imagine",
        created=55,
        status="failed",
        payload={
            "prompt": "a lamp at noon",
            "template": "studio",
            "format": "square",
            "n": 1,
            "seed": 6,
            "provider": "openai",
            "product": None,
            "url": None,
        },
        address=_address("discord", "G1", channel="C9", interaction="tok-sent", user_id="U7"),
        attempts=3,
        error="provider down",
        finished_at=at(65),
        delivered_at=at(66),
        result={"reply": {"kind": "error", "text": "That did not work.", "actions": []}},
    ),
]


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def _write_revision_0001_data(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, "0001")
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(_accounts),
                [
                    {"id": ADA, "display_name": "Ada", "balance": 7, "created_at": T0},
                    {"id": GRACE, "display_name": "Grace", "balance": 0, "created_at": at(1)},
                ],
            )
            await connection.execute(
                sa.insert(_identities),
                [
                    {
                        "id": "idn-1",
                        "account_id": ADA,
                        "platform": "slack",
                        "tenant": "T1",
                        "user_id": "U1",
                        "display_name": "Ada",
                        "created_at": T0,
                    },
                    {
                        "id": "idn-2",
                        "account_id": GRACE,
                        "platform": "discord",
                        "tenant": "G1",
                        "user_id": "U7",
                        "display_name": "Grace",
                        "created_at": at(1),
                    },
                ],
            )
            await connection.execute(
                sa.insert(_ledger),
                [
                    {
                        "account_id": ADA,
                        "kind": "grant",
                        "amount": 10,
                        "idempotency_key": f"welcome:{ADA}",
                        "job_id": None,
                        "reason": "welcome",
                        "created_at": T0,
                    },
                    {
                        "account_id": ADA,
                        "kind": "reserve",
                        "amount": -2,
                        "idempotency_key": "reserve:job-imagine",
                        "job_id": "job-imagine",
                        "reason": "imagine",
                        "created_at": at(10),
                    },
                    {
                        "account_id": ADA,
                        "kind": "capture",
                        "amount": 0,
                        "idempotency_key": "capture:job-imagine",
                        "job_id": "job-imagine",
                        "reason": "",
                        "created_at": at(40),
                    },
                    {
                        "account_id": ADA,
                        "kind": "reserve",
                        "amount": -1,
                        "idempotency_key": "reserve:job-describe",
                        "job_id": "job-describe",
                        "reason": "describe",
                        "created_at": at(20),
                    },
                ],
            )
            await connection.execute(sa.insert(_jobs), OLD_JOBS)
            await connection.execute(
                sa.insert(_images).values(
                    id="img-1",
                    account_id=ADA,
                    job_id="job-imagine",
                    blob_key=f"images/{ADA}/img-1.png",
                    width=1080,
                    height=1350,
                    format="png",
                    template="marble",
                    format_name="portrait",
                    prompt="a mug on marble",
                    content_type="image/png",
                    created_at=at(40),
                )
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def upgraded(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """A database filled under revision 0001, then migrated as the bot does on start."""
    database_url = empty_database_url
    await _write_revision_0001_data(database_url)
    await migrate_async(database_url)
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _stored(uows: SqlUnitOfWorkFactory, job_id: str) -> Job:
    async with uows(readonly=True) as uow:
        found = await uow.jobs.get(job_id)
    assert found is not None
    return found


async def test_the_upgraded_database_has_exactly_the_current_schema(
    upgraded: AsyncEngine,
) -> None:
    async with upgraded.connect() as connection:
        assert await connection.run_sync(_revision) == HEAD
        assert await connection.run_sync(_differences) == []


async def test_balances_move_into_personal_wallets_with_their_ledger(
    upgraded: AsyncEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)
    async with uows() as uow:
        ada = await uow.accounts.get(ADA)
        grace = await uow.accounts.get(GRACE)
        wallet = await uow.wallets.get(f"wal_{ADA}")
        entries = await uow.ledger.recent(f"wal_{ADA}", 10)
        replayed = await uow.ledger.post(
            f"wal_{ADA}", Movement.RESERVE, -2, "reserve:job-imagine", at(100)
        )
        overdrawn = await uow.ledger.post(f"wal_{ADA}", Movement.RESERVE, -8, "reserve:x", at(100))

    assert ada is not None
    assert (ada.balance, ada.wallet_id, ada.display_name, ada.created_at) == (
        7,
        f"wal_{ADA}",
        "Ada",
        T0,
    )
    assert grace is not None
    assert (grace.balance, grace.wallet_id) == (0, f"wal_{GRACE}")
    assert wallet is not None
    assert (wallet.kind, wallet.account_id, wallet.balance, wallet.created_at) == (
        WalletKind.PERSONAL,
        ADA,
        7,
        T0,
    )
    assert [(e.idempotency_key, e.amount) for e in entries] == [
        ("reserve:job-describe", -1),
        ("capture:job-imagine", 0),
        ("reserve:job-imagine", -2),
        (f"welcome:{ADA}", 10),
    ]
    assert {(e.wallet_id, e.account_id) for e in entries} == {(f"wal_{ADA}", ADA)}
    assert sum(e.amount for e in entries) == 7
    assert (replayed, overdrawn) == (PostResult.DUPLICATE, PostResult.INSUFFICIENT)


async def test_identities_keep_their_accounts_under_the_tenant_as_namespace(
    upgraded: AsyncEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)
    async with uows() as uow:
        slack = await uow.accounts.find(Identity("slack", "T1", "U1"))
        discord, created = await uow.accounts.ensure(Identity("discord", "G1", "U7"), "G", at(99))
        elsewhere = await uow.accounts.find(Identity("slack", "T2", "U1"))

    assert slack is not None
    assert slack.id == ADA
    assert (discord.id, created) == (GRACE, False)
    assert elsewhere is None


async def test_a_terminal_job_gets_its_route_and_a_typed_payload_and_its_reply_loads(
    upgraded: AsyncEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)

    stored = await _stored(uows, "job-imagine")

    assert stored.payload == ImaginePayload(
        prompt="a mug on marble",
        template="marble",
        format="portrait",
        n=2,
        seed=918273645,
        provider="studio",
        product=Product(
            name="Marble Mug",
            brand="Ada & Co",
            description="Stoneware, 350 ml.",
            price="24.90",
            currency="EUR",
            url="https://shop.example/mug",
            image_urls=("https://shop.example/mug.png",),
        ),
        url="https://shop.example/mug",
        source=SourceRef(key=f"uploads/{ADA}/job-imagine.png", width=800, height=600, alpha=True),
    )
    assert (stored.wallet_id, stored.status, stored.cost) == (
        f"wal_{ADA}",
        JobStatus.SUCCEEDED,
        2,
    )
    assert stored.address == ReplyAddress(
        "console", endpoint="term_abc", fields={"tenant": "local", "user_id": "ada"}
    )
    assert stored.route == "console/term_abc"
    assert stored.result["images"] == ["img-1"]
    assert reply_from_data(stored.result["reply"]) == Images(
        text="Here are 2 images.",
        images=(
            ImageOut(
                id="img-1",
                link="https://aioe.example/i/img-1?t=sig",
                width=1080,
                height=1350,
                encoding="png",
            ),
        ),
    )


async def test_describe_and_reformat_jobs_get_typed_payloads(upgraded: AsyncEngine) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)

    describe = await _stored(uows, "job-describe")
    reformat = await _stored(uows, "job-reformat")

    assert describe.payload == DescribePayload(
        source=SourceRef(key=f"uploads/{ADA}/job-describe.png", width=640, height=480)
    )
    assert describe.address == ReplyAddress(
        "slack", fields={"tenant": "T1", "channel": "C1", "thread": "171.5", "user_id": "U1"}
    )
    assert (describe.route, describe.address.endpoint) == ("slack", "")
    assert isinstance(reformat.payload, ReformatPayload)
    assert (reformat.payload.image_id, reformat.payload.format) == ("img-1", "story")
    assert reformat.payload.original.source == SourceRef(
        key=f"uploads/{ADA}/job-imagine.png", width=800, height=600, alpha=True
    )
    assert (reformat.payload.original.n, reformat.payload.original.seed) == (1, 918273645)
    assert reformat.route == "console/term_abc"


async def test_an_interaction_token_becomes_a_secret_of_an_undelivered_reply(
    upgraded: AsyncEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)

    stored = await _stored(uows, "job-discord")

    assert stored.address == ReplyAddress(
        "discord",
        fields={"tenant": "G1", "channel": "C9", "user_id": "U7"},
        secrets={"interaction": "tok-pending"},
    )
    assert stored.route == "discord"
    assert reply_from_data(stored.result["reply"]) == Error("That did not work.")


async def test_a_reply_delivered_before_the_upgrade_keeps_no_interaction_token(
    upgraded: AsyncEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)

    stored = await _stored(uows, "job-discord-sent")

    assert stored.delivered_at == at(66)
    assert stored.address.secrets == {}
    assert "interaction" not in stored.address.fields


async def test_migrated_jobs_take_part_in_claims_the_outbox_and_orphan_upkeep(
    upgraded: AsyncEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(upgraded)
    now = at(3600)
    async with uows() as uow:
        claimed = await uow.jobs.claim("worker", now, 60, ("slack",))
        terminal_due = await uow.jobs.outbox(("console/term_abc",), now, now, 10)
        discord_due = await uow.jobs.outbox(("discord",), now, now, 10)
        orphans = [each.id for each in await uow.jobs.orphaned(now)]
        delivery = await uow.jobs.claim_delivery("job-discord", "sender", now, 30)
        delivered = await uow.jobs.mark_delivered("job-discord", "sender", now)
        began = await uow.requests.begin(
            "k1", ADA, "req", now, now + timedelta(minutes=2), now - timedelta(days=1)
        )
        image = await uow.images.get("img-1")

    assert claimed is not None
    assert (claimed.id, claimed.attempts) == ("job-describe", 1)
    assert (terminal_due, discord_due) == (["job-imagine"], ["job-discord"])
    assert orphans == ["job-reformat"]
    assert delivery is not None
    assert delivered
    assert began
    assert image is not None
    assert image.blob_key == f"images/{ADA}/img-1.png"
