"""The database side: SQLAlchemy tables, repositories, the unit of work and migrations."""

from adapters.sql.engine import create_engine, migrate, migrate_async
from adapters.sql.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory", "create_engine", "migrate", "migrate_async"]
