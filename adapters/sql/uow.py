"""The unit of work: one connection, one transaction, a repository for each table group."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.accounts import SqlAccountRepository
from adapters.sql.endpoints import SqlEndpointRepository
from adapters.sql.engine import READONLY_OPTION
from adapters.sql.images import SqlImageRepository
from adapters.sql.jobs import SqlJobRepository
from adapters.sql.ledger import SqlLedgerRepository
from adapters.sql.payments import SqlPaymentRepository
from adapters.sql.privacy import SqlPrivacyRepository
from adapters.sql.requests import SqlRequestRepository
from adapters.sql.wallets import SqlWalletRepository
from core.ports import (
    AccountRepository,
    EndpointRepository,
    ImageRepository,
    JobRepository,
    LedgerRepository,
    PaymentRepository,
    PrivacyRepository,
    RequestRepository,
    WalletRepository,
)


class SqlUnitOfWork:
    """One database transaction: ``commit()`` keeps the work, leaving without it undoes it.

    After a ``commit()`` the same unit may go on working; the next statement starts a new
    transaction, which is again rolled back on exit unless committed.

    A ``readonly`` unit refuses writes (the database raises) and never waits for a
    writer: on SQLite it begins a deferred transaction instead of taking the write lock,
    on PostgreSQL its transactions are ``READ ONLY``. Committing it is harmless.
    """

    accounts: AccountRepository
    wallets: WalletRepository
    ledger: LedgerRepository
    jobs: JobRepository
    images: ImageRepository
    requests: RequestRepository
    endpoints: EndpointRepository
    privacy: PrivacyRepository
    payments: PaymentRepository

    def __init__(self, engine: AsyncEngine, readonly: bool = False) -> None:
        self._engine = engine
        self.readonly = readonly
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        connection = await self._engine.connect()
        try:
            if self.readonly:
                await connection.execution_options(**_readonly_options(connection))
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.accounts = SqlAccountRepository(connection)
        self.wallets = SqlWalletRepository(connection)
        self.ledger = SqlLedgerRepository(connection)
        self.jobs = SqlJobRepository(connection)
        self.images = SqlImageRepository(connection)
        self.requests = SqlRequestRepository(connection)
        self.endpoints = SqlEndpointRepository(connection)
        self.privacy = SqlPrivacyRepository(connection)
        self.payments = SqlPaymentRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            await connection.close()

    async def commit(self) -> None:
        if self._connection is None:
            raise RuntimeError("commit() outside 'async with' of the unit of work")
        await self._connection.commit()


class SqlUnitOfWorkFactory:
    """Makes a fresh :class:`SqlUnitOfWork` over one engine for each call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly)


def _readonly_options(connection: AsyncConnection) -> dict[str, bool]:
    if connection.dialect.name == "postgresql":
        # A connection characteristic: every transaction of this checkout is READ ONLY,
        # and the pool resets it when the connection goes back.
        return {"postgresql_readonly": True}
    # Read by the SQLite engine's "begin" listener.
    return {READONLY_OPTION: True}
