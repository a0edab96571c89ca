"""The base a restore puts in place: built by our own migrations, with only our tables' rows
copied from the backup file, which is attached read-only and never run (its macros, views,
schemas and other tables stay behind). Column lists come from the base we built, not the file.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from crm_data.store import db
from crm_data.store.marker import BackupInfo, damaged, table_digests
from crm_data.store.schema import current_version, migrate

STALE_PARTIAL_SECONDS = 3600
"""A restore's half-built base older than this is a leftover of a killed restore."""

_SOURCE = "sauvegarde"


def remove_stale_partials(path: Path) -> None:
    """Delete the hidden .partiel files (and their WAL) that killed backups or restores left
    beside the base at path; recent ones may belong to a restore still running."""
    now = time.time()
    for leftover in path.parent.glob(f".{path.name}.*.partiel*"):
        try:
            if now - leftover.stat().st_mtime > STALE_PARTIAL_SECONDS:
                leftover.unlink()
        except OSError:
            continue


def rebuild(target: Path, source: Path, info: BackupInfo) -> None:
    """Write at target a base of the current schema holding exactly the rows of our tables in
    the backup source (checked against its marker's digests before upgrading).

    Raises BackupError (« endommagée ») when a table is missing or its rows differ.
    """
    con = db.connect(target)
    try:
        migrate(con, info.schema_version)
        con.execute(f"ATTACH ? AS {_SOURCE} (READ_ONLY)", [str(source)])
        catalog = _catalog(con)
        tables = _tables_parents_first(con, catalog)
        present = set(_base_tables(con, _SOURCE))
        if any(t not in present or t not in info.digests for t in tables):
            raise damaged(source)
        con.execute("BEGIN TRANSACTION")
        for table in reversed(tables):
            # The rows our migrations seeded (étapes, the local admin, schema_version) come
            # back from the backup as they were.
            con.execute(f'DELETE FROM main."{table}"')
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")
        for table in tables:
            columns = ", ".join(f'"{c}"' for c in _columns(con, catalog, table))
            con.execute(
                f"""
                INSERT INTO main."{table}" ({columns})
                SELECT {columns}
                FROM {_SOURCE}.main."{table}"
                """
            )
        _advance_sequences(con, catalog)
        con.execute("COMMIT")
        copied = table_digests(con, catalog, info.format, tables)
        if copied != {t: info.digests[t] for t in tables}:
            raise damaged(source)
        if current_version(con) != info.schema_version:
            raise damaged(source)
        con.execute(f"DETACH {_SOURCE}")
        migrate(con)
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise damaged(source) from exc
    finally:
        con.close()


def _catalog(con: db.Connection) -> str:
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _base_tables(con: db.Connection, catalog: str) -> list[str]:
    rows = con.execute(
        """
        SELECT table_name
        FROM duckdb_tables()
        WHERE database_name = ?
          AND schema_name = 'main'
        ORDER BY table_name
        """,
        [catalog],
    ).fetchall()
    return [str(name) for (name,) in rows]


def _tables_parents_first(con: db.Connection, catalog: str) -> list[str]:
    """Our tables, each after the tables its foreign keys point to."""
    tables = _base_tables(con, catalog)
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for table, referenced in con.execute(
        """
        SELECT table_name, referenced_table
        FROM duckdb_constraints()
        WHERE database_name = ?
          AND constraint_type = 'FOREIGN KEY'
        """,
        [catalog],
    ).fetchall():
        if referenced != table:
            parents[str(table)].add(str(referenced))
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise duckdb.CatalogException("foreign keys in a cycle")
        ordered.extend(ready)
    return ordered


def _columns(con: db.Connection, catalog: str, table: str) -> list[str]:
    rows = con.execute(
        """
        SELECT column_name
        FROM duckdb_columns()
        WHERE database_name = ?
          AND schema_name = 'main'
          AND table_name = ?
        ORDER BY column_index
        """,
        [catalog, table],
    ).fetchall()
    return [str(name) for (name,) in rows]


def _advance_sequences(con: db.Connection, catalog: str) -> None:
    """Bring each sequence to where the backup's was (ids of deleted records are not reused),
    and past every id copied whatever the file says."""
    saved = dict(
        con.execute(
            """
            SELECT sequence_name, last_value
            FROM duckdb_sequences()
            WHERE database_name = ?
            """,
            [_SOURCE],
        ).fetchall()
    )
    for name, last in con.execute(
        """
        SELECT sequence_name, coalesce(last_value, 0)
        FROM duckdb_sequences()
        WHERE database_name = ?
        """,
        [catalog],
    ).fetchall():
        wanted = int(saved.get(name) or 0)
        for table, column in con.execute(
            """
            SELECT table_name, column_name
            FROM duckdb_columns()
            WHERE database_name = ?
              AND column_default = ?
            """,
            [catalog, f"nextval('{name}')"],
        ).fetchall():
            row = con.execute(f'SELECT coalesce(max("{column}"), 0) FROM main."{table}"').fetchone()
            wanted = max(wanted, int(row[0]) if row else 0)
        if wanted > int(last):
            con.execute(f"SELECT max(nextval('{name}')) FROM range(?)", [wanted - int(last)])
