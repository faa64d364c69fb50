"""Payments: events applied once, customers, purchases; wallets may be frozen, and may go
below zero when a refund takes back credits already spent; team wallets' rules and which
credits each member spends."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("wallets") as batch:
        batch.drop_constraint(op.f("ck_wallets_balance_not_negative"), type_="check")
        batch.add_column(sa.Column("frozen_at", TIME, nullable=True))
    op.create_table(
        "payment_events",
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name="pk_payment_events"),
    )
    op.create_table(
        "payment_customers",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("subscription_id", sa.String(), nullable=False, server_default=sa.text("''")),
        sa.Column("subscription_status", sa.String(), nullable=False, server_default=sa.text("''")),
        sa.Column("status_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_payment_customers_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_payment_customers"),
    )
    op.create_table(
        "purchases",
        sa.Column("purchase", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=True),
        sa.Column("wallet_id", sa.String(), nullable=False),
        sa.Column("charge", sa.String(), nullable=False, server_default=sa.text("''")),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("refunded", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("credits_back", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_purchases_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["wallets.id"], name="fk_purchases_wallet_id_wallets"
        ),
        sa.PrimaryKeyConstraint("purchase", name="pk_purchases"),
    )
    op.create_index("ix_purchases_provider_charge", "purchases", ["provider", "charge"])
    op.create_index("ix_purchases_account_id", "purchases", ["account_id"])
    op.create_table(
        "team_settings",
        sa.Column("wallet_id", sa.String(), nullable=False),
        sa.Column("sharing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("member_cap", sa.Integer(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["wallets.id"], name="fk_team_settings_wallet_id_wallets"
        ),
        sa.PrimaryKeyConstraint("wallet_id", name="pk_team_settings"),
    )
    op.create_table(
        "member_wallets",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_member_wallets_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", "platform", "tenant", name="pk_member_wallets"),
    )


def downgrade() -> None:
    op.drop_table("member_wallets")
    op.drop_table("team_settings")
    op.drop_table("purchases")
    op.drop_table("payment_customers")
    op.drop_table("payment_events")
    with op.batch_alter_table("wallets") as batch:
        batch.drop_column("frozen_at")
        batch.create_check_constraint("balance_not_negative", "balance >= 0")
