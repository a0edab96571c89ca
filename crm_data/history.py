"""The history of every affaire: who changed which field when, from what to what.

Written by the affaire writes in their own transaction; it feeds the record's Historique section
and the conversion analysis (A8).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from crm_data.model import AFFAIRE_FIELDS, AFFAIRE_LABELS, Actor, Affaire, NotFoundError
from crm_data.store.db import Connection, read
from crm_data.store.sql import VISIBLE, visibility


def history_value(value: object) -> str | None:
    """How a field's value is kept in the history: ISO dates, plain decimals, ids as numbers."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def changes(old: Affaire | None, new: Affaire) -> list[tuple[str, str | None, str | None]]:
    """(champ, ancien, nouveau) for each field that differs; for a creation, each field set."""
    rows = []
    for name in AFFAIRE_FIELDS:
        before = history_value(getattr(old, name)) if old is not None else None
        after = history_value(getattr(new, name))
        if before != after:
            rows.append((name, before, after))
    return rows


def record(
    cur: Connection,
    affaire_id: int,
    actor_id: int,
    at: dt.datetime,
    rows: list[tuple[str, str | None, str | None]],
) -> None:
    """Append the changes to the history inside the caller's transaction."""
    if not rows:
        return
    # One INSERT of many rows: DuckDB's executemany runs a statement per row, 20 times slower.
    placeholders = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in rows)
    params: list[object] = []
    for champ, ancien, nouveau in rows:
        params += [affaire_id, at, actor_id, champ, ancien, nouveau]
    cur.execute(
        f"""
        INSERT INTO affaire_historique (affaire_id, changed_at, changed_by, champ, ancien, nouveau)
        VALUES {placeholders}
        """,
        params,
    )


def affaire_history(con: Connection, actor: Actor, affaire_id: int) -> pd.DataFrame:
    """The affaire's history, newest first: changed_at, utilisateur, champ (its French label),
    ancien, nouveau, with compte, contact and user ids shown as names.

    Only for an affaire the actor may see; NotFoundError otherwise.
    """
    with read(con) as cur:
        # crm_data.affaires imports this module, so the rights check is a query of its own.
        visible = cur.execute(
            f"""
            SELECT count(*)
            FROM affaire AS a
            WHERE a.id = $id
              AND {VISIBLE}
            """,
            {"id": affaire_id, **visibility(actor)},
        ).fetchone()
        if not visible or not visible[0]:
            raise NotFoundError(f"Affaire n° {affaire_id} introuvable.")
        frame = cur.execute(
            """
            SELECT h.changed_at, u.nom AS utilisateur, h.champ,
                   CASE h.champ
                       WHEN 'compte_id' THEN ca.nom
                       WHEN 'contact_id' THEN trim(coalesce(cta.prenom, '') || ' ' || cta.nom)
                       WHEN 'gestion_par' THEN ua.nom
                       ELSE h.ancien
                   END AS ancien,
                   CASE h.champ
                       WHEN 'compte_id' THEN cn.nom
                       WHEN 'contact_id' THEN trim(coalesce(ctn.prenom, '') || ' ' || ctn.nom)
                       WHEN 'gestion_par' THEN un.nom
                       ELSE h.nouveau
                   END AS nouveau
            FROM affaire_historique AS h
            LEFT JOIN utilisateur AS u ON u.id = h.changed_by
            LEFT JOIN compte AS ca
                ON h.champ = 'compte_id' AND ca.id = TRY_CAST(h.ancien AS BIGINT)
            LEFT JOIN compte AS cn
                ON h.champ = 'compte_id' AND cn.id = TRY_CAST(h.nouveau AS BIGINT)
            LEFT JOIN contact AS cta
                ON h.champ = 'contact_id' AND cta.id = TRY_CAST(h.ancien AS BIGINT)
            LEFT JOIN contact AS ctn
                ON h.champ = 'contact_id' AND ctn.id = TRY_CAST(h.nouveau AS BIGINT)
            LEFT JOIN utilisateur AS ua
                ON h.champ = 'gestion_par' AND ua.id = TRY_CAST(h.ancien AS BIGINT)
            LEFT JOIN utilisateur AS un
                ON h.champ = 'gestion_par' AND un.id = TRY_CAST(h.nouveau AS BIGINT)
            WHERE h.affaire_id = ?
            ORDER BY h.changed_at DESC, h.id DESC
            """,
            [affaire_id],
        ).df()
    frame["champ"] = frame["champ"].map(lambda c: AFFAIRE_LABELS.get(str(c), str(c)))
    return frame
