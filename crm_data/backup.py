"""Backups of a base while the app runs, and restores that bring back exactly what was saved.

A backup is a DuckDB file copied from one transaction's snapshot (ATTACH + COPY FROM DATABASE),
marked as ours by a `crm_sauvegarde` table holding each table's row count and digest.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crm_data import db
from crm_data.model import CrmError
from crm_data.schema import SCHEMA_VERSION

APPLICATION = "CRM Affaires"
MARKER_TABLE = "crm_sauvegarde"
BACKUP_FORMAT = 1

_log = logging.getLogger(__name__)

Digests = dict[str, tuple[int, str]]
"""table → (row count, digest of its rows, independent of their order)."""


class BackupError(CrmError):
    """A backup or a restore that could not be done; nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: when it was made, from which schema, each table's digest."""

    path: Path
    created_at: dt.datetime
    schema_version: int
    digests: Digests

    @property
    def rows(self) -> int:
        return sum(count for count, _ in self.digests.values())


def table_digests(cur: db.Connection, catalog: str) -> Digests:
    """Row count and digest of every table of catalog (the marker table excepted)."""
    names = cur.execute(
        """
        SELECT table_name
        FROM duckdb_tables()
        WHERE database_name = ?
          AND schema_name = 'main'
          AND table_name <> ?
        ORDER BY table_name
        """,
        [catalog, MARKER_TABLE],
    ).fetchall()
    digests: Digests = {}
    for (name,) in names:
        # Names come from the catalog, never from a user; the sum of per-row hashes does not
        # depend on row order and, unlike a XOR, does not cancel out duplicated rows.
        row = cur.execute(
            f"""
            SELECT count(*), CAST(coalesce(sum(md5_number_lower(CAST(r AS VARCHAR))), 0) AS VARCHAR)
            FROM "{catalog}"."main"."{name}" AS r
            """
        ).fetchone()
        assert row is not None
        digests[str(name)] = (int(row[0]), str(row[1]))
    return digests


def _catalog(cur: db.Connection) -> str:
    row = cur.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def backup(source: db.Connection | str | Path, target: str | Path) -> BackupInfo:
    """Copy the base (a connection in use, or a base file's path) to the file target.

    The copy is one transaction's snapshot: saves made meanwhile are either wholly in it or not
    at all, and nobody waits. The file appears at target only once complete and checked.
    """
    target = Path(target).resolve()
    if isinstance(source, str | Path):
        if not Path(source).exists():
            raise BackupError(f"La base {source} n'existe pas : rien à sauvegarder.")
        if Path(source).resolve() == target:
            raise BackupError("La sauvegarde doit être un autre fichier que la base elle-même.")
        con = db.open_base(source)
        try:
            return backup(con, target)
        finally:
            con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partiel")
    alias = f"sauvegarde_{uuid.uuid4().hex}"
    created_at = dt.datetime.now().replace(microsecond=0)
    cur = source.cursor()
    try:
        catalog = _catalog(cur)
        cur.execute(f"ATTACH ? AS {alias}", [str(partial)])
        try:
            digests = _copy_snapshot(cur, catalog, alias, created_at)
        finally:
            cur.execute(f"DETACH {alias}")
        os.replace(partial, target)
    except duckdb.Error as exc:
        raise BackupError(f"La sauvegarde vers {target} a échoué : {exc}") from exc
    finally:
        cur.close()
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    return BackupInfo(target, created_at, SCHEMA_VERSION, digests)


def _copy_snapshot(
    cur: db.Connection, catalog: str, alias: str, created_at: dt.datetime
) -> Digests:
    cur.execute("BEGIN TRANSACTION")
    try:
        digests = table_digests(cur, catalog)
        cur.execute(f"COPY FROM DATABASE {catalog} TO {alias}")
        copied = table_digests(cur, alias)
        if copied != digests:
            raise BackupError("La copie ne correspond pas à la base : sauvegarde annulée.")
        cur.execute(
            f"""
            CREATE TABLE {alias}.{MARKER_TABLE} (
                application VARCHAR NOT NULL,
                format INTEGER NOT NULL,
                schema_version INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL,
                tables VARCHAR NOT NULL
            )
            """
        )
        cur.execute(
            f"""
            INSERT INTO {alias}.{MARKER_TABLE}
            VALUES (?, ?, ?, ?, ?)
            """,
            [APPLICATION, BACKUP_FORMAT, SCHEMA_VERSION, created_at, json.dumps(digests)],
        )
        cur.execute("COMMIT")
    except BaseException:
        # A failed statement may already have ended the transaction.
        with suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise
    return digests


