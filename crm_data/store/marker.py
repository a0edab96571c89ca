"""What marks a backup file as ours: its format, the digests of its tables' rows, and the
refusals of a file that is not one of our backups or that changed since it was made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from crm_data.model import CrmError
from crm_data.store import db

APPLICATION = "CRM Affaires"
MARKER_TABLE = "crm_sauvegarde"
BACKUP_FORMAT = 2
"""1: digests from the low 64 bits of each row's md5, no signature; 2: all 128 bits, and a
signature column (HMAC-SHA256 with CRM_BACKUP_SECRET, empty without a secret)."""

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
    format: int = BACKUP_FORMAT

    @property
    def rows(self) -> int:
        return sum(count for count, _ in self.digests.values())


def table_digests(
    cur: db.Connection,
    catalog: str,
    backup_format: int = BACKUP_FORMAT,
    tables: list[str] | None = None,
) -> Digests:
    """Row count and digest of every table of catalog (the marker table excepted), or of tables.

    Run it from a connection whose own catalog we built: a base's macros can shadow the hash
    functions for queries run in that base (DuckDB looks functions up in the default catalog).
    """
    names = tables
    if names is None:
        names = [
            str(name)
            for (name,) in cur.execute(
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
        ]
    # The sum of per-row hashes does not depend on row order and, unlike a XOR, does not
    # cancel out duplicated rows; format 2 sums both halves of the md5 (128 bits).
    upper = (
        " || ':' || CAST(coalesce(sum(md5_number_upper(CAST(r AS VARCHAR))), 0) AS VARCHAR)"
        if backup_format >= 2
        else ""
    )
    digests: Digests = {}
    for name in names:
        # Names come from a catalog, never from a user.
        row = cur.execute(
            f"""
            SELECT count(*),
                CAST(coalesce(sum(md5_number_lower(CAST(r AS VARCHAR))), 0) AS VARCHAR){upper}
            FROM "{catalog}"."main"."{name}" AS r
            """
        ).fetchone()
        assert row is not None
        digests[name] = (int(row[0]), str(row[1]))
    return digests


def not_ours(source: Path) -> BackupError:
    """The refusal of a file that is not one of our backups."""
    return BackupError(
        f"Le fichier {source.name} n'est pas une sauvegarde de CRM Affaires : "
        "la base n'a pas été modifiée."
    )


def damaged(source: Path) -> BackupError:
    """The refusal of a backup whose content changed since it was made."""
    return BackupError(
        f"La sauvegarde {source.name} est endommagée (son contenu ne correspond plus à ce "
        "qui a été enregistré) : la base n'a pas été modifiée."
    )
