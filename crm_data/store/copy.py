"""Copying a whole base into a new one, of either engine (`python -m crm_data copy --vers`).

Every table's rows (every version of history included), then each sequence set past the
highest id copied and never below the source's (ids of deleted records are not reused), the
change stamp included. The source is read in one snapshot; the target is written in one
transaction: a failed copy writes nothing. Column types come from the target's own schema.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pyarrow as pa

from crm_data.model import CrmError
from crm_data.store import db, pg_versions
from crm_data.store.engine import DUCKDB, ENGINE_ERRORS, POSTGRESQL, dialect
from crm_data.store.frames import execute_with_frame
from crm_data.store.postgres import PgCursor, is_url

Progress = Callable[[float, str], None]

CHUNK_IDS = 50_000
"""Rows are read by ranges of this many ids, so memory holds one range, not a table."""

_log = logging.getLogger(__name__)

_NEXTVAL = re.compile(r"nextval\('\"?([\w.]+?)\"?'")


class CopyError(CrmError):
    """A copy refused or failed; the target was left as it was."""


def copy_base(
    source: db.Connection, target: str | Path, *, progress: Progress | None = None
) -> dict[str, int]:
    """Copy the base behind source into the base at target (a DuckDB path or a postgresql://
    URL, created and migrated if new) and return the rows copied per table.

    Refuses (CopyError, nothing written) a target that already holds affaires.
    """
    report = progress or (lambda fraction, message: None)
    created = not is_url(target) and not Path(target).exists()
    try:
        destination = db.open_base(target)
    except CrmError as exc:
        raise CopyError(str(exc)) from exc
    try:
        with db.read(destination) as cur:
            held = cur.execute("SELECT count(*) FROM affaire").fetchone()
        if held and held[0]:
            raise CopyError(
                f"La base {db.shown(target)} contient déjà des affaires : la copie est refusée, "
                "rien n'a été écrit (choisissez une base neuve)."
            )
        counts = _copy(source, destination, report)
    except ENGINE_ERRORS as exc:
        _discard(destination, target, created)
        raise CopyError(
            f"La copie vers {db.shown(target)} a échoué : rien n'a été écrit. "
            f"Détail : {_detail(exc)}"
        ) from exc
    except BaseException:
        _discard(destination, target, created)
        raise
    if dialect(destination) == POSTGRESQL:
        report(0.99, "Compactage de l'historique des affaires")
        # The copy is committed and whole: a base left uncompacted (a role that may not VACUUM
        # FULL) only reads its history slower, which the log says with what to run instead.
        try:
            for statement in pg_versions.COMPACT:
                destination.execute(statement)
        except ENGINE_ERRORS as exc:
            _log.warning(
                "Copie vers %s terminée, mais son compactage a échoué (%s) : l'historique y "
                "sera lu plus lentement. Un propriétaire de la base peut lancer : %s",
                db.shown(target),
                _detail(exc),
                " ; ".join(pg_versions.COMPACT),
            )
    destination.close()
    report(1.0, "Copie terminée")
    return counts


def _detail(exc: BaseException) -> str:
    """The first line of an engine's error, or its type when it says nothing."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _discard(destination: db.Connection, target: str | Path, created: bool) -> None:
    destination.close()
    if created:
        # A file this copy created and could not fill is not left behind half-made.
        for leftover in (Path(target), Path(f"{target}.wal")):
            with suppress(OSError):
                leftover.unlink()


def _copy(source: db.Connection, destination: db.Connection, report: Progress) -> dict[str, int]:
    counts: dict[str, int] = {}
    with db.read(source) as src:
        # One snapshot of the source for every table (REPEATABLE READ on PostgreSQL).
        src.execute("BEGIN TRANSACTION")
        try:
            with db.transaction(destination) as dst:
                tables = tables_parents_first(dst)
                totals = {t: _count(src, t) for t in tables}
                everything = max(sum(totals.values()), 1)
                for table in reversed(tables):
                    # The rows migrations seeded (étapes, the local admin, schema_version) come
                    # from the source as they are there.
                    dst.execute(f'DELETE FROM "{table}"')
                done = 0
                for table in tables:
                    report(
                        done / everything,
                        f"Copie de {table} ({totals[table]:,} lignes)".replace(",", " "),
                    )
                    counts[table] = _copy_table(src, dst, table)
                    done += totals[table]
                _advance_sequences(src, dst)
        finally:
            with suppress(*ENGINE_ERRORS):
                src.execute("ROLLBACK")
    return counts


def _count(cur: db.Connection, table: str) -> int:
    row = cur.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0]) if row else 0


def tables_parents_first(cur: db.Connection) -> list[str]:
    """The base's tables, each after the tables its foreign keys point to."""
    tables = [
        str(name)
        for (name,) in cur.execute(
            """
            SELECT table_name
            FROM information_schema.tables
            WHERE table_schema = current_schema()
              AND table_type = 'BASE TABLE'
            ORDER BY table_name
            """
        ).fetchall()
    ]
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in cur.execute(
        """
        SELECT DISTINCT tc.table_name, ccu.table_name
        FROM information_schema.referential_constraints AS rc
        JOIN information_schema.table_constraints AS tc
          ON tc.constraint_name = rc.constraint_name
         AND tc.constraint_schema = rc.constraint_schema
        JOIN information_schema.constraint_column_usage AS ccu
          ON ccu.constraint_name = rc.unique_constraint_name
         AND ccu.constraint_schema = rc.unique_constraint_schema
        WHERE rc.constraint_schema = current_schema()
        """
    ).fetchall():
        if child in parents and parent != child:
            parents[str(child)].add(str(parent))
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise CopyError("Les clés étrangères de la base forment un cycle : copie impossible.")
        ordered.extend(ready)
    return ordered


