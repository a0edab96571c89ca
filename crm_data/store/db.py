"""Opening bases and running units of work: one connection per base and process, a cursor each.

DuckDB connections are not thread-safe and Streamlit serves every session from its own thread,
so callers never share a cursor: `read` and `transaction` each hand out a fresh one. Units of
work on a shared connection pass a per-base gate that a restore (or a reconnect after a fatal
error) takes alone, so nothing writes to, or reopens, a base while its file is swapped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import psycopg
import psycopg_pool

from crm_data.model import Actor, BaseLockedError, ConflictError, CrmError
from crm_data.store import pg_rights
from crm_data.store.engine import (
    CONFLICT_ERRORS,
    CONSTRAINT_ERRORS,
    ENGINE_ERRORS,
    POSTGRESQL,
    Connection,
    dialect,
    is_duplicate_key,
)
from crm_data.store.postgres import PgBase, is_url
from crm_data.store.schema import SCHEMA_VERSION, current_version, migrate

DEFAULT_DB_PATH = Path("data") / "crm.duckdb"

# Replaying a WAL written before the first checkpoint makes DuckDB install its built-in
# core_functions extension, a download that fails offline; autoloading must stay on, since
# the replay needs functions such as trim that live in that (bundled) extension.
OPEN_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False
}

BULK_MEMORY_LIMIT = os.environ.get("CRM_DUCKDB_BULK_MEMORY") or "512MB"
"""DuckDB's memory limit during a long write (bounded_memory); CRM_DUCKDB_BULK_MEMORY sets it."""
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
_UNITS.update({"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12})
_bulk_lock = threading.Lock()
_bulk_depth: dict[str, tuple[int, str]] = {}

RESTORE_WAIT_SECONDS = 5.0
"""How long a unit of work waits for a restore to end before it is refused."""
DRAIN_SECONDS = 10.0
"""How long a restore waits for running units of work, first before and then after
interrupting their queries."""

RESTORING = "Restauration en cours : réessayez dans un instant."
INTERRUPTED = "L'opération a été interrompue par une restauration de la base : réessayez."
OUT_OF_MEMORY = (
    "La base a manqué de mémoire : rien n'a été enregistré. Réessayez avec un fichier plus "
    "petit, ou donnez-lui plus de mémoire (CRM_DUCKDB_MEMORY_LIMIT)."
)
DISK_FULL = (
    "Le disque de la base est plein : rien n'a été enregistré. Libérez de la place, puis "
    "réessayez (aucune donnée déjà enregistrée n'est perdue)."
)
DISK_FULL_REOPEN = (
    "Le disque de la base est plein : la base va être rouverte. Libérez de la place, vérifiez "
    "que votre dernier enregistrement y figure, puis réessayez."
)


def target(value: str | Path) -> str | Path:
    """A CRM_DB or --db value as given: a postgresql:// URL stays text, anything else is a
    path."""
    return value if is_url(value) else Path(value)


__all__ = [
    "CONSTRAINT_ERRORS",
    "ENGINE_ERRORS",
    "Connection",
    "dialect",
    "is_duplicate_key",
    "is_url",
]


class RestoreInProgressError(CrmError):
    """The base is being restored (or reopened): the unit of work was not started."""


class _Gate:
    """Readers-writer gate of one base: units of work share it, a restore holds it alone."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.cond = threading.Condition()
        self.depth: dict[int, int] = {}
        self.cursors: set[Connection] = set()
        self.owner: int | None = None
        self.invalid = False

    def enter(self) -> None:
        me = threading.get_ident()
        with self.cond:
            # A thread already inside (a read nested in a transaction) is waited for by the
            # restore: blocking it would only stall both until the bound.
            waits = self.owner not in (None, me) and me not in self.depth
            if waits and not self.cond.wait_for(lambda: self.owner is None, RESTORE_WAIT_SECONDS):
                raise RestoreInProgressError(RESTORING)
            self.depth[me] = self.depth.get(me, 0) + 1

    def leave(self) -> None:
        me = threading.get_ident()
        with self.cond:
            self.depth[me] -= 1
            if not self.depth[me]:
                del self.depth[me]
            self.cond.notify_all()

    def _others_idle(self) -> bool:
        return not (self.depth.keys() - {threading.get_ident()})

    def take(self) -> None:
        """Hold the gate alone: new units of work wait; running ones get DRAIN_SECONDS to end,
        then their queries are interrupted and they get DRAIN_SECONDS more."""
        me = threading.get_ident()
        with self.cond:
            if not self.cond.wait_for(lambda: self.owner is None, RESTORE_WAIT_SECONDS):
                raise RestoreInProgressError(RESTORING)
            self.owner = me
            if self.cond.wait_for(self._others_idle, DRAIN_SECONDS):
                return
            for cur in list(self.cursors):
                with suppress(duckdb.Error):
                    cur.interrupt()
            if self.cond.wait_for(self._others_idle, DRAIN_SECONDS):
                return
            self.owner = None
            self.cond.notify_all()
        raise RestoreInProgressError(
            "Des opérations en cours sur la base n'ont pas pu être interrompues : rien n'a été "
            "modifié, réessayez dans un instant."
        )

    def release(self) -> None:
        with self.cond:
            self.owner = None
            self.cond.notify_all()

    def held_by_other(self) -> bool:
        return self.owner not in (None, threading.get_ident())


_connections: dict[str, Connection] = {}
_connections_lock = threading.Lock()
_gates: dict[str, _Gate] = {}
# Every shared connection ever handed out, by id, with its base's key: a page holding one from
# before a restore keeps working through the base's new connection. Kept alive so that ids are
# never reused.
_handed_out: dict[int, tuple[Connection, str]] = {}


def default_db_path() -> str | Path:
    """`CRM_DB` from the environment (a file path, or a postgresql:// URL), else
    data/crm.duckdb."""
    return target(os.environ.get("CRM_DB") or DEFAULT_DB_PATH)


def _pg_base(url: str) -> PgBase:
    try:
        return PgBase(url)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        raise CrmError(
            f"Impossible d'ouvrir la base PostgreSQL {_shown(url)} : le serveur ne répond pas "
            "ou refuse la connexion."
        ) from exc


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, rest = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{rest}"


def shown(value: str | Path) -> str:
    """A base's name for messages: a file's path as given, a URL without its password."""
    return _shown(str(value)) if is_url(value) else str(value)


def connect(path: str | Path, *, read_only: bool = False) -> Connection:
    """A raw connection to the file at path (created if missing), never fetching anything; for
    a postgresql:// URL, a PgBase (a pool) over that base. CRM_DUCKDB_MEMORY_LIMIT, when set,
    is DuckDB's memory limit (its default is 80 % of the machine's memory).

    Raises BaseLockedError with a French message when another process holds the file.
    """
    if is_url(path):
        return _pg_base(str(path))
    target = str(path)
    if target != ":memory:" and not read_only:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    config = dict(OPEN_CONFIG)
    if os.environ.get("CRM_DUCKDB_MEMORY_LIMIT"):
        config["memory_limit"] = os.environ["CRM_DUCKDB_MEMORY_LIMIT"]
    try:
        return duckdb.connect(target, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise BaseLockedError(
                f"La base {target} est déjà ouverte par un autre programme "
                "(l'application ou une autre commande). Fermez-le puis réessayez."
            ) from exc
        raise CrmError(f"Impossible d'ouvrir la base {target} : {exc}") from exc


def open_base(path: str | Path) -> Connection:
    """A new connection to the base at path (created if missing), upgraded to the current schema.

    Raises BaseLockedError with a French message when another process holds the file.
    """
    con = connect(path)
    if isinstance(con, PgBase):
        _migrate_postgresql(con)
        return con
    version = current_version(con)
    if version > SCHEMA_VERSION:
        con.close()
        raise CrmError(
            f"La base {path} a été créée par une version plus récente de CRM Affaires "
            f"(schéma {version}, cette version connaît le schéma {SCHEMA_VERSION})."
        )
    if migrate(con) != version and str(path) != ":memory:":
        # A base whose schema lives only in its WAL is fragile (see OPEN_CONFIG).
        con.execute("CHECKPOINT")
    return con


def _migrate_postgresql(base: PgBase) -> None:
    """Create or upgrade a PostgreSQL base's schema on one session, one server at a time (an
    advisory lock: several app servers may start together)."""
    try:
        with base.session() as cur:
            cur.execute("SELECT pg_advisory_lock(730145)")
            try:
                version = current_version(cur)
                if version > SCHEMA_VERSION:
                    raise CrmError(
                        f"La base {_shown(base.url)} a été créée par une version plus récente "
                        f"de CRM Affaires (schéma {version}, cette version connaît le schéma "
                        f"{SCHEMA_VERSION})."
                    )
                migrate(cur)
                pg_rights.install(cur)
            finally:
                cur.execute("SELECT pg_advisory_unlock(730145)")
    except BaseException:
        base.close()
        raise


def _key(path: str | Path) -> str:
    if is_url(path):
        return str(path)
    return str(Path(path).resolve()) if str(path) != ":memory:" else ":memory:"


def _gate(key: str) -> _Gate:
    with _connections_lock:
        return _gates.setdefault(key, _Gate(key))


def shared_connection(path: str | Path) -> Connection:
    """The process's one connection to the base at path, opened on first use.

    Use a cursor per unit of work (`read`, `transaction`), never the connection itself. While a
    restore holds the base, waits for it (RestoreInProgressError after RESTORE_WAIT_SECONDS).
    """
    key = _key(path)
    gate = _gate(key)
    with gate.cond:
        if gate.held_by_other() and not gate.cond.wait_for(
            lambda: not gate.held_by_other(), RESTORE_WAIT_SECONDS
        ):
            raise RestoreInProgressError(RESTORING)
        with _connections_lock:
            con = _connections.get(key)
            if con is None:
                con = open_base(path)
                _connections[key] = con
                _handed_out[id(con)] = (con, key)
            return con


def open_shared(path: str | Path) -> Connection | None:
    """The shared connection to path if this process has it open, else None."""
    with _connections_lock:
        return _connections.get(_key(path))


def close_shared(path: str | Path) -> None:
    """Close and forget the shared connection to path, if any (restores, tests)."""
    with _connections_lock:
        con = _connections.pop(_key(path), None)
    if con is not None:
        # Raises ResourceInUseException when a cursor is executing, and closes all the same.
        with suppress(duckdb.Error):
            con.close()


@contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold the base at path alone for the block (a restore): other threads' units of work and
    openings wait or are refused in French; running ones end or are interrupted first."""
    gate = _gate(_key(path))
    gate.take()
    try:
        yield
    finally:
        gate.release()


PG_UNREACHABLE = (
    "La base PostgreSQL ne répond pas (serveur arrêté ou connexion coupée) : rien n'a été "
    "enregistré, réessayez dans un instant."
)


def _french(exc: Exception, gate: _Gate | None) -> CrmError | None:
    """The French message of an engine error a user can meet, or None (a programming error)."""
    if isinstance(exc, psycopg.Error):
        if isinstance(exc, CONFLICT_ERRORS):
            # A serialization failure is an OperationalError too: a clash, not a lost server.
            return None
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return CrmError(INTERRUPTED)
        if isinstance(exc, psycopg.errors.DiskFull):
            return CrmError(DISK_FULL)
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
            return CrmError(PG_UNREACHABLE)
        return None
    text = str(exc)
    if gate is not None and (
        isinstance(exc, duckdb.FatalException) or "database has been invalidated" in text
    ):
        # DuckDB refuses everything on this connection from now on; the file is sound, so the
        # next unit of work reopens it.
        gate.invalid = True
    if isinstance(exc, duckdb.InterruptException):
        return CrmError(INTERRUPTED)
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in text.lower():
        # DuckDB's out-of-memory may come wrapped in a failed commit's TransactionException,
        # which is no clash between two users.
        return CrmError(OUT_OF_MEMORY)
    if "No space left on device" in text or "disk is full" in text.lower():
        # A fatal error may come from the checkpoint after a commit already in the WAL.
        return CrmError(DISK_FULL_REOPEN if gate is not None and gate.invalid else DISK_FULL)
    if gate is not None and gate.invalid:
        return CrmError(
            "La base a rencontré une erreur grave et va être rouverte : rien n'a été "
            "enregistré, réessayez."
        )
    return None


def _reopen_if_invalid(gate: _Gate) -> None:
    if not gate.invalid:
        return
    gate.take()
    try:
        if gate.invalid:
            close_shared(gate.key)
            with _connections_lock:
                con = open_base(gate.key)
                _connections[gate.key] = con
                _handed_out[id(con)] = (con, gate.key)
            gate.invalid = False
    finally:
        gate.release()


def _new_cursor(con: Connection) -> Connection:
    try:
        return con.cursor()
    except psycopg_pool.PoolTimeout as exc:
        # No connection came back from a stopped or restarting PostgreSQL server.
        raise CrmError(PG_UNREACHABLE) from exc


@contextmanager
def _cursor(con: Connection) -> Iterator[tuple[Connection, _Gate | None]]:
    known = _handed_out.get(id(con))
    if known is None or known[0] is not con:
        cur = _new_cursor(con)
        try:
            yield cur, None
        finally:
            cur.close()
        return
    gate = _gate(known[1])
    _reopen_if_invalid(gate)
    gate.enter()
    try:
        with _connections_lock:
            current = _connections.get(gate.key)
        if current is None:
            # Closed by a restore or a reconnect: the page's handle goes on with the new one.
            current = shared_connection(gate.key)
        cur = _new_cursor(current)
        with gate.cond:
            gate.cursors.add(cur)
        try:
            yield cur, gate
        finally:
            with gate.cond:
                gate.cursors.discard(cur)
            cur.close()
    finally:
        gate.leave()


@contextmanager
def read(con: Connection) -> Iterator[Connection]:
    """A fresh cursor for reading, closed afterwards."""
    with _cursor(con) as (cur, gate):
        try:
            yield cur
        except ENGINE_ERRORS as exc:
            french = _french(exc, gate)
            if french is None:
                raise
            raise french from exc


@contextmanager
def read_as(con: Connection, actor: Actor) -> Iterator[Connection]:
    """A read (see read) made as the actor: on PostgreSQL its statements run as the actor's
    role (pg_rights.acting), the base's own guard behind crm_data's visibility checks."""
    with read(con) as cur:
        pg_rights.acting(cur, actor)
        yield cur


def bump_change_stamp(cur: Connection) -> None:
    """Tell every server that the base changed (see MIGRATION_5): after the commit, so that a
    reader never caches the data from before it under the new stamp."""
    cur.execute("SELECT nextval('change_stamp_seq')")


def change_stamp(cur: Connection) -> int:
    """The base's change stamp on PostgreSQL: grows with every committed write transaction."""
    row = cur.execute(
        "SELECT last_value + CAST(is_called AS INTEGER) FROM change_stamp_seq"
    ).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    """A fresh cursor inside a transaction: committed on success, rolled back on any error.

    A write-write clash between two sessions becomes a ConflictError in French; a full disk, a
    restore's interruption or a fatal error of the base a CrmError in French.
    """
    with _cursor(con) as (cur, gate):
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("COMMIT")
                if dialect(cur) == POSTGRESQL:
                    bump_change_stamp(cur)
            except BaseException:
                # A failed COMMIT has already ended the transaction; ROLLBACK may then refuse.
                with suppress(*ENGINE_ERRORS):
                    cur.execute("ROLLBACK")
                raise
        except CONFLICT_ERRORS as exc:
            french = _french(exc, gate)
            if french is not None:
                raise french from exc
            raise ConflictError(
                "Un autre utilisateur enregistrait la même fiche au même instant : "
                "rechargez-la et réessayez.",
                saved_by=None,
                saved_at=None,
            ) from exc
        except ENGINE_ERRORS as exc:
            french = _french(exc, gate)
            if french is None:
                raise
            raise french from exc


def _bytes(size: str) -> int:
    """Bytes of a DuckDB size such as "18.8 GiB" or "512MB"."""
    text = size.replace(" ", "")
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * _UNITS[unit])
    return int(float(text))


