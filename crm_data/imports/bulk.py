"""Bulk inserts of validated affaires in the caller's transaction, through Arrow frames.

One INSERT ... SELECT per table (contacts, affaires, first versions), never one INSERT per
row; comptes go through crm_data.comptes.insert_comptes, their one rule. Validation is the
caller's job (crm_data.imports.canonical).
"""

from __future__ import annotations

import datetime as dt
import secrets

import pyarrow as pa

from crm_data import history
from crm_data.model import (
    AFFAIRE_AMOUNT_FIELDS,
    AFFAIRE_DATE_FIELDS,
    AFFAIRE_FIELDS,
    Actor,
    Affaire,
)
from crm_data.store.db import Connection
from crm_data.store.frames import execute_all_with_frame, execute_with_frame
from crm_data.store.sql import in_ids

_SEQUENCE_TABLES = {
    "affaire_id_seq": "affaire",
    "compte_id_seq": "compte",
    "contact_id_seq": "contact",
}
# A dry run's rows are rolled back, but nextval is not: its ids come from far above the real
# ones instead (a random offset, so that two dry runs at once do not insert the same key).
_PROVISIONAL_OFFSET = 10**12


def allocate_ids(cur: Connection, sequence: str, count: int, *, dry_run: bool = False) -> list[int]:
    """count new ids drawn from sequence, in order.

    A dry run draws nothing from the sequence (a rolled-back nextval stays used, and the next
    real import would start further on): it numbers its rows above every id in the table.
    """
    if count == 0:
        return []
    if dry_run:
        table = _SEQUENCE_TABLES[sequence]
        ((highest,),) = cur.execute(
            f"""
            SELECT coalesce(max(id), 0)
            FROM {table}
            """
        ).fetchall()
        start = int(highest) + _PROVISIONAL_OFFSET
        start += secrets.randbelow(_PROVISIONAL_OFFSET)
        return list(range(start + 1, start + 1 + count))
    rows = cur.execute(
        """
        SELECT nextval(?)
        FROM generate_series(1, ?)
        """,
        [sequence, count],
    ).fetchall()
    return [int(r[0]) for r in rows]


def split_nom_complet(nom_complet: str) -> tuple[str | None, str]:
    """(prénom, nom) from "Prénom Nom": the first word is the first name; one word is a name."""
    words = nom_complet.split()
    if len(words) < 2:
        return None, " ".join(words)
    return words[0], " ".join(words[1:])


def insert_contacts(
    cur: Connection, actor: Actor, contacts: list[tuple[int, int, str]], now: dt.datetime
) -> None:
    """Insert contacts (id, compte id, "Prénom Nom"), the full name split by split_nom_complet."""
    if not contacts:
        return
    split = [split_nom_complet(nom) for _, _, nom in contacts]
    frame = pa.table(
        {
            "id": pa.array([i for i, _, _ in contacts], pa.int64()),
            "compte_id": pa.array([c for _, c, _ in contacts], pa.int64()),
            "prenom": pa.array([p for p, _ in split], pa.string()),
            "nom": pa.array([n for _, n in split], pa.string()),
        }
    )
    execute_with_frame(
        cur,
        """
        INSERT INTO contact (id, compte_id, prenom, nom, created_at, created_by,
                             updated_at, updated_by)
        SELECT id, compte_id, prenom, nom, $now, $actor, $now, $actor
        FROM bulk_frame
        """,
        frame,
        {"now": now, "actor": actor.id},
    )


ARROW_TYPES: dict[str, pa.DataType] = {
    **{f: pa.date32() for f in AFFAIRE_DATE_FIELDS},
    **{f: pa.decimal128(14, 2) for f in AFFAIRE_AMOUNT_FIELDS},
    "compte_id": pa.int64(),
    "contact_id": pa.int64(),
    "gestion_par": pa.int64(),
    "reussite": pa.int32(),
}
"""The Arrow type of each affaire column loaded in bulk (others are text): exact amounts, dates."""


def insert_affaires(
    cur: Connection,
    actor: Actor,
    affaires: list[Affaire],
    source_ids: list[str | None],
    now: dt.datetime,
) -> None:
    """Insert validated affaires (their id set) with source ids, and their first versions."""
    columns: dict[str, pa.Array] = {"id": pa.array([a.id for a in affaires], pa.int64())}
    for name in AFFAIRE_FIELDS:
        kind = ARROW_TYPES.get(name, pa.string())
        columns[name] = pa.array([getattr(a, name) for a in affaires], kind)
    columns["source_id"] = pa.array(source_ids, pa.string())
    names = ", ".join(columns)
    execute_with_frame(
        cur,
        f"""
        INSERT INTO affaire ({names}, created_at, created_by, updated_at, updated_by)
        SELECT {names}, $now, $actor, $now, $actor
        FROM bulk_frame
        """,
        pa.table(columns),
        {"now": now, "actor": actor.id},
    )
    _insert_versions(cur, [a.id for a in affaires if a.id is not None])


def insert_selected(
    cur: Connection, actor: Actor, table: str, frame: pa.Table, now: dt.datetime
) -> None:
    """Insert affaires straight from table (a row idx and every affaire field, already valid):
    frame gives, by idx, the rows to insert with their id, real compte and contact ids and
    source id; then their first versions. No row goes through Python."""
    fields = [n for n in AFFAIRE_FIELDS if n not in ("compte_id", "contact_id")]
    names = ", ".join(("id", "compte_id", "contact_id", *fields, "source_id"))
    insert = f"""
        INSERT INTO affaire ({names}, created_at, created_by, updated_at, updated_by)
        SELECT f.id, f.compte_id, f.contact_id, {", ".join(f"c.{n}" for n in fields)},
               f.source_id, $now, $actor, $now, $actor
        FROM {table} AS c
        JOIN bulk_frame AS f ON f.idx = c.idx
        """
    # The first versions from the same rows, not read back from affaire.
    columns = {n: f"c.{n}" for n in fields}
    versions = f"""
        {history.VERSION_INSERT}
        SELECT {
        history.version_select(
            affaire_id="f.id",
            version="1",
            valid_from="$now",
            written_by="$actor",
            compte_id="f.compte_id",
            contact_id="f.contact_id",
            **columns,
        )
    }
        FROM {table} AS c
        JOIN bulk_frame AS f ON f.idx = c.idx
        """
    params = {"now": now, "actor": actor.id}
    execute_all_with_frame(cur, [(insert, params), (versions, params)], frame)


def _insert_versions(cur: Connection, ids: list[int]) -> None:
    """The first version of each affaire just inserted (ids): one INSERT ... SELECT of the rows
    as stored (their version 1, at the import's instant). The bounds of ids let the engine skip
    the rows of earlier chunks instead of testing each against the list."""
    if not ids:
        return
    cur.execute(
        f"""
        {history.VERSION_INSERT}
        SELECT {history.version_select()}
        FROM affaire AS a
        WHERE a.id BETWEEN $low AND $high AND {in_ids("a.id", "ids")}
        """,
        {"ids": ids, "low": min(ids), "high": max(ids)},
    )
