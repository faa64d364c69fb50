"""Privacy: profile and consent state on accounts, consents, analytics events, the access
log, privacy requests, exports, confirmations; welcome grants keyed by a keyed hash of the
identity instead of the identity itself; jobs know their tenant, and replies that can
never be delivered are marked so."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.identity import digest_key

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_LEGACY_WELCOME = "grant:welcome:"
_HASHED_WELCOME = "grant:welcome:h:"


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("email", sa.String(), nullable=True))
        for name in ("restricted", "objected", "analytics"):
            batch.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch.add_column(sa.Column("policy_version", sa.String(), nullable=True))
        batch.add_column(sa.Column("erased_at", TIME, nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("undeliverable_at", TIME, nullable=True))
        batch.add_column(
            sa.Column("tenant", sa.String(), nullable=False, server_default=sa.text("''"))
        )
    _tables()
    _hash_welcome_keys()


def downgrade() -> None:
    raise RuntimeError(
        "revision 0004 replaces identities in ledger keys by keyed hashes; it cannot be "
        "undone: restore the database backup taken before the upgrade"
    )


def _account() -> sa.Column[Any]:
    return sa.Column("account_id", sa.String(), nullable=False)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["accounts.id"], name=f"fk_{table}_account_id_accounts"
    )


def _tables() -> None:
    op.create_table(
        "consents",
        sa.Column("id", SERIAL, nullable=False),
        _account(),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _account_fk("consents"),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
    )
    op.create_index("ix_consents_account_id", "consents", ["account_id"])
    op.create_table(
        "analytics_events",
        sa.Column("id", SERIAL, nullable=False),
        _account(),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _account_fk("analytics_events"),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_events"),
    )
    op.create_index("ix_analytics_events_account_id", "analytics_events", ["account_id"])
    op.create_table(
        "access_log",
        sa.Column("id", SERIAL, nullable=False),
        _account(),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False, server_default=sa.text("''")),
        sa.Column("network", sa.String(), nullable=False, server_default=sa.text("''")),
        sa.Column("client", sa.String(), nullable=False, server_default=sa.text("''")),
        sa.Column("created_at", TIME, nullable=False),
        _account_fk("access_log"),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_account_id", "access_log", ["account_id"])
    op.create_index("ix_access_log_created_at", "access_log", ["created_at"])
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("completed_at", TIME, nullable=True),
        _account_fk("privacy_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_requests"),
    )
    op.create_index("ix_privacy_requests_account_id", "privacy_requests", ["account_id"])
    op.create_index("ix_privacy_requests_status_due_at", "privacy_requests", ["status", "due_at"])
    op.create_table(
        "exports",
        sa.Column("id", sa.String(), nullable=False),
        _account(),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("blob_key", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        _account_fk("exports"),
        sa.PrimaryKeyConstraint("id", name="pk_exports"),
    )
    op.create_index("ix_exports_account_id_created_at", "exports", ["account_id", "created_at"])
    op.create_table(
        "confirmations",
        _account(),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        _account_fk("confirmations"),
        sa.PrimaryKeyConstraint("account_id", "purpose", name="pk_confirmations"),
    )


def _hash_welcome_keys() -> None:
    """``grant:welcome:<platform>:<namespace>:<user>`` → ``grant:welcome:h:<keyed hash>``.

    The hash needs the server's secret, which ``aioe migrate`` and the embedded start
    hand to the migration; a database holding no such keys migrates without it.
    """
    bind = op.get_bind()
    ledger = sa.table("ledger", sa.column("id"), sa.column("idempotency_key"))
    legacy = bind.execute(
        sa.select(ledger.c.id, ledger.c.idempotency_key).where(
            ledger.c.idempotency_key.like(f"{_LEGACY_WELCOME}%"),
            ~ledger.c.idempotency_key.like(f"{_HASHED_WELCOME}%"),
        )
    ).all()
    if not legacy:
        return
    secret = op.get_context().config.attributes.get("secret") if op.get_context().config else None
    if not secret:
        raise RuntimeError(
            "this database holds welcome grants keyed by identity; migrate it with "
            "`aioe migrate` (which knows the server's secret) to replace them by keyed hashes"
        )
    key = hmac.new(str(secret).encode(), b"aioe.identities", hashlib.sha256).digest()
    for row in legacy:
        identity = row.idempotency_key.removeprefix(_LEGACY_WELCOME)
        bind.execute(
            ledger.update()
            .where(ledger.c.id == row.id)
            .values(idempotency_key=f"{_HASHED_WELCOME}{digest_key(key, identity)}")
        )
