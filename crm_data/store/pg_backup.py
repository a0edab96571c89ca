"""Backups and restores of a PostgreSQL base, through pg_dump and pg_restore (custom format).

A backup file is a tar holding `base.dump` (pg_dump -Fc of one snapshot, the one the digests
were computed in) and `crm_sauvegarde.json`, the marker: application, format, schema, each
table's row count and digest, the dump's SHA-256, signed with CRM_BACKUP_SECRET when set. A
restore runs nothing of the dump but our tables' rows (pg_restore --data-only of the TABLE DATA
and SEQUENCE SET entries of our tables, in our order) into a new database built by our own
migrations, checks the digests there, then swaps the databases by rename: the old one is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import re
import subprocess
import tarfile
import tempfile
import uuid
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from crm_data.store import db, pg_rights
from crm_data.store.copy import tables_parents_first
from crm_data.store.marker import (
    APPLICATION,
    BackupError,
    BackupInfo,
    Digests,
    damaged,
    not_ours,
)
from crm_data.store.pg_server import binaries
from crm_data.store.postgres import PgBase, PgCursor
from crm_data.store.schema import SCHEMA_VERSION, current_version, migrate

PG_FORMAT = 3
"""The marker's format for PostgreSQL backups (DuckDB's are 1 and 2)."""
ENGINE = "postgresql"
MARKER_MEMBER = "crm_sauvegarde.json"
DUMP_MEMBER = "base.dump"
MARKER_MAX_BYTES = 1 << 20
SUFFIX = ".pg.tar"

_TOC = re.compile(r"^\d+; \d+ \d+ (TABLE DATA|SEQUENCE SET) (\S+) (\S+) ")


def url_of(con: db.Connection) -> str:
    """The URL of the PostgreSQL base behind a connection or a cursor."""
    if isinstance(con, PgBase):
        return con.url
    if isinstance(con, PgCursor):
        return con.base.url
    raise TypeError("not a PostgreSQL connection")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _database(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def _tool(name: str) -> str:
    folder = binaries()
    if folder is None:
        raise BackupError(
            "Les outils de PostgreSQL (pg_dump, pg_restore) ne sont pas installés : "
            "apt-get install -y --no-install-recommends postgresql-client"
        )
    return str(folder / name)


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué : {done.stderr.strip()[:500]}")
    return done.stdout


def table_digests(cur: db.Connection, tables: list[str] | None = None) -> Digests:
    """Row count and digest (both 64-bit halves of each row's md5, summed: independent of row
    order) of every table of the base's schema, or of tables."""
    names = tables
    if names is None:
        names = [
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
    half = (
        "CAST(CAST(CAST('x' || substr(md5(CAST(r AS TEXT)), {}, 16) AS BIT(64)) AS BIGINT) "
        "AS NUMERIC)"
    )
    digests: Digests = {}
    for name in names:
        # Names come from a catalog, never from a user.
        row = cur.execute(
            f"""
            SELECT count(*),
                   CAST(coalesce(sum({half.format(1)}), 0) AS TEXT) || ':' ||
                   CAST(coalesce(sum({half.format(17)}), 0) AS TEXT)
            FROM "{name}" AS r
            """
        ).fetchone()
        assert row is not None
        digests[name] = (int(row[0]), str(row[1]))
    return digests


def signature(
    secret: bytes, schema_version: int, created_at: str, digests: Digests, dump_sha256: str
) -> str:
    """HMAC-SHA256 of what the marker promises and of the dump's bytes."""
    payload = json.dumps(
        [APPLICATION, PG_FORMAT, schema_version, created_at, sorted(digests.items()), dump_sha256]
    )
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(source: db.Connection, target: Path, secret: bytes | None) -> BackupInfo:
    """Write at target a backup of the PostgreSQL base behind source: pg_dump of the snapshot
    the digests are computed in, so saves made meanwhile are wholly in it or not at all."""
    url = url_of(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    created_at = dt.datetime.now().replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="crm-pgdump-", dir=target.parent) as folder:
        dump = Path(folder) / DUMP_MEMBER
        with db.read(source) as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                row = cur.execute("SELECT pg_export_snapshot()").fetchone()
                assert row is not None
                digests = table_digests(cur)
                _run(
                    _tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                    f"--snapshot={row[0]}", f"--file={dump}", f"--dbname={url}",
                )  # fmt: skip
            finally:
                with suppress(psycopg.Error):
                    cur.execute("ROLLBACK")
        dump_sha = _sha256(dump)
        marker = {
            "application": APPLICATION,
            "format": PG_FORMAT,
            "engine": ENGINE,
            "schema_version": SCHEMA_VERSION,
            "created_at": created_at.isoformat(),
            "tables": digests,
            "dump_sha256": dump_sha,
            "signature": signature(
                secret, SCHEMA_VERSION, created_at.isoformat(), digests, dump_sha
            )
            if secret
            else "",
        }
        partial = Path(folder) / "sauvegarde.partiel"
        with tarfile.open(partial, "w") as archive:
            encoded = json.dumps(marker, ensure_ascii=False).encode()
            member = tarfile.TarInfo(MARKER_MEMBER)
            member.size = len(encoded)
            archive.addfile(member, io.BytesIO(encoded))
            archive.add(dump, arcname=DUMP_MEMBER)
        partial.replace(target)
    return BackupInfo(target, created_at, SCHEMA_VERSION, digests, PG_FORMAT)


def is_pg_backup(source: Path) -> bool:
    """Whether the file is a tar (our PostgreSQL backups are; DuckDB's are base files)."""
    try:
        return tarfile.is_tarfile(source)
    except OSError:
        return False


def read_backup(source: Path, secret: bytes | None, secret_env: str) -> BackupInfo:
    """The PostgreSQL backup's description, after checking its marker, its signature (when a
    secret is set) and its dump's SHA-256. Raises BackupError in French otherwise."""
    marker = _marker(source)
    info = _info(source, marker)
    if secret is not None:
        expected = signature(
            secret,
            info.schema_version,
            str(marker["created_at"]),
            info.digests,
            str(marker.get("dump_sha256", "")),
        )
        if not hmac.compare_digest(expected, str(marker.get("signature") or "")):
            raise BackupError(
                f"La sauvegarde {source.name} n'est pas signée par la clé de cette installation "
                f"({secret_env}), ou a été modifiée depuis : la base n'a pas été modifiée."
            )
    with tempfile.TemporaryDirectory(prefix="crm-pgdump-") as folder:
        if _sha256(_extract_dump(source, Path(folder))) != marker.get("dump_sha256"):
            raise damaged(source)
    return info


def _marker(source: Path) -> dict[str, object]:
    try:
        with tarfile.open(source, "r") as archive:
            member = archive.getmember(MARKER_MEMBER)
            if not member.isfile() or member.size > MARKER_MAX_BYTES:
                raise not_ours(source)
            data = archive.extractfile(member)
            assert data is not None
            marker = json.loads(data.read())
    except (tarfile.TarError, KeyError, ValueError, OSError) as exc:
        raise not_ours(source) from exc
    if not isinstance(marker, dict) or marker.get("application") != APPLICATION:
        raise not_ours(source)
    if marker.get("engine") != ENGINE or marker.get("format") != PG_FORMAT:
        raise not_ours(source)
    return marker


def _info(source: Path, marker: dict[str, object]) -> BackupInfo:
    try:
        schema_version = int(str(marker["schema_version"]))
        created_at = dt.datetime.fromisoformat(str(marker["created_at"]))
        tables = marker["tables"]
        assert isinstance(tables, dict)
        digests = {str(k): (int(v[0]), str(v[1])) for k, v in tables.items()}
    except (KeyError, ValueError, TypeError, AssertionError, IndexError) as exc:
        raise not_ours(source) from exc
    if schema_version > SCHEMA_VERSION:
        raise BackupError(
            f"La sauvegarde {source.name} vient d'une version plus récente de CRM Affaires "
            f"(schéma {schema_version}) : mettez l'application à jour avant de la restaurer."
        )
    return BackupInfo(source, created_at, schema_version, digests, PG_FORMAT)


def _extract_dump(source: Path, folder: Path) -> Path:
    dump = folder / DUMP_MEMBER
    try:
        with tarfile.open(source, "r") as archive:
            member = archive.getmember(DUMP_MEMBER)
            data = archive.extractfile(member) if member.isfile() else None
            if data is None:
                raise damaged(source)
            with dump.open("wb") as out:
                for block in iter(lambda: data.read(1 << 20), b""):
                    out.write(block)
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise damaged(source) from exc
    return dump


def _admin(url: str, *statements: str) -> None:
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


def restore(url: str, source: Path, info: BackupInfo, keep_previous: int) -> str:
    """Replace the base at url by our tables' rows of the PostgreSQL backup source (checked by
    read_backup); return the URL of the base as it was, kept under another name."""
    name = _database(url)
    scratch = f"{name[:40]}_restauration_{uuid.uuid4().hex[:8]}"
    scratch_url = _with_database(url, scratch)
    with psycopg.connect(url, autocommit=True) as conn:
        # The same encoding and collation as the base: lists sort as they did before.
        row = conn.execute(
            """
            SELECT pg_encoding_to_char(encoding), datcollate, datctype
            FROM pg_database
            WHERE datname = current_database()
            """
        ).fetchone()
    assert row is not None
    _admin(
        url,
        f"CREATE DATABASE \"{scratch}\" TEMPLATE template0 ENCODING '{row[0]}' "
        f"LC_COLLATE '{row[1]}' LC_CTYPE '{row[2]}'",
    )
    try:
        with tempfile.TemporaryDirectory(prefix="crm-pgrestore-") as folder:
            _rebuild(scratch_url, source, info, Path(folder))
        return _swap(url, name, scratch, keep_previous)
    except BaseException:
        with suppress(psycopg.Error):
            _admin(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        raise


def _rebuild(scratch_url: str, source: Path, info: BackupInfo, folder: Path) -> None:
    """Fill the new database with the backup's rows, checked against the marker's digests."""
    dump = _extract_dump(source, folder)
    base = db.connect(scratch_url)
    assert isinstance(base, PgBase)
    try:
        with base.session() as cur:
            migrate(cur, info.schema_version)
            tables = tables_parents_first(cur)
            if any(t not in info.digests for t in tables):
                raise damaged(source)
            for table in reversed(tables):
                cur.execute(f'DELETE FROM "{table}"')
        entries = _entries(dump, tables, source)
        listing = folder / "liste"
        listing.write_text("\n".join(entries) + "\n", encoding="utf-8")
        try:
            _run(
                _tool("pg_restore"), "--data-only", "--single-transaction", "--exit-on-error",
                "--no-owner", "--no-privileges", f"--use-list={listing}",
                f"--dbname={scratch_url}", str(dump),
            )  # fmt: skip
        except BackupError as exc:
            raise damaged(source) from exc
        with base.session() as cur:
            if table_digests(cur, tables) != {t: info.digests[t] for t in tables}:
                raise damaged(source)
            if current_version(cur) != info.schema_version:
                raise damaged(source)
            migrate(cur)
            # Policies and grants live in the database: without them a server whose pool
            # reconnects to the swapped-in base would take a role with no right on its tables.
            pg_rights.install(cur)
            _ids_past_rows(cur)
    finally:
        base.close()


def _entries(dump: Path, tables: list[str], source: Path) -> list[str]:
    """The dump's TOC lines of our tables' rows (parents first) and of our sequences' values."""
    try:
        listing = _run(_tool("pg_restore"), "--list", str(dump))
    except BackupError as exc:
        raise damaged(source) from exc
    rows: dict[str, str] = {}
    sequences: list[str] = []
    for line in listing.splitlines():
        match = _TOC.match(line)
        if match is None or match.group(2) != "public":
            continue
        if match.group(1) == "TABLE DATA" and match.group(3) in tables:
            rows[match.group(3)] = line
        elif match.group(1) == "SEQUENCE SET" and re.fullmatch(r"[a-z_]+_seq", match.group(3)):
            sequences.append(line)
    if set(rows) != set(tables):
        raise damaged(source)
    return [rows[t] for t in tables] + sequences


def _ids_past_rows(cur: db.Connection) -> None:
    """Every id sequence past the highest id restored, whatever the dump's values say."""
    for table, column, default in cur.execute(
        """
        SELECT table_name, column_name, column_default
        FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND column_default LIKE 'nextval(%'
        """
    ).fetchall():
        sequence = str(default).split("'")[1]
        cur.execute(
            f"""
            SELECT setval(?, greatest(max("{column}"), (SELECT last_value FROM {sequence})))
            FROM "{table}"
            HAVING max("{column}") IS NOT NULL
            """,
            [sequence],
        )


def _swap(url: str, name: str, scratch: str, keep_previous: int) -> str:
    """Stop connections to the base, carry its change stamp over, rename: the base's name now
    holds the restored rows; the old one is kept (the keep_previous newest)."""
    kept = _kept_prefix(name) + dt.datetime.now().strftime("%Y%m%d%H%M%S%f")
    with db.exclusive(url):
        db.close_shared(url)
        try:
            # Opened before connections are refused: it reads the stamp once nobody writes.
            with psycopg.connect(url, autocommit=True) as old:
                # From another database: PostgreSQL refuses it from the database itself.
                _admin(url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
                old.execute(
                    """
                    SELECT pg_terminate_backend(pid)
                    FROM pg_stat_activity
                    WHERE datname = current_database()
                      AND pid <> pg_backend_pid()
                    """
                )
                row = old.execute(
                    "SELECT last_value + CAST(is_called AS INTEGER) FROM change_stamp_seq"
                ).fetchone()
            before = int(row[0]) if row else 0
            with psycopg.connect(_with_database(url, scratch), autocommit=True) as new:
                # Above the old stamp: no server serves an analysis cached before the restore.
                new.execute("SELECT setval('change_stamp_seq', %s)", [before + 1])
            _admin(
                url,
                f'ALTER DATABASE "{name}" RENAME TO "{kept}"',
                f'ALTER DATABASE "{scratch}" RENAME TO "{name}"',
            )
        except psycopg.Error as exc:
            with suppress(psycopg.Error):
                _admin(url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            raise BackupError(
                f"La restauration a échoué ({exc}) : la base n'a pas été modifiée."
            ) from exc
        with suppress(psycopg.Error):
            _admin(url, f'ALTER DATABASE "{kept}" WITH ALLOW_CONNECTIONS true')
    _drop_old_kept(url, name, keep_previous)
    return _with_database(url, kept)


def _kept_prefix(name: str) -> str:
    """The kept copies' names: the base's, cut so that the stamp fits PostgreSQL's 63 bytes."""
    return f"{name[:34]}_avant_"


def _drop_old_kept(url: str, name: str, keep: int) -> None:
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT datname
            FROM pg_database
            WHERE left(datname, %s) = %s
            ORDER BY datname DESC
            """,
            [len(_kept_prefix(name)), _kept_prefix(name)],
        ).fetchall()
    for (old,) in rows[keep:]:
        with suppress(psycopg.Error):
            _admin(url, f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
