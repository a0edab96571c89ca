"""Backups of a base while the app runs, and restores that bring back our tables' rows only.

A backup is a DuckDB file copied from one transaction's snapshot (ATTACH + COPY FROM DATABASE),
marked as ours by a `crm_sauvegarde` table holding each table's row count and digest, signed
with CRM_BACKUP_SECRET when it is set. A restore never runs the file: see crm_data.store.rebuild.
A PostgreSQL base is backed up and restored through pg_dump / pg_restore: crm_data.store.pg_backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import threading
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crm_data.model import CrmError
from crm_data.store import db, pg_backup, rebuild
from crm_data.store.engine import POSTGRESQL, dialect
from crm_data.store.marker import (
    APPLICATION,
    BACKUP_FORMAT,
    MARKER_TABLE,
    BackupError,
    BackupInfo,
    Digests,
    damaged,
    not_ours,
    table_digests,
)
from crm_data.store.schema import SCHEMA_VERSION

SECRET_ENV = "CRM_BACKUP_SECRET"
KEEP_PREVIOUS = 5
"""How many « avant-restauration » copies a restore leaves beside the base (the newest)."""

_log = logging.getLogger(__name__)
_restore_lock = threading.Lock()


def _catalog(cur: db.Connection) -> str:
    row = cur.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def backup_secret() -> bytes | None:
    """The key that signs and checks backups (CRM_BACKUP_SECRET), or None when unset."""
    secret = os.environ.get(SECRET_ENV)
    return secret.encode() if secret else None


def signature(secret: bytes, schema_version: int, created_at: dt.datetime, digests: Digests) -> str:
    """HMAC-SHA256 of what the marker promises, so that nobody without the secret can forge it."""
    payload = json.dumps(
        [
            APPLICATION,
            BACKUP_FORMAT,
            schema_version,
            created_at.isoformat(),
            sorted(digests.items()),
        ]
    )
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def backup(source: db.Connection | str | Path, target: str | Path) -> BackupInfo:
    """Copy the base (a connection in use, or a base file's path) to the file target.

    The copy is one transaction's snapshot: saves made meanwhile are either wholly in it or not
    at all, and nobody waits. The file appears at target only once complete and checked.
    """
    target = Path(target).resolve()
    if isinstance(source, str) and db.is_url(source):
        con = db.open_base(source)
        try:
            return backup(con, target)
        finally:
            con.close()
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
    if dialect(source) == POSTGRESQL:
        try:
            return pg_backup.backup(source, target, backup_secret())
        except OSError as exc:
            raise BackupError(f"La sauvegarde vers {target} a échoué ({exc.strerror}).") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partiel")
    alias = f"sauvegarde_{uuid.uuid4().hex}"
    created_at = dt.datetime.now().replace(microsecond=0)
    try:
        with db.read(source) as cur:
            catalog = _catalog(cur)
            cur.execute(f"ATTACH ? AS {alias}", [str(partial)])
            try:
                digests = _copy_snapshot(cur, catalog, alias, created_at)
            finally:
                cur.execute(f"DETACH {alias}")
        os.replace(partial, target)
    except duckdb.Error as exc:
        raise BackupError(f"La sauvegarde vers {target} a échoué : {exc}") from exc
    except OSError as exc:
        raise BackupError(f"La sauvegarde vers {target} a échoué ({exc.strerror}).") from exc
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    return BackupInfo(target, created_at, SCHEMA_VERSION, digests)


def _copy_snapshot(
    cur: db.Connection, catalog: str, alias: str, created_at: dt.datetime
) -> Digests:
    secret = backup_secret()
    cur.execute("BEGIN TRANSACTION")
    try:
        digests = table_digests(cur, catalog)
        cur.execute(f"COPY FROM DATABASE {catalog} TO {alias}")
        copied = table_digests(cur, alias)
        if copied != digests:
            raise BackupError("La copie ne correspond pas à la base : sauvegarde annulée.")
        # OR REPLACE: a base opened from a backup file (a kept copy) carries a marker already.
        cur.execute(
            f"""
            CREATE OR REPLACE TABLE {alias}.{MARKER_TABLE} (
                application VARCHAR NOT NULL,
                format INTEGER NOT NULL,
                schema_version INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL,
                tables VARCHAR NOT NULL,
                signature VARCHAR NOT NULL
            )
            """
        )
        cur.execute(
            f"""
            INSERT INTO {alias}.{MARKER_TABLE}
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                APPLICATION,
                BACKUP_FORMAT,
                SCHEMA_VERSION,
                created_at,
                json.dumps(digests),
                signature(secret, SCHEMA_VERSION, created_at, digests) if secret else "",
            ],
        )
        cur.execute("COMMIT")
    except BaseException:
        # A failed statement may already have ended the transaction.
        with suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise
    return digests