def table_columns(cur: db.Connection, table: str) -> list[tuple[str, pa.DataType]]:
    """The table's columns in order, each with the Arrow type its values travel in."""
    rows = cur.execute(
        """
        SELECT column_name, data_type, numeric_precision, numeric_scale
        FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND table_name = ?
        ORDER BY ordinal_position
        """,
        [table],
    ).fetchall()
    return [
        (str(name), _arrow_type(str(kind), precision, scale))
        for name, kind, precision, scale in rows
    ]


def _arrow_type(kind: str, precision: object, scale: object) -> pa.DataType:
    text = kind.lower()
    if text.startswith(("decimal", "numeric")):
        return pa.decimal128(int(str(precision or 38)), int(str(scale or 0)))
    if text.startswith("timestamp"):
        return pa.timestamp("us")
    simple = {
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "smallint": pa.int16(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "double": pa.float64(),
        "double precision": pa.float64(),
        "blob": pa.binary(),
        "bytea": pa.binary(),
    }
    return simple.get(text, pa.string())


def _copy_table(src: db.Connection, dst: db.Connection, table: str) -> int:
    # A column only one engine keeps (PostgreSQL's version ends, crm_data.store.pg_versions) is
    # derived there by the base itself: the target's columns the source also has are copied.
    known = {name for name, _ in table_columns(src, table)}
    columns = [column for column in table_columns(dst, table) if column[0] in known]
    names = [name for name, _ in columns]
    listed = ", ".join(f'"{n}"' for n in names)
    key = next((k for k in ("id", "affaire_id") if k in names), None)
    copied = 0
    for low, high in _ranges(src, table, key):
        where = f'WHERE "{key}" >= ? AND "{key}" < ?' if key else ""
        rows = src.execute(
            f"""
            SELECT {listed}
            FROM "{table}"
            {where}
            """,
            [low, high] if key else None,
        ).fetchall()
        if not rows:
            continue
        _insert(dst, table, columns, rows)
        copied += len(rows)
    return copied


def _insert(
    dst: db.Connection,
    table: str,
    columns: list[tuple[str, pa.DataType]],
    rows: list[tuple[object, ...]],
) -> None:
    """Rows into the target's table: by COPY on PostgreSQL, through Arrow on DuckDB."""
    listed = ", ".join(f'"{name}"' for name, _ in columns)
    if isinstance(dst, PgCursor):
        with (
            dst.connection.cursor() as cur,
            cur.copy(f'COPY "{table}" ({listed}) FROM STDIN') as load,
        ):
            for row in rows:
                load.write_row(row)
        return
    batch = pa.table(
        {
            name: pa.array([row[i] for row in rows], type=kind)
            for i, (name, kind) in enumerate(columns)
        }
    )
    execute_with_frame(
        dst,
        f"""
        INSERT INTO "{table}" ({listed})
        SELECT {listed}
        FROM bulk_frame
        """,
        batch,
    )


def _ranges(cur: db.Connection, table: str, key: str | None) -> list[tuple[int, int]]:
    """Half-open ranges of the key covering every row (one range of nothing without a key)."""
    if key is None:
        return [(0, 0)]
    row = cur.execute(f'SELECT min("{key}"), max("{key}") FROM "{table}"').fetchone()
    if row is None or row[0] is None:
        return []
    low, high = int(row[0]), int(row[1])
    return [(start, start + CHUNK_IDS) for start in range(low, high + 1, CHUNK_IDS)]


def _sequence_values(cur: db.Connection) -> dict[str, int]:
    """Each sequence's last value taken (0 when none was)."""
    if dialect(cur) == DUCKDB:
        rows = cur.execute(
            """
            SELECT sequence_name, coalesce(last_value, 0)
            FROM duckdb_sequences()
            WHERE database_name = current_database()
              AND schema_name = current_schema()
            """
        ).fetchall()
    else:
        rows = cur.execute(
            """
            SELECT sequencename, coalesce(last_value, 0)
            FROM pg_sequences
            WHERE schemaname = current_schema()
            """
        ).fetchall()
    return {str(name): int(value) for name, value in rows}


def _advance_sequences(src: db.Connection, dst: db.Connection) -> None:
    """Each target sequence to the source's value, and past every id copied."""
    wanted = _sequence_values(src)
    current = _sequence_values(dst)
    for table, column, default in dst.execute(
        """
        SELECT table_name, column_name, column_default
        FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND column_default LIKE 'nextval(%'
        """
    ).fetchall():
        match = _NEXTVAL.match(str(default))
        if match is None:
            continue
        name = match.group(1).rsplit(".", 1)[-1]
        row = dst.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').fetchone()
        wanted[name] = max(wanted.get(name, 0), int(row[0]) if row else 0)
    for name, value in wanted.items():
        if name not in current or value <= current[name]:
            continue
        if dialect(dst) == DUCKDB:
            # DuckDB has no setval: the sequence is taken up to the value.
            dst.execute(f"SELECT max(nextval('{name}')) FROM range(?)", [value - current[name]])
        else:
            dst.execute("SELECT setval(?, ?)", [name, value])
