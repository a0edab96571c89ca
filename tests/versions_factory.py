"""Hand-built histories of affaires for the pipe-through-time tests: each save writes the affaire's
row and appends its version at a controlled instant, as the application's writes do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from crm_data.model import AFFAIRE_FIELDS
from crm_data.store.db import Connection
from tests.analyses_factory import new_affaire

T = dt.datetime.fromisoformat


def _append_version(con: Connection, affaire_id: int, at: dt.datetime) -> None:
    columns = ", ".join(AFFAIRE_FIELDS)
    con.execute(
        f"""
        INSERT INTO affaire_version (affaire_id, version, valid_from, written_by, {columns})
        SELECT id,
               coalesce((SELECT max(version) FROM affaire_version WHERE affaire_id = $id), 0) + 1,
               $at, 1, {columns}
        FROM affaire
        WHERE id = $id
        """,
        {"id": affaire_id, "at": at},
    )


def create(con: Connection, at: str | dt.datetime, **fields: Any) -> int:
    """A new affaire (tests.analyses_factory defaults, réussite 20 unless given) saved at `at`
    (ISO text or a datetime), with its first version."""
    fields.setdefault("reussite", 20)
    when = T(at) if isinstance(at, str) else at
    fields.setdefault("date_debut", when.date())
    affaire_id = new_affaire(con, **fields)
    _append_version(con, affaire_id, when)
    return affaire_id


def save(con: Connection, affaire_id: int, at: str | dt.datetime, **changes: Any) -> None:
    """Change these fields of the affaire at `at` and append the version. Closing it as Gagnée
    fills total_ht, date_signature and date_cloture as the rule does; reopening clears them."""
    when = T(at) if isinstance(at, str) else at
    statut = changes.get("statut")
    if statut == "Gagnée":
        changes.setdefault("date_signature", when.date())
        changes.setdefault("date_cloture", changes["date_signature"])
        changes.setdefault("total_ht", Decimal("0"))
        changes.setdefault("reussite", 100)
    elif statut in ("Perdue", "Abandonnée"):
        changes.setdefault("date_cloture", when.date())
        changes.setdefault("reussite", 0)
    elif statut == "En cours":
        changes.update(date_cloture=None, date_signature=None, total_ht=None, code_cloture=None)
    assignments = ", ".join(f"{name} = ${name}" for name in changes)
    con.execute(
        f"""
        UPDATE affaire
        SET {assignments}, version = version + 1, updated_at = $at
        WHERE id = $id
        """,
        {**changes, "at": when, "id": affaire_id},
    )
    _append_version(con, affaire_id, when)


def delete(con: Connection, affaire_id: int) -> None:
    """Delete the affaire and its versions: a deleted affaire has no past."""
    for table in ("affaire_version", "affaire_historique", "action"):
        con.execute(f"DELETE FROM {table} WHERE affaire_id = ?", [affaire_id])
    con.execute("DELETE FROM affaire WHERE id = ?", [affaire_id])
