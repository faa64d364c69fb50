"""Everything privacy keeps, and everything of one account: to export it or to erase it.

Every table is listed here once: in ``PERSONAL`` (rows of one account, exported in the
file named and erased) or in ``NOT_PERSONAL`` (with the reason it holds nobody's data).
A test fails when a table is missing from both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    String,
    Table,
    and_,
    cast,
    delete,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.accounts import personal_wallet_id
from adapters.sql.images import to_image
from adapters.sql.jobs import to_job
from adapters.sql.tables import (
    access_log,
    accounts,
    analytics_events,
    confirmations,
    consents,
    exports,
    identities,
    images,
    jobs,
    ledger,
    member_wallets,
    payment_customers,
    privacy_requests,
    purchases,
    requests,
    slack_installations,
    wallets,
)
from core.credits import WELCOME_PREFIX
from core.model import (
    Consent,
    ExportRecord,
    ImageRecord,
    Job,
    PrivacyRequest,
    RequestKind,
    WalletKind,
)

#: Tables that hold one account's rows: the export file they go to. Erasure deletes them
#: all, except the ledger and wallets, whose bookkeeping rows move to a pseudonym.
PERSONAL: Mapping[str, str] = {
    "accounts": "profile.json",
    "identities": "identities.json",
    "wallets": "credits.json",
    "ledger": "credits.json",
    "jobs": "generations.json",
    "images": "generations.json",
    "requests": "requests.json",
    "consents": "consents.json",
    "analytics_events": "analytics.json",
    "access_log": "access_log.json",
    "privacy_requests": "privacy_requests.json",
    "exports": "privacy_requests.json",
    "confirmations": "privacy_requests.json",
    "slack_installations": "identities.json",  # the installer's user id and token
    "payment_customers": "billing.json",
    "purchases": "billing.json",
    "member_wallets": "credits.json",
}
#: Tables that hold nobody's personal data, and why.
NOT_PERSONAL: Mapping[str, str] = {
    "endpoints": "leases of terminal sessions by random route name",
    "slack_bots": "a workspace's bot token and bot user: the tenant's, not a person's",
    "slack_oauth_states": "random OAuth state values that expire in minutes",
    "alembic_version": "the schema revision",
    "payment_events": "payment providers' event ids and kinds, to apply each once",
    "team_settings": "a workspace's or server's rules for its shared credits",
}
#: What an erasure touches, for the reclaiming of disk space afterwards.
ERASED_TABLES = tuple(PERSONAL)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _plain(row: Row[Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        key: _iso(value) if isinstance(value, datetime) else value
        for key, value in row._mapping.items()
        if key not in drop
    }


def to_request(row: Row[Any]) -> PrivacyRequest:
    return PrivacyRequest(
        id=row.id,
        account_id=row.account_id,
        kind=RequestKind(row.kind),
        via=row.via,
        status=row.status,
        received_at=row.received_at,
        due_at=row.due_at,
        completed_at=row.completed_at,
    )


def to_export(row: Row[Any]) -> ExportRecord:
    return ExportRecord(
        id=row.id,
        account_id=row.account_id,
        blob_key=row.blob_key,
        size=row.size,
        created_at=row.created_at,
        expires_at=row.expires_at,
        job_id=row.job_id,
    )


class SqlPrivacyRepository:
    """Implements ``PrivacyRepository`` over one connection inside a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _run(self, statement: Any) -> Any:
        return await self._connection.execute(statement)

    # --- profile and state -----------------------------------------------------------
    async def set_profile(
        self, account_id: str, *, display_name: str | None = None, email: str | None = None
    ) -> None:
        values: dict[str, Any] = {}
        if display_name is not None:
            values["display_name"] = display_name
        if email is not None:
            values["email"] = email
        if values:
            await self._run(update(accounts).where(accounts.c.id == account_id).values(values))

    async def set_flags(
        self, account_id: str, *, restricted: bool | None = None, objected: bool | None = None
    ) -> None:
        values = {
            name: value
            for name, value in (("restricted", restricted), ("objected", objected))
            if value is not None
        }
        if values:
            await self._run(update(accounts).where(accounts.c.id == account_id).values(values))

    async def consent(
        self, account_id: str, purpose: str, granted: bool, policy_version: str, now: datetime
    ) -> None:
        await self._run(
            insert(consents).values(
                account_id=account_id,
                purpose=purpose,
                granted=granted,
                policy_version=policy_version,
                created_at=now,
            )
        )
        if purpose == "analytics":
            await self._run(
                update(accounts).where(accounts.c.id == account_id).values(analytics=granted)
            )

    async def consents(self, account_id: str) -> list[Consent]:
        rows = await self._run(
            select(consents)
            .where(consents.c.account_id == account_id)
            .order_by(consents.c.created_at, consents.c.id)
        )
        return [Consent(r.purpose, r.granted, r.policy_version, r.created_at) for r in rows]

    async def saw_policy(self, account_id: str, version: str) -> bool:
        changed = await self._run(
            update(accounts)
            .where(
                accounts.c.id == account_id,
                or_(accounts.c.policy_version.is_(None), accounts.c.policy_version != version),
            )
            .values(policy_version=version)
        )
        return bool(changed.rowcount)

    async def count_usage(self, account_id: str, event: str, platform: str, now: datetime) -> None:
        await self._run(
            insert(analytics_events).values(
                account_id=account_id, event=event, platform=platform, created_at=now
            )
        )

    async def log_access(
        self,
        account_id: str,
        kind: str,
        action: str,
        now: datetime,
        *,
        target: str = "",
        network: str = "",
        client: str = "",
    ) -> None:
        await self._run(
            insert(access_log).values(
                account_id=account_id,
                kind=kind,
                action=action,
                target=target,
                network=network,
                client=client,
                created_at=now,
            )
        )

    # --- requests ----------------------------------------------------------------------
    async def add_request(self, request: PrivacyRequest) -> None:
        await self._run(
            insert(privacy_requests).values(
                id=request.id,
                account_id=request.account_id,
                kind=request.kind.value,
                via=request.via,
                status=request.status,
                received_at=request.received_at,
                due_at=request.due_at,
                completed_at=request.completed_at,
            )
        )

    async def complete_requests(self, account_id: str, kind: str, now: datetime) -> int:
        done = await self._run(
            update(privacy_requests)
            .where(
                privacy_requests.c.account_id == account_id,
                privacy_requests.c.kind == kind,
                privacy_requests.c.status == "open",
            )
            .values(status="done", completed_at=now)
        )
        return int(done.rowcount or 0)

    async def open_requests(self) -> list[PrivacyRequest]:
        rows = await self._run(
            select(privacy_requests)
            .where(privacy_requests.c.status == "open")
            .order_by(privacy_requests.c.due_at, privacy_requests.c.id)
        )
        return [to_request(row) for row in rows]

    # --- exports -----------------------------------------------------------------------
    async def add_export(self, export: ExportRecord) -> None:
        await self._run(
            insert(exports).values(
                id=export.id,
                account_id=export.account_id,
                job_id=export.job_id,
                blob_key=export.blob_key,
                size=export.size,
                created_at=export.created_at,
                expires_at=export.expires_at,
            )
        )

    async def export(self, export_id: str) -> ExportRecord | None:
        row = (await self._run(select(exports).where(exports.c.id == export_id))).first()
        return None if row is None else to_export(row)

    async def latest_export(self, account_id: str) -> ExportRecord | None:
        row = (
            await self._run(
                select(exports)
                .where(exports.c.account_id == account_id)
                .order_by(exports.c.created_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else to_export(row)

    async def expired_exports(self, now: datetime) -> list[ExportRecord]:
        rows = await self._run(select(exports).where(exports.c.expires_at <= now))
        return [to_export(row) for row in rows]

    async def delete_export(self, export_id: str) -> None:
        await self._run(delete(exports).where(exports.c.id == export_id))

    # --- confirmations -------------------------------------------------------------------
    async def put_confirmation(
        self, account_id: str, purpose: str, code_hash: str, expires_at: datetime
    ) -> None:
        where = and_(confirmations.c.account_id == account_id, confirmations.c.purpose == purpose)
        await self._run(delete(confirmations).where(where))
        await self._run(
            insert(confirmations).values(
                account_id=account_id, purpose=purpose, code_hash=code_hash, expires_at=expires_at
            )
        )

    async def take_confirmation(self, account_id: str, purpose: str) -> tuple[str, datetime] | None:
        where = and_(confirmations.c.account_id == account_id, confirmations.c.purpose == purpose)
        row = (await self._run(select(confirmations).where(where))).first()
        if row is None:
            return None
        await self._run(delete(confirmations).where(where))
        return row.code_hash, row.expires_at

    async def purge_confirmations(self, now: datetime) -> int:
        gone = await self._run(delete(confirmations).where(confirmations.c.expires_at <= now))
        return int(gone.rowcount or 0)

    async def purge_access_log(self, before: datetime) -> int:
        restricted = select(accounts.c.id).where(accounts.c.restricted.is_(True))
        gone = await self._run(
            delete(access_log).where(
                access_log.c.created_at < before, access_log.c.account_id.not_in(restricted)
            )
        )
        return int(gone.rowcount or 0)

    # --- one account, whole ------------------------------------------------------------
    async def jobs_of(self, account_id: str) -> list[Job]:
        rows = await self._run(
            select(jobs).where(jobs.c.account_id == account_id).order_by(jobs.c.created_at)
        )
        return [to_job(row) for row in rows]

    async def images_of(self, account_id: str) -> list[ImageRecord]:
        rows = await self._run(
            select(images).where(images.c.account_id == account_id).order_by(images.c.created_at)
        )
        return [to_image(row) for row in rows]

    async def existing_accounts(self, account_ids: set[str]) -> set[str]:
        if not account_ids:
            return set()
        rows = await self._run(
            select(accounts.c.id).where(
                accounts.c.id.in_(sorted(account_ids)), accounts.c.erased_at.is_(None)
            )
        )
        return {row.id for row in rows}

    async def _rows(self, table: Table, *where: Any, drop: tuple[str, ...] = ()) -> list[Any]:
        order = [c for c in ("created_at", "id") if c in table.c]
        rows = await self._run(select(table).where(*where).order_by(*(table.c[c] for c in order)))
        return [_plain(row, drop=drop) for row in rows]

    async def collect(self, account_id: str) -> dict[str, Any]:
        """Every row of the account, JSON-ready, by the export file it belongs in."""
        account = (await self._run(select(accounts).where(accounts.c.id == account_id))).first()
        wallet = personal_wallet_id(account_id)
        idents = await self._rows(identities, identities.c.account_id == account_id)
        installed = await self._installations(idents)
        return {
            "profile.json": None if account is None else _plain(account, drop=("erased_at",)),
            "identities.json": {"identities": idents, "slack_installations": installed},
            "credits.json": {
                "wallets": await self._rows(
                    wallets, or_(wallets.c.id == wallet, wallets.c.account_id == account_id)
                ),
                "movements": await self._rows(
                    ledger, or_(ledger.c.wallet_id == wallet, ledger.c.account_id == account_id)
                ),
                "team_choices": await self._rows(
                    member_wallets, member_wallets.c.account_id == account_id
                ),
            },
            "generations.json": {
                "jobs": await self._rows(
                    jobs,
                    jobs.c.account_id == account_id,
                    # Delivery bookkeeping and interaction tokens are the bot's, not yours.
                    drop=(
                        "address_secrets",
                        "secrets_expire_at",
                        "lease_owner",
                        "lease_expires_at",
                        "delivery_owner",
                        "delivery_lease_expires_at",
                        "route",
                        "endpoint",
                    ),
                ),
                "images": await self._rows(images, images.c.account_id == account_id),
            },
            "billing.json": {
                "customer": await self._rows(
                    payment_customers, payment_customers.c.account_id == account_id
                ),
                "purchases": await self._rows(purchases, purchases.c.account_id == account_id),
            },
            "requests.json": await self._rows(requests, requests.c.account_id == account_id),
            "consents.json": await self._rows(consents, consents.c.account_id == account_id),
            "analytics.json": await self._rows(
                analytics_events, analytics_events.c.account_id == account_id
            ),
            "access_log.json": await self._rows(access_log, access_log.c.account_id == account_id),
            "privacy_requests.json": {
                "requests": await self._rows(
                    privacy_requests, privacy_requests.c.account_id == account_id
                ),
                "exports": await self._rows(exports, exports.c.account_id == account_id),
                "pending_confirmations": await self._rows(
                    confirmations, confirmations.c.account_id == account_id, drop=("code_hash",)
                ),
            },
        }

    async def _installations(self, idents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Slack installs this person made (their user id is kept as the installer's)."""
        found: list[dict[str, Any]] = []
        for ident in idents:
            if ident["platform"] != "slack":
                continue
            rows = await self._run(
                select(
                    slack_installations.c.team_id,
                    slack_installations.c.team_name,
                    slack_installations.c.enterprise_id,
                    slack_installations.c.user_id,
                    slack_installations.c.user_scopes,
                    slack_installations.c.installed_at,
                ).where(_installer(ident["namespace"], ident["user_id"]))
            )
            for row in rows:
                data = _plain(row)
                data["installed_at"] = row.installed_at.isoformat() + "Z"
                found.append(data)
        return found

    async def erase(
        self,
        account_id: str,
        pseudonym: str,
        now: datetime,
        keeps_reason: Callable[[str], bool],
    ) -> dict[str, int]:
        """Delete the account and all its rows; its bookkeeping rows (ledger, the balance
        they add up to) move to ``pseudonym``, a new account that is nobody's."""
        counts: dict[str, int] = {}

        async def gone(table: Table, *where: Any) -> None:
            result = await self._run(delete(table).where(*where))
            counts[table.name] = counts.get(table.name, 0) + int(result.rowcount or 0)

        wallet = personal_wallet_id(account_id)
        new_wallet = personal_wallet_id(pseudonym)
        balance = (
            await self._run(select(wallets.c.balance).where(wallets.c.id == wallet))
        ).scalar_one_or_none()
        await self._run(
            insert(accounts).values(
                id=pseudonym, display_name="", created_at=now, erased_at=now, policy_version=None
            )
        )
        await self._run(
            insert(wallets).values(
                id=new_wallet,
                kind=WalletKind.PERSONAL.value,
                account_id=pseudonym,
                balance=balance or 0,
                created_at=now,
            )
        )
        counts["ledger"] = await self._pseudonymise_ledger(
            account_id, wallet, pseudonym, keeps_reason
        )
        for ident in await self._rows(identities, identities.c.account_id == account_id):
            if ident["platform"] == "slack":
                await self._scrub_installer(ident["namespace"], ident["user_id"], counts)
        await gone(images, images.c.account_id == account_id)
        await gone(jobs, jobs.c.account_id == account_id)
        await gone(requests, requests.c.account_id == account_id)
        await gone(consents, consents.c.account_id == account_id)
        await gone(analytics_events, analytics_events.c.account_id == account_id)
        await gone(access_log, access_log.c.account_id == account_id)
        await gone(exports, exports.c.account_id == account_id)
        await gone(confirmations, confirmations.c.account_id == account_id)
        await gone(privacy_requests, privacy_requests.c.account_id == account_id)
        await gone(payment_customers, payment_customers.c.account_id == account_id)
        await gone(member_wallets, member_wallets.c.account_id == account_id)
        # Purchases are bookkeeping: they stay, with the pseudonym.
        await self._run(
            update(purchases).where(purchases.c.wallet_id == wallet).values(wallet_id=new_wallet)
        )
        await self._run(
            update(purchases)
            .where(purchases.c.account_id == account_id)
            .values(account_id=pseudonym)
        )
        await gone(identities, identities.c.account_id == account_id)
        await gone(wallets, wallets.c.id == wallet)
        await gone(accounts, accounts.c.id == account_id)
        return counts

    async def _pseudonymise_ledger(
        self, account_id: str, wallet: str, pseudonym: str, keeps_reason: Callable[[str], bool]
    ) -> int:
        """Move the account's movements to the pseudonym, a few statements whatever their
        number: keys that could name a job or the person become ``erased:<pseudonym>:<row>``
        (the welcome grant's keyed hash stays, to stop a second grant), job references go,
        free-text reasons not of the product's own go."""
        theirs = or_(ledger.c.wallet_id == wallet, ledger.c.account_id == account_id)
        reasons = (await self._run(select(ledger.c.reason).where(theirs).distinct())).scalars()
        dropped = sorted(reason for reason in reasons if not keeps_reason(reason))
        if dropped:
            await self._run(
                update(ledger).where(theirs, ledger.c.reason.in_(dropped)).values(reason="")
            )
        await self._run(
            update(ledger)
            .where(theirs, ~ledger.c.idempotency_key.startswith(WELCOME_PREFIX, autoescape=True))
            .values(idempotency_key=literal(f"erased:{pseudonym}:") + cast(ledger.c.id, String))
        )
        moved = await self._run(update(ledger).where(theirs).values(job_id=None))
        new_wallet = personal_wallet_id(pseudonym)
        await self._run(
            update(ledger).where(ledger.c.wallet_id == wallet).values(wallet_id=new_wallet)
        )
        await self._run(
            update(ledger).where(ledger.c.account_id == account_id).values(account_id=pseudonym)
        )
        return int(moved.rowcount or 0)

    async def _scrub_installer(self, namespace: str, user_id: str, counts: dict[str, int]) -> None:
        """The person installed the Slack app: the workspace keeps its bot, not their user
        id nor any user token."""
        scrubbed = await self._run(
            update(slack_installations)
            .where(_installer(namespace, user_id))
            .values(
                user_id="",
                user_token=None,
                user_refresh_token=None,
                user_scopes=None,
                user_token_expires_at=None,
            )
        )
        counts["slack_installations"] = counts.get("slack_installations", 0) + int(
            scrubbed.rowcount or 0
        )


def _installer(namespace: str, user_id: str) -> Any:
    return and_(
        slack_installations.c.user_id == user_id,
        or_(
            slack_installations.c.team_id == namespace,
            slack_installations.c.enterprise_id == namespace,
        ),
    )


class SqlDiskReclaimer:
    """Implements ``DiskReclaimer``: deleted rows leave the database files as well.

    SQLite connections run with ``secure_delete`` (deleted cells are zeroed); what the
    WAL still holds is checkpointed into the file and the WAL truncated. PostgreSQL keeps
    dead tuples until VACUUM, which runs here on each table touched (outside any
    transaction)."""

    def __init__(self, engine: AsyncEngine, attempts: int = 20) -> None:
        self._engine = engine
        self._attempts = attempts

    async def __call__(self) -> None:
        if self._engine.dialect.name == "sqlite":
            await self._checkpoint()
        elif self._engine.dialect.name == "postgresql":
            async with self._engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                for table in ERASED_TABLES:
                    await autocommit.execute(text(f'VACUUM "{table}"'))

    async def _checkpoint(self) -> None:
        """A truncating checkpoint; readers holding an old snapshot make it report busy,
        so it is tried again a few times (each reader's snapshot lasts one request)."""
        for _ in range(self._attempts):
            async with self._engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _, _ = await cursor.fetchone()
                await cursor.close()
            if not busy:
                return
            await asyncio.sleep(0.05)
