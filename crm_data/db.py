"""Opening bases and running units of work: one connection per base and process, a cursor each.

DuckDB connections are not thread-safe and Streamlit serves every session from its own thread,
so callers never share a cursor: `read` and `transaction` each hand out a fresh one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from crm_data.model import BaseLockedError, ConflictError, CrmError
from crm_data.schema import SCHEMA_VERSION, current_version, migrate

DEFAULT_DB_PATH = Path("data") / "crm.duckdb"

Connection = duckdb.DuckDBPyConnection

_connections: dict[str, Connection] = {}
_connections_lock = threading.Lock()


def default_db_path() -> Path:
    """`CRM_DB` from the environment, else data/crm.duckdb."""
    return Path(os.environ.get("CRM_DB") or DEFAULT_DB_PATH)


def open_base(path: str | Path) -> Connection:
    """A new connection to the base at path (created if missing), upgraded to the current schema.

    Raises BaseLockedError with a French message when another process holds the file.
    """
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise BaseLockedError(
                f"La base {target} est déjà ouverte par un autre programme "
                "(l'application ou une autre commande). Fermez-le puis réessayez."
            ) from exc
        raise CrmError(f"Impossible d'ouvrir la base {target} : {exc}") from exc
    version = current_version(con)
    if version > SCHEMA_VERSION:
        con.close()
        raise CrmError(
            f"La base {target} a été créée par une version plus récente de CRM Affaires "
            f"(schéma {version}, cette version connaît le schéma {SCHEMA_VERSION})."
        )
    migrate(con)
    return con


def shared_connection(path: str | Path) -> Connection:
    """The process's one connection to the base at path, opened on first use.

    Use a cursor per unit of work (`read`, `transaction`), never the connection itself.
    """
    key = str(Path(path).resolve()) if str(path) != ":memory:" else ":memory:"
    with _connections_lock:
        con = _connections.get(key)
        if con is None:
            con = open_base(path)
            _connections[key] = con
        return con


def close_shared(path: str | Path) -> None:
    """Close and forget the shared connection to path, if any (restores, tests)."""
    key = str(Path(path).resolve()) if str(path) != ":memory:" else ":memory:"
    with _connections_lock:
        con = _connections.pop(key, None)
    if con is not None:
        con.close()


@contextmanager
def read(con: Connection) -> Iterator[Connection]:
    """A fresh cursor for reading, closed afterwards."""
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


@contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    """A fresh cursor inside a transaction: committed on success, rolled back on any error.

    A write-write clash between two sessions becomes a ConflictError in French.
    """
    cur = con.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            # A failed COMMIT has already ended the transaction; ROLLBACK may then refuse.
            with suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
    except duckdb.TransactionException as exc:
        raise ConflictError(
            "Un autre utilisateur enregistrait la même fiche au même instant : "
            "rechargez-la et réessayez.",
            saved_by=None,
            saved_at=None,
        ) from exc
    finally:
        cur.close()