@contextmanager
def bounded_memory(con: Connection) -> Iterator[None]:
    """Hold DuckDB's memory limit at BULK_MEMORY_LIMIT for a long write (an import, demo data),
    unless it is already lower; restored when the last such block of the base ends.

    DuckDB keeps a transaction's uncommitted rows and indexes in its buffer pool until the
    commit: under the limit they spill to the base's temporary folder (beside its file) instead
    of growing the process; nothing of them reaches the base before the commit. The limit is the
    whole base's, so screens served meanwhile share it. Nothing to do on PostgreSQL.
    """
    if dialect(con) == POSTGRESQL:
        yield
        return
    with read(con) as cur:
        ((name, limit),) = cur.execute(
            "SELECT current_database(), current_setting('memory_limit')"
        ).fetchall()
        with _bulk_lock:
            depth, before = _bulk_depth.get(name, (0, str(limit)))
            _bulk_depth[name] = (depth + 1, before)
            if not depth and _bytes(BULK_MEMORY_LIMIT) < _bytes(before):
                cur.execute("SET memory_limit = ?", [BULK_MEMORY_LIMIT])
    try:
        yield
    finally:
        with read(con) as cur, _bulk_lock:
            depth, before = _bulk_depth.pop(name)
            if depth > 1:
                _bulk_depth[name] = (depth - 1, before)
            else:
                cur.execute("SET memory_limit = ?", [before])
