"""Comptes (the companies affaires belong to): create, edit, find by name, list with totals.

A compte's name is unique ignoring case and accents. Everyone reads and creates comptes (a
commercial creates one while entering an affaire); only managers and admins edit them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from crm_data.model import Actor, NotFoundError, PermissionDeniedError, ValidationError
from crm_data.records import as_text, check_version, refuse_duplicate
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction
from crm_data.store.frames import FRAME, execute_with_frame
from crm_data.store.sql import VISIBLE, visibility
from crm_data.text import fold

COMPTE_FIELDS = ("nom", "secteur", "ville", "telephone", "site_web", "notes")


@dataclass
class Compte:
    id: int
    nom: str
    secteur: str | None
    ville: str | None
    telephone: str | None
    site_web: str | None
    notes: str | None
    version: int


def _row(values: Mapping[str, Any]) -> dict[str, str | None]:
    """A compte row's fields (COMPTE_FIELDS and source_id) trimmed, None when empty; a missing
    nom is refused. The rule of every compte inserted, one at a time or in bulk."""
    row = {f: as_text(values.get(f)) for f in (*COMPTE_FIELDS, "source_id")}
    if not row["nom"]:
        raise ValidationError([("nom", "Le nom du compte est obligatoire.")])
    return row


def _clean(values: Mapping[str, Any]) -> dict[str, str | None]:
    cleaned = _row(values)
    nom = cleaned["nom"]
    assert nom is not None
    if len(nom) > 200:
        raise ValidationError([("nom", "200 caractères au plus.")])
    return cleaned


def _duplicate(cur: Connection, nom: str, exclude_id: int | None) -> tuple[str, str] | None:
    """The refusal of a name another compte has (case and accents aside), or None."""
    row = cur.execute(
        """
        SELECT nom
        FROM compte
        WHERE nom_cle = ?
          AND id IS DISTINCT FROM ?
        """,
        [fold(nom), exclude_id],
    ).fetchone()
    return ("nom", f"Le compte « {row[0]} » existe déjà.") if row else None


def insert_comptes(
    cur: Connection,
    actor: Actor,
    comptes: Sequence[tuple[int, str | Mapping[str, Any]]],
    now: dt.datetime | None = None,
) -> None:
    """Insert comptes inside the caller's transaction, in one statement per table (one INSERT a
    compte takes minutes for thousands): each is (id, nom) or (id, its values: COMPTE_FIELDS
    and source_id), its id already drawn from compte_id_seq.

    Each row follows the compte rule (fields trimmed, nom required, nom_cle its folded name,
    its compte_cle key, created and updated by actor at now); duplicates are the caller's to
    refuse (the compte_cle key refuses them at the latest).
    """
    if not comptes:
        return
    rows = [_row({"nom": v} if isinstance(v, str) else v) for _, v in comptes]
    columns: dict[str, pa.Array] = {"id": pa.array([i for i, _ in comptes], pa.int64())}
    for name in (*COMPTE_FIELDS, "source_id"):
        columns[name] = pa.array([r[name] for r in rows], pa.string())
    columns["nom_cle"] = pa.array([fold(r["nom"] or "") for r in rows], pa.string())
    frame = pa.table(columns)
    execute_with_frame(
        cur,
        f"""
        INSERT INTO compte (id, nom, nom_cle, secteur, ville, telephone, site_web, notes,
                            source_id, created_at, created_by, updated_at, updated_by)
        SELECT id, nom, nom_cle, secteur, ville, telephone, site_web, notes,
               source_id, $now, $actor, $now, $actor
        FROM {FRAME}
        """,
        frame,
        {"now": now or dt.datetime.now(), "actor": actor.id},
    )
    execute_with_frame(
        cur,
        f"""
        INSERT INTO compte_cle (nom_cle, compte_id)
        SELECT nom_cle, id
        FROM {FRAME}
        """,
        frame,
    )


def insert_compte(cur: Connection, actor: Actor, values: dict[str, Any]) -> int:
    """Insert a compte inside the caller's transaction and return its id; a name already taken
    (case, accents aside) is refused."""
    cleaned = _clean(values)
    nom = cleaned["nom"]
    assert nom is not None
    refusal = _duplicate(cur, nom, None)
    if refusal:
        raise ValidationError([refusal])
    ((compte_id,),) = cur.execute(
        """
        SELECT nextval('compte_id_seq')
        """
    ).fetchall()
    compte_id = int(compte_id)
    insert_comptes(cur, actor, [(compte_id, cleaned)])
    return compte_id


def create_compte(con: Connection, actor: Actor, values: dict[str, Any]) -> int:
    """Create a compte and return its id; a name already taken (case, accents aside) is refused."""

    def write() -> int:
        with transaction(con) as cur:
            check_actor(cur, actor)
            return insert_compte(cur, actor, values)

    nom = as_text(values.get("nom")) or ""
    return refuse_duplicate(con, write, lambda cur: _duplicate(cur, nom, None))


def update_compte(
    con: Connection, actor: Actor, compte_id: int, values: dict[str, Any], expected_version: int
) -> None:
    """Save a compte read at expected_version; managers and admins only."""
    if not actor.sees_everything:
        raise PermissionDeniedError("Seuls les managers et administrateurs modifient les comptes.")
    cleaned = _clean(values)
    nom = cleaned["nom"]
    assert nom is not None

    def write() -> None:
        with transaction(con) as cur:
            check_actor(cur, actor)
            check_version(cur, "compte", compte_id, expected_version)
            refusal = _duplicate(cur, nom, compte_id)
            if refusal:
                raise ValidationError([refusal])
            cur.execute(
                """
                DELETE FROM compte_cle
                WHERE compte_id = ?
                """,
                [compte_id],
            )
            cur.execute(
                """
                INSERT INTO compte_cle (nom_cle, compte_id)
                VALUES (?, ?)
                """,
                [fold(nom), compte_id],
            )
            cur.execute(
                """
                UPDATE compte
                SET nom = ?, nom_cle = ?, secteur = ?, ville = ?, telephone = ?, site_web = ?,
                    notes = ?, updated_at = current_timestamp, updated_by = ?, version = version + 1
                WHERE id = ?
                """,
                [
                    nom,
                    fold(nom),
                    cleaned["secteur"],
                    cleaned["ville"],
                    cleaned["telephone"],
                    cleaned["site_web"],
                    cleaned["notes"],
                    actor.id,
                    compte_id,
                ],
            )

    refuse_duplicate(con, write, lambda cur: _duplicate(cur, nom, compte_id))


def get_compte(con: Connection, compte_id: int) -> Compte:
    """The compte with this id; NotFoundError otherwise."""
    with read(con) as cur:
        row = cur.execute(
            """
            SELECT id, nom, secteur, ville, telephone, site_web, notes, version
            FROM compte
            WHERE id = ?
            """,
            [compte_id],
        ).fetchone()
    if row is None:
        raise NotFoundError("Compte introuvable.")
    return Compte(*row)


def find_compte_id(con: Connection, nom: str) -> int | None:
    """The id of the compte named nom, ignoring case and accents, or None."""
    with read(con) as cur:
        row = cur.execute(
            """
            SELECT id
            FROM compte
            WHERE nom_cle = ?
            """,
            [fold(nom)],
        ).fetchone()
    return int(row[0]) if row else None


def search_comptes(con: Connection, text: str, limit: int = 20) -> pd.DataFrame:
    """Comptes whose name contains text (ignoring case and accents): id, nom, ville; by name."""
    with read(con) as cur:
        return cur.execute(
            """
            SELECT id, nom, ville
            FROM compte
            WHERE strpos(nom_cle, ?) > 0
            ORDER BY nom_cle
            LIMIT ?
            """,
            [fold(text), limit],
        ).df()


def list_comptes(
    con: Connection, actor: Actor, search: str = "", limit: int = 50, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """A page of comptes with the count and signed total of the affaires the actor sees, and
    the number of comptes matching the search."""
    params: dict[str, Any] = {
        "search": fold(search),
        **visibility(actor),
        "limit": limit,
        "offset": offset,
    }
    # The page of comptes is cut first (by name, from an index on PostgreSQL), then only its
    # fifty comptes are joined to their affaires: grouping every compte's affaires before the
    # cut read the million affaires for each page.
    with read(con) as cur:
        frame = cur.execute(
            f"""
            SELECT c.id, c.nom, c.secteur, c.ville, c.telephone,
                   count(a.id) AS affaires,
                   count(a.id) FILTER (WHERE a.statut = 'En cours') AS affaires_en_cours,
                   coalesce(sum(a.total_ht) FILTER (WHERE a.statut = 'Gagnée'), 0) AS ca_signe
            FROM (
                SELECT id, nom, secteur, ville, telephone, nom_cle
                FROM compte
                WHERE strpos(nom_cle, $search) > 0
                ORDER BY nom_cle, id
                LIMIT $limit
                OFFSET $offset
            ) AS c
            LEFT JOIN affaire AS a
                ON a.compte_id = c.id
               AND {VISIBLE}
            GROUP BY c.id, c.nom, c.secteur, c.ville, c.telephone, c.nom_cle
            ORDER BY c.nom_cle, c.id
            """,
            params,
        ).df()
        total = cur.execute(
            """
            SELECT count(*)
            FROM compte
            WHERE strpos(nom_cle, ?) > 0
            """,
            [fold(search)],
        ).fetchone()
    return frame, int(total[0]) if total else 0