def _not_ours(source: Path) -> BackupError:
    return BackupError(
        f"Le fichier {source.name} n'est pas une sauvegarde de CRM Affaires : "
        "la base n'a pas été modifiée."
    )


def read_backup(source: str | Path) -> BackupInfo:
    """The backup's description, after checking that the file is one of ours and intact.

    Raises BackupError (French) for any other file, a damaged backup or a newer schema.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Le fichier {source} est introuvable.")
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error as exc:
        raise _not_ours(source) from exc
    try:
        return _check_marker(con, source)
    except duckdb.Error as exc:
        raise _not_ours(source) from exc
    finally:
        con.close()


def _check_marker(con: db.Connection, source: Path) -> BackupInfo:
    catalog = _catalog(con)
    found = con.execute(
        """
        SELECT count(*)
        FROM duckdb_tables()
        WHERE database_name = ?
          AND table_name = ?
        """,
        [catalog, MARKER_TABLE],
    ).fetchone()
    if not found or not found[0]:
        raise _not_ours(source)
    row = con.execute(
        f"""
        SELECT application, format, schema_version, created_at, tables
        FROM {MARKER_TABLE}
        """
    ).fetchone()
    if row is None or row[0] != APPLICATION or row[1] != BACKUP_FORMAT:
        raise _not_ours(source)
    if int(row[2]) > SCHEMA_VERSION:
        raise BackupError(
            f"La sauvegarde {source.name} vient d'une version plus récente de CRM Affaires "
            f"(schéma {row[2]}) : mettez l'application à jour avant de la restaurer."
        )
    saved = {name: (int(c), str(d)) for name, (c, d) in json.loads(str(row[4])).items()}
    if table_digests(con, catalog) != saved:
        raise BackupError(
            f"La sauvegarde {source.name} est endommagée (son contenu ne correspond plus à ce "
            "qui a été enregistré) : la base n'a pas été modifiée."
        )
    return BackupInfo(source, row[3], int(row[2]), saved)


@dataclass(frozen=True)
class RestoreInfo:
    """The backup brought back, and where the base as it was just before now lies."""

    restored: BackupInfo
    previous: Path | None


def restore(path: str | Path, source: str | Path, *, keep_previous: bool = True) -> RestoreInfo:
    """Replace the base at path by the backup source; return what was restored.

    The base as it was is first backed up beside it (…avant-restauration-DATE.duckdb), so a
    restore never costs a line. Refuses (BackupError, nothing changed) a file that is not an
    intact backup of ours, and BaseLockedError when another program holds the base. Closes this
    process's shared connection to path: callers reopen it afterwards.
    """
    path = Path(path).resolve()
    info = read_backup(source)
    previous = None
    if keep_previous and path.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        previous = backup(path, path.with_name(f"{path.stem}.avant-restauration-{stamp}.duckdb"))
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partiel")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        partial.write_bytes(Path(source).read_bytes())
        con = duckdb.connect(str(partial))
        try:
            con.execute(f"DROP TABLE {MARKER_TABLE}")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        db.open_base(partial).close()
        db.close_shared(path)
        if path.exists():
            # Proves no other process holds the base before it is swapped under it.
            db.open_base(path).close()
        Path(f"{path}.wal").unlink(missing_ok=True)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    return RestoreInfo(info, previous.path if previous else None)


def backup_to_folder(
    source: db.Connection | str | Path, folder: str | Path, *, keep: int = 14
) -> BackupInfo:
    """A backup named crm-AAAAMMJJ-HHMMSS-micro.duckdb in folder; only the `keep` newest stay."""
    folder = Path(folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    info = backup(source, folder / f"crm-{stamp}.duckdb")
    for old in sorted(folder.glob("crm-*-*-*.duckdb"), reverse=True)[max(keep, 1) :]:
        old.unlink(missing_ok=True)
    return info


def start_scheduled_backups(
    path: str | Path, folder: str | Path, *, every_hours: float = 24, keep: int = 14
) -> threading.Event:
    """Back up the base at path into folder every `every_hours`, from a daemon thread of the
    process that serves the base (the only one that may open it); failures go to the log.

    Returns the event that stops the schedule when set.
    """
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_hours * 3600):
            try:
                backup_to_folder(db.shared_connection(path), folder, keep=keep)
            except (CrmError, OSError):
                _log.exception("Sauvegarde programmée impossible vers %s", folder)

    threading.Thread(target=loop, name="crm-sauvegardes", daemon=True).start()
    return stop
