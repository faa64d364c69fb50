"""The database schema as SQLAlchemy Core tables; migrations mirror it exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    Naive values are refused on the way in; values come back aware and in UTC
    (SQLite keeps no offset, so they are stored as naive UTC and tagged on reading).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime given where an aware UTC time is needed: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _account_fk(nullable: bool = False) -> sa.Column[str]:
    return sa.Column("account_id", sa.String(), sa.ForeignKey("accounts.id"), nullable=nullable)


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("display_name", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # Profile and privacy state (DESIGN §7): what the person set, and what they were told.
    sa.Column("email", sa.String(), nullable=True),
    sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("objected", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("analytics", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("policy_version", sa.String(), nullable=True),
    # Set on the pseudonym that keeps an erased person's bookkeeping rows: nobody's account.
    sa.Column("erased_at", UtcDateTime(), nullable=True),
)

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    _account_fk(),
    sa.Column("platform", sa.String(), nullable=False),
    sa.Column("namespace", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("display_name", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("platform", "namespace", "user_id"),
    sa.Index("ix_identities_account_id", "account_id"),
)

wallets = sa.Table(
    "wallets",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), nullable=False),
    # A personal wallet's account; a team wallet's platform and tenant.
    _account_fk(nullable=True),
    sa.Column("platform", sa.String(), nullable=True),
    sa.Column("tenant", sa.String(), nullable=True),
    # Below zero only after a refund took back credits already spent (the ledger refuses
    # every spending movement that would go there).
    sa.Column("balance", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # Set while a payment into the wallet is disputed: nothing may be spent from it.
    sa.Column("frozen_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint(
        "(kind = 'personal' AND account_id IS NOT NULL AND platform IS NULL AND tenant IS NULL)"
        " OR (kind = 'team' AND account_id IS NULL AND platform IS NOT NULL"
        " AND tenant IS NOT NULL)",
        name="owner_fits_kind",
    ),
    sa.UniqueConstraint("account_id"),
    sa.UniqueConstraint("platform", "tenant"),
)

ledger = sa.Table(
    "ledger",
    metadata,
    # BIGINT on PostgreSQL; SQLite only auto-numbers a column declared INTEGER PRIMARY KEY.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("wallet_id", sa.String(), sa.ForeignKey("wallets.id"), nullable=False),
    _account_fk(nullable=True),  # whose action it was, where a person's
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("idempotency_key", sa.String(), nullable=False),
    sa.Column("job_id", sa.String(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("idempotency_key"),
    sa.Index("ix_ledger_wallet_id_id", "wallet_id", "id"),
    sa.Index("ix_ledger_account_id", "account_id"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    _account_fk(),
    sa.Column("wallet_id", sa.String(), sa.ForeignKey("wallets.id"), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    # Where the reply goes: ``route`` picks the workers that can deliver it; ``endpoint``
    # is set for process-local endpoints (a terminal), whose lease says they are alive.
    sa.Column("route", sa.String(), nullable=False),
    sa.Column("endpoint", sa.String(), nullable=False, server_default=sa.text("''")),
    sa.Column("address", sa.JSON(), nullable=False),
    sa.Column("address_final", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("address_secrets", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("secrets_expire_at", UtcDateTime(), nullable=True),
    sa.Column("cost", sa.Integer(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("max_attempts", sa.Integer(), nullable=False),
    sa.Column("run_after", UtcDateTime(), nullable=True),
    sa.Column("lease_owner", sa.String(), nullable=True),
    sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
    sa.Column("error", sa.Text(), nullable=False),
    sa.Column("result", sa.JSON(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    # The outbox: the final reply's delivery, claimed under a lease of its own.
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("delivery_owner", sa.String(), nullable=True),
    sa.Column("delivery_lease_expires_at", UtcDateTime(), nullable=True),
    sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("deliver_after", UtcDateTime(), nullable=True),
    # Set when the reply can never be delivered (the workspace or server removed the
    # bot, or every attempt failed for a day): the outbox stops trying.
    sa.Column("undeliverable_at", UtcDateTime(), nullable=True),
    # The workspace or server the request came from (tenant removal finds its jobs).
    sa.Column("tenant", sa.String(), nullable=False, server_default=sa.text("''")),
    sa.Index("ix_jobs_route_status_run_after", "route", "status", "run_after"),
    sa.Index("ix_jobs_route_delivered_at", "route", "delivered_at"),
    sa.Index("ix_jobs_endpoint_status", "endpoint", "status"),
    sa.Index("ix_jobs_account_id", "account_id"),
)

images = sa.Table(
    "images",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    _account_fk(),
    sa.Column("job_id", sa.String(), nullable=False),
    sa.Column("blob_key", sa.String(), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("format", sa.String(), nullable=False),
    sa.Column("template", sa.String(), nullable=False),
    sa.Column("format_name", sa.String(), nullable=False),
    sa.Column("prompt", sa.Text(), nullable=False),
    sa.Column("content_type", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_images_account_id_created_at", "account_id", "created_at"),
)

requests = sa.Table(
    "requests",
    metadata,
    # A hash of platform, account and the platform's delivery id: no personal data.
    sa.Column("key", sa.String(), primary_key=True),
    _account_fk(),
    sa.Column("owner", sa.String(), nullable=False),
    sa.Column("answer", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("lease_expires_at", UtcDateTime(), nullable=False),
    sa.Index("ix_requests_account_id", "account_id"),
    sa.Index("ix_requests_created_at", "created_at"),
)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    _account_fk(),
    sa.Column("purpose", sa.String(), nullable=False),
    sa.Column("granted", sa.Boolean(), nullable=False),
    sa.Column("policy_version", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_consents_account_id", "account_id"),
)

analytics_events = sa.Table(
    "analytics_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    _account_fk(),
    sa.Column("event", sa.String(), nullable=False),
    sa.Column("platform", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_analytics_events_account_id", "account_id"),
)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    _account_fk(),
    # ``link`` (an image or export link was opened) or ``privacy`` (a privacy action).
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=False, server_default=sa.text("''")),
    # Coarse client facts only: the network prefix (/24, /48) and the kind of client.
    sa.Column("network", sa.String(), nullable=False, server_default=sa.text("''")),
    sa.Column("client", sa.String(), nullable=False, server_default=sa.text("''")),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_access_log_account_id", "account_id"),
    sa.Index("ix_access_log_created_at", "created_at"),
)

privacy_requests = sa.Table(
    "privacy_requests",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    # Empty once the request was an erasure that has been carried out.
    _account_fk(nullable=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("via", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("completed_at", UtcDateTime(), nullable=True),
    sa.Index("ix_privacy_requests_account_id", "account_id"),
    sa.Index("ix_privacy_requests_status_due_at", "status", "due_at"),
)

exports = sa.Table(
    "exports",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    _account_fk(),
    sa.Column("job_id", sa.String(), nullable=True),
    sa.Column("blob_key", sa.String(), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index("ix_exports_account_id_created_at", "account_id", "created_at"),
)

confirmations = sa.Table(
    "confirmations",
    metadata,
    # One pending confirmation per account and purpose; the code is kept only as a hash.
    sa.Column("account_id", sa.String(), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("purpose", sa.String(), primary_key=True),
    sa.Column("code_hash", sa.String(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

team_settings = sa.Table(
    "team_settings",
    metadata,
    # A team wallet's rules: whether members may spend it, and a monthly cap per member.
    sa.Column("wallet_id", sa.String(), sa.ForeignKey("wallets.id"), primary_key=True),
    sa.Column("sharing", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("member_cap", sa.Integer(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

member_wallets = sa.Table(
    "member_wallets",
    metadata,
    # Which credits a person spends in a workspace or server: ``team`` or ``personal``.
    sa.Column("account_id", sa.String(), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("platform", sa.String(), primary_key=True),
    sa.Column("tenant", sa.String(), primary_key=True),
    sa.Column("source", sa.String(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

payment_events = sa.Table(
    "payment_events",
    metadata,
    # Each provider event applied once; ids and kinds only.
    sa.Column("provider", sa.String(), primary_key=True),
    sa.Column("event_id", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

payment_customers = sa.Table(
    "payment_customers",
    metadata,
    # Only the provider's customer id and the subscription's id and status (DESIGN §6).
    sa.Column("account_id", sa.String(), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("provider", sa.String(), nullable=False),
    sa.Column("customer_id", sa.String(), nullable=False),
    sa.Column("subscription_id", sa.String(), nullable=False, server_default=sa.text("''")),
    sa.Column("subscription_status", sa.String(), nullable=False, server_default=sa.text("''")),
    # When the provider made the event the status comes from: an older one arriving late
    # does not overwrite a newer one.
    sa.Column("status_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

purchases = sa.Table(
    "purchases",
    metadata,
    sa.Column("purchase", sa.String(), primary_key=True),
    sa.Column("provider", sa.String(), nullable=False),
    _account_fk(nullable=True),
    sa.Column("wallet_id", sa.String(), sa.ForeignKey("wallets.id"), nullable=False),
    # What refunds and disputes name (Stripe: the payment intent).
    sa.Column("charge", sa.String(), nullable=False, server_default=sa.text("''")),
    sa.Column("credits", sa.Integer(), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("refunded", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("credits_back", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_purchases_provider_charge", "provider", "charge"),
    sa.Index("ix_purchases_account_id", "account_id"),
)

endpoints = sa.Table(
    "endpoints",
    metadata,
    sa.Column("route", sa.String(), primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)


# Slack installs (several workspaces over OAuth), built by slack_sdk's own builders so its
# stores' queries fit them. Their timestamps are naive UTC, as slack_sdk writes them; their
# primary keys take our names, their indexes keep the names slack_sdk gives them.
#: Columns holding secrets, stored as Fernet ciphertext (``adapters.slack.installs``).
SLACK_BOT_SECRETS = ("bot_token", "bot_refresh_token")
SLACK_INSTALLATION_SECRETS = (
    *SLACK_BOT_SECRETS,
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


def _as_text(table: sa.Table, names: tuple[str, ...]) -> sa.Table:
    """Ciphertext is about 2.2 times as long as its token plus 80 characters: more than the
    builders' VARCHAR(200), which PostgreSQL enforces, holds for a rotating token."""
    for name in names:
        table.c[name].type = sa.Text()
    return table


slack_installations = _as_text(
    AsyncSQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations"),
    SLACK_INSTALLATION_SECRETS,
)
slack_bots = _as_text(
    AsyncSQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots"), SLACK_BOT_SECRETS
)
slack_oauth_states = AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(
    metadata, "slack_oauth_states"
)