def read_backup(source: str | Path) -> BackupInfo:
    """The backup's description, after checking that the file is one of ours and intact (and
    signed with CRM_BACKUP_SECRET when it is set).

    Raises BackupError (French) for any other file, a damaged backup or a newer schema. The
    file is attached read-only to an empty in-memory base: nothing it defines is looked up.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Le fichier {source} est introuvable.")
    if pg_backup.is_pg_backup(source):
        return pg_backup.read_backup(source, backup_secret(), SECRET_ENV)
    con = db.connect(":memory:")
    try:
        try:
            con.execute("ATTACH ? AS sauvegarde (READ_ONLY)", [str(source)])
        except duckdb.Error as exc:
            raise not_ours(source) from exc
        return _check_marker(con, source)
    except duckdb.Error as exc:
        raise not_ours(source) from exc
    finally:
        con.close()


def _check_marker(con: db.Connection, source: Path) -> BackupInfo:
    columns = [
        str(name)
        for (name,) in con.execute(
            """
            SELECT column_name
            FROM duckdb_columns()
            WHERE database_name = 'sauvegarde'
              AND schema_name = 'main'
              AND table_name = ?
            ORDER BY column_index
            """,
            [MARKER_TABLE],
        ).fetchall()
    ]
    if columns[:5] != ["application", "format", "schema_version", "created_at", "tables"]:
        raise not_ours(source)
    sign = ", signature" if "signature" in columns else ", ''"
    row = con.execute(
        f"""
        SELECT application, format, schema_version, created_at, tables{sign}
        FROM sauvegarde.main.{MARKER_TABLE}
        """
    ).fetchone()
    if row is None or row[0] != APPLICATION or row[1] not in (1, BACKUP_FORMAT):
        raise not_ours(source)
    if int(row[2]) > SCHEMA_VERSION:
        raise BackupError(
            f"La sauvegarde {source.name} vient d'une version plus récente de CRM Affaires "
            f"(schéma {row[2]}) : mettez l'application à jour avant de la restaurer."
        )
    saved = {name: (int(c), str(d)) for name, (c, d) in json.loads(str(row[4])).items()}
    secret = backup_secret()
    if secret is not None:
        expected = signature(secret, int(row[2]), row[3], saved) if row[1] >= 2 else ""
        if not expected or not hmac.compare_digest(expected, str(row[5] or "")):
            raise BackupError(
                f"La sauvegarde {source.name} n'est pas signée par la clé de cette installation "
                f"({SECRET_ENV}), ou a été modifiée depuis : la base n'a pas été modifiée."
            )
    if table_digests(con, "sauvegarde", int(row[1])) != saved:
        raise damaged(source)
    return BackupInfo(source, row[3], int(row[2]), saved, int(row[1]))


@dataclass(frozen=True)
class RestoreInfo:
    """The backup brought back, and where the base as it was just before now lies."""

    restored: BackupInfo
    previous: Path | str | None
    """A DuckDB file beside the base, or the URL of the PostgreSQL base kept under another
    name."""


def restore(path: str | Path, source: str | Path, *, keep_previous: bool = True) -> RestoreInfo:
    """Replace the base at path by the rows of our tables in the backup source.

    The new base is built by our own migrations and only our tables' rows are copied into it
    (no macro, view, schema or other table of the file survives). Meanwhile the base stays in
    use; then units of work on it are stopped (« Restauration en cours »), the base as it was
    is backed up beside it (…avant-restauration-DATE.duckdb, the KEEP_PREVIOUS newest kept) and
    the files are swapped. Refuses (BackupError, nothing changed) a file that is not an intact
    backup of ours, and BaseLockedError when another program holds the base.
    """
    source = Path(source)
    info = read_backup(source)
    _same_engine(path, source, info)
    if db.is_url(path):
        with _restore_lock:
            kept = pg_backup.restore(str(path), source, info, KEEP_PREVIOUS)
        return RestoreInfo(info, kept)
    path = Path(path).resolve()
    fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partiel")
    with _restore_lock:
        rebuild.remove_stale_partials(path)
        try:
            rebuild.rebuild(fresh, source, info)
            previous = _swap(path, fresh, keep_previous)
        finally:
            fresh.unlink(missing_ok=True)
            Path(f"{fresh}.wal").unlink(missing_ok=True)
    return RestoreInfo(info, previous)


def _same_engine(path: str | Path, source: Path, info: BackupInfo) -> None:
    """Refuse, in French, a backup of one engine restored into a base of the other."""
    from_postgresql = info.format == pg_backup.PG_FORMAT
    if db.is_url(path) != from_postgresql:
        engine = "PostgreSQL" if from_postgresql else "DuckDB"
        raise BackupError(
            f"La sauvegarde {source.name} vient d'une base {engine} : restaurez-la dans une "
            "base du même moteur, puis passez de l'un à l'autre avec la commande copy. La base "
            "n'a pas été modifiée."
        )


def _swap(path: Path, fresh: Path, keep_previous: bool) -> Path | None:
    previous = None
    with db.exclusive(path):
        if path.exists():
            # Also proves that no other process holds the base before it is swapped.
            previous = _keep_previous(path) if keep_previous else None
            if previous is None:
                db.open_base(path).close()
        db.close_shared(path)
        try:
            Path(f"{path}.wal").unlink(missing_ok=True)
            os.replace(fresh, path)
        except OSError as exc:
            raise BackupError(
                f"La restauration a échoué ({exc.strerror}) : la base n'a pas été modifiée."
            ) from exc
    return previous


def _keep_previous(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = path.with_name(f"{path.stem}.avant-restauration-{stamp}.duckdb")
    kept = backup(db.open_shared(path) or path, target).path
    pattern = f"{path.stem}.avant-restauration-*.duckdb"
    for old in sorted(path.parent.glob(pattern), reverse=True)[KEEP_PREVIOUS:]:
        old.unlink(missing_ok=True)
    return kept


def backup_to_folder(
    source: db.Connection | str | Path, folder: str | Path, *, keep: int = 14
) -> BackupInfo:
    """A backup named crm-AAAAMMJJ-HHMMSS-micro.duckdb (.pg.tar for a PostgreSQL base) in
    folder; only the `keep` newest stay."""
    folder = Path(folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    suffix = suffix_of(source)
    info = backup(source, folder / f"crm-{stamp}{suffix}")
    for old in sorted(folder.glob(f"crm-*-*-*{suffix}"), reverse=True)[max(keep, 1) :]:
        old.unlink(missing_ok=True)
    return info


def suffix_of(base: db.Connection | str | Path) -> str:
    """The file suffix of the base's backups: .duckdb, or .pg.tar for a PostgreSQL base."""
    postgresql = db.is_url(base) if isinstance(base, str | Path) else dialect(base) == POSTGRESQL
    return pg_backup.SUFFIX if postgresql else ".duckdb"


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
