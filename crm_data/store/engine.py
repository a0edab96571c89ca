"""Which engine a base runs on, and the errors of both engines by what they mean.

crm_data speaks to DuckDB (a file) and PostgreSQL (a postgresql:// URL) through the same small
interface (crm_data.store.db.Connection); this module names what differs between them.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb
import pandas as pd
import psycopg

from crm_data.store.postgres import PgBase, PgCursor, is_url


class Connection(Protocol):
    """What crm_data uses of a base's connection or cursor: DuckDB's own, or a PgBase / PgCursor
    (crm_data.store.postgres) for a PostgreSQL base. SQL is written once for both; where the
    engines differ, crm_data.store.sql names a helper per engine (see dialect())."""

    def execute(self, query: str, parameters: object = None, /) -> Connection: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def df(self) -> pd.DataFrame: ...
    def register(self, view_name: str, python_object: object, /) -> Connection: ...
    def unregister(self, view_name: str, /) -> Connection: ...
    def cursor(self) -> Connection: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...
    @property
    def description(self) -> Any: ...


DUCKDB = "duckdb"
POSTGRESQL = "postgresql"

ENGINE_ERRORS: tuple[type[Exception], ...] = (duckdb.Error, psycopg.Error)
"""Any error of either engine."""

CONSTRAINT_ERRORS: tuple[type[Exception], ...] = (
    duckdb.ConstraintException,
    psycopg.IntegrityError,
)
"""A CHECK, NOT NULL, unique or foreign key refused by either engine."""

CONFLICT_ERRORS: tuple[type[Exception], ...] = (
    duckdb.TransactionException,
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
)
"""A write-write clash: DuckDB's conflict, PostgreSQL's serialization failure (REPEATABLE READ)
or deadlock."""


def is_duplicate_key(exc: BaseException) -> bool:
    """Whether a constraint error is a unique or primary key clash (either engine)."""
    return isinstance(exc, psycopg.errors.UniqueViolation) or "Duplicate key" in str(exc)


def dialect(con: object) -> str:
    """POSTGRESQL or DUCKDB: which engine a connection or cursor speaks to."""
    return POSTGRESQL if isinstance(con, (PgBase, PgCursor)) else DUCKDB


__all__ = [
    "CONFLICT_ERRORS",
    "CONSTRAINT_ERRORS",
    "DUCKDB",
    "ENGINE_ERRORS",
    "POSTGRESQL",
    "Connection",
    "dialect",
    "is_duplicate_key",
    "is_url",
]
