"""Identities by namespace, wallets, routed jobs with a leased outbox, request keys,
endpoint leases, typed job payloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
_TERMINAL_QUEUE = "console:"


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch:
        batch.drop_constraint("uq_identities_platform_tenant_user_id", type_="unique")
        batch.alter_column("tenant", new_column_name="namespace", existing_type=sa.String())
    with op.batch_alter_table("identities") as batch:
        batch.create_unique_constraint(
            "uq_identities_platform_namespace_user_id", ["platform", "namespace", "user_id"]
        )
    _wallets()
    _ledger()
    _jobs()
    _requests_and_endpoints()


def downgrade() -> None:
    raise RuntimeError(
        "revision 0002 moves balances into wallets and rewrites job payloads; it cannot be "
        "undone in place: restore the database backup taken before the upgrade"
    )


def _wallets() -> None:
    op.create_table(
        "wallets",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=True),
        sa.Column("platform", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("balance", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_wallets_balance_not_negative")),
        sa.CheckConstraint(
            "(kind = 'personal' AND account_id IS NOT NULL AND platform IS NULL AND tenant IS NULL)"
            " OR (kind = 'team' AND account_id IS NULL AND platform IS NOT NULL"
            " AND tenant IS NOT NULL)",
            name=op.f("ck_wallets_owner_fits_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_wallets_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_wallets"),
        sa.UniqueConstraint("account_id", name="uq_wallets_account_id"),
        sa.UniqueConstraint("platform", "tenant", name="uq_wallets_platform_tenant"),
    )
    op.execute(
        "INSERT INTO wallets (id, kind, account_id, balance, created_at) "
        "SELECT 'wal_' || id, 'personal', id, balance, created_at FROM accounts"
    )
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint(op.f("ck_accounts_balance_not_negative"), type_="check")
        batch.drop_column("balance")


def _ledger() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("wallet_id", sa.String(), nullable=True))
    op.execute("UPDATE ledger SET wallet_id = 'wal_' || account_id")
    with op.batch_alter_table("ledger") as batch:
        batch.alter_column("wallet_id", existing_type=sa.String(), nullable=False)
        batch.alter_column("account_id", existing_type=sa.String(), nullable=True)
        batch.create_foreign_key("fk_ledger_wallet_id_wallets", "wallets", ["wallet_id"], ["id"])
        batch.drop_index("ix_ledger_account_id_id")
        batch.create_index("ix_ledger_wallet_id_id", ["wallet_id", "id"])
        batch.create_index("ix_ledger_account_id", ["account_id"])


def _jobs() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_queue_status_run_after")
        batch.add_column(sa.Column("wallet_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("route", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("endpoint", sa.String(), nullable=False, server_default=sa.text("''"))
        )
        batch.add_column(
            sa.Column("address_final", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("address_secrets", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("secrets_expire_at", TIME, nullable=True))
        batch.add_column(sa.Column("delivery_owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("delivery_lease_expires_at", TIME, nullable=True))
        batch.add_column(
            sa.Column(
                "delivery_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
        batch.add_column(sa.Column("deliver_after", TIME, nullable=True))
    _rewrite_jobs()
    op.execute("UPDATE jobs SET address_secrets = NULL WHERE delivered_at IS NOT NULL")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("queue")
        batch.alter_column("wallet_id", existing_type=sa.String(), nullable=False)
        batch.alter_column("route", existing_type=sa.String(), nullable=False)
        batch.create_foreign_key("fk_jobs_wallet_id_wallets", "wallets", ["wallet_id"], ["id"])
        batch.create_index("ix_jobs_route_status_run_after", ["route", "status", "run_after"])
        batch.create_index("ix_jobs_route_delivered_at", ["route", "delivered_at"])
        batch.create_index("ix_jobs_endpoint_status", ["endpoint", "status"])


def _rewrite_jobs() -> None:
    """Addresses, payloads and stored replies into their new shapes."""
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String()),
        sa.column("account_id", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("queue", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("address", sa.JSON()),
        sa.column("result", sa.JSON()),
        sa.column("wallet_id", sa.String()),
        sa.column("route", sa.String()),
        sa.column("endpoint", sa.String()),
        sa.column("address_secrets", sa.JSON(none_as_null=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            jobs.c.id,
            jobs.c.account_id,
            jobs.c.kind,
            jobs.c.queue,
            jobs.c.payload,
            jobs.c.address,
            jobs.c.result,
        )
    ).all()
    for row in rows:
        endpoint = (
            row.queue[len(_TERMINAL_QUEUE) :] if row.queue.startswith(_TERMINAL_QUEUE) else ""
        )
        address, secrets = _address(dict(row.address), endpoint)
        bind.execute(
            sa.update(jobs)
            .where(jobs.c.id == row.id)
            .values(
                wallet_id="wal_" + row.account_id,
                route=f"{address['platform']}/{endpoint}" if endpoint else address["platform"],
                endpoint=endpoint,
                address=address,
                address_secrets=secrets,
                payload=_payload(row.kind, dict(row.payload)),
                result=_result(dict(row.result)),
            )
        )


def _address(old: dict[str, Any], endpoint: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    fields = {
        name: str(old[name])
        for name in ("tenant", "channel", "thread", "message", "user_id")
        if old.get(name)
    }
    secrets = {"interaction": str(old["interaction"])} if old.get("interaction") else None
    return {
        "platform": old["platform"],
        "endpoint": endpoint,
        "fields": fields,
        "final": True,
    }, secrets


def _source(old: dict[str, Any]) -> dict[str, Any] | None:
    if not old.get("source_key"):
        return None
    width, height = old.get("source_size") or (0, 0)
    return {
        "key": old["source_key"],
        "width": int(width),
        "height": int(height),
        "alpha": bool(old.get("source_alpha")),
    }


def _imagine(old: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 1,
        "kind": "imagine",
        "prompt": str(old.get("prompt", "")),
        "template": old["template"],
        "format": old["format"],
        "n": int(old.get("n", 1)),
        "seed": int(old.get("seed", 0)),
        "provider": str(old.get("provider", "studio")),
        "product": old.get("product"),
        "url": old.get("url"),
        "source": _source(old),
    }


def _payload(kind: str, old: dict[str, Any]) -> dict[str, Any]:
    if kind == "describe":
        return {
            "version": 1,
            "kind": "describe",
            "product": old.get("product"),
            "url": old.get("url"),
            "source": _source(old),
        }
    if kind == "reformat":
        return {
            "version": 1,
            "kind": "reformat",
            "image_id": old["image_id"],
            "format": old["format"],
            "original": _imagine(old),
        }
    return _imagine(old)


def _result(old: dict[str, Any]) -> dict[str, Any]:
    """Stored replies lose their typed-command actions (new ones are data); images
    name their file type ``encoding``."""
    reply = old.get("reply")
    if not isinstance(reply, dict):
        return old
    reply = {**reply, "actions": []}
    if isinstance(reply.get("images"), list):
        reply["images"] = [
            {
                "part": "ImageOut",
                "id": image["id"],
                "link": image["link"],
                "width": image["width"],
                "height": image["height"],
                "encoding": image.get("format", "png"),
                "actions": [],
            }
            for image in reply["images"]
        ]
    return {**old, "reply": reply}


def _requests_and_endpoints() -> None:
    op.create_table(
        "requests",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("answer", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("lease_expires_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_requests_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("key", name="pk_requests"),
    )
    op.create_index("ix_requests_account_id", "requests", ["account_id"])
    op.create_index("ix_requests_created_at", "requests", ["created_at"])
    op.create_table(
        "endpoints",
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("route", name="pk_endpoints"),
    )
