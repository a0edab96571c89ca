"""Actions of an affaire (mail, téléphone, relance, rendez-vous, tâche) and a user's to-do list.

An action not done whose due date (échéance) is past is overdue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from crm_data import children
from crm_data.model import Actor, TypeAction, ValidationError
from crm_data.records import as_date, as_int, as_text
from crm_data.store.db import Connection, dialect, read
from crm_data.store.sql import VISIBLE, dormant, visibility

ACTION_COLUMNS = (
    "type",
    "date_action",
    "objet",
    "description",
    "echeance",
    "fait",
    "fait_le",
    "utilisateur_id",
)
# The user an action is for must be an active user (checked when set or changed).
_OWNERS = ("utilisateur_id",)


def _clean(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    cleaned: dict[str, Any] = {}
    kind = as_text(values.get("type"))
    if kind not in {t.value for t in TypeAction}:
        errors.append(("type", "Type d'action inconnu."))
    cleaned["type"] = kind
    for name in ("date_action", "echeance", "fait_le"):
        try:
            cleaned[name] = as_date(values.get(name))
        except ValueError:
            errors.append((name, "Date invalide."))
    if cleaned.get("date_action") is None and "date_action" not in {f for f, _ in errors}:
        cleaned["date_action"] = dt.date.today()
    cleaned["objet"] = as_text(values.get("objet"))
    if not cleaned["objet"]:
        errors.append(("objet", "L'objet de l'action est obligatoire."))
    cleaned["description"] = as_text(values.get("description"))
    cleaned["fait"] = bool(values.get("fait"))
    if cleaned["fait"] and cleaned.get("fait_le") is None:
        cleaned["fait_le"] = dt.date.today()
    if not cleaned["fait"]:
        cleaned["fait_le"] = None
    try:
        cleaned["utilisateur_id"] = as_int(values.get("utilisateur_id")) or actor.id
    except ValueError:
        errors.append(("utilisateur_id", "Utilisateur invalide."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def create_action(con: Connection, actor: Actor, affaire_id: int, values: dict[str, Any]) -> int:
    """Add an action to an affaire the actor may see; return its id. User: the actor by default."""
    return children.insert_child(
        con, actor, "action", affaire_id, _clean(actor, values), owners=_OWNERS
    )


def create_relance(
    con: Connection, actor: Actor, affaire_id: int, *, today: dt.date | None = None
) -> int:
    """Add a relance to do today to an affaire (the « Relancer » of a dormant affaire), for the
    actor; return its id."""
    day = today or dt.date.today()
    values = {
        "type": TypeAction.RELANCE.value,
        "date_action": day,
        "echeance": day,
        "objet": "Relancer l'affaire",
    }
    return create_action(con, actor, affaire_id, values)


def dormant_affaires(
    con: Connection,
    actor: Actor,
    *,
    everyone: bool = False,
    limit: int = 20,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The actor's own open affaires that are dormant (SPEC §3, A14's section), or every one the
    actor may see when everyone, oldest save first, without a relance left to do: id, nom,
    compte, etape, gestion_par (the user's id), version (at most limit)."""
    with read(con) as cur:
        return cur.execute(
            f"""
            SELECT a.id, a.nom, c.nom AS compte, a.etape, a.gestion_par, a.version
            FROM affaire AS a
            JOIN compte AS c ON c.id = a.compte_id
            WHERE (a.gestion_par = $me OR CAST($everyone AS BOOLEAN))
              AND {VISIBLE}
              AND {dormant(dialect(con))}
              AND NOT EXISTS (
                  SELECT 1
                  FROM action AS x
                  WHERE x.affaire_id = a.id AND NOT x.fait AND x.type = 'Relance'
              )
            ORDER BY a.updated_at, a.id
            LIMIT $limit
            """,
            {
                **visibility(actor),
                "me": actor.id,
                "everyone": everyone,
                "today": today or dt.date.today(),
                "limit": max(1, limit),
            },
        ).df()


def update_action(
    con: Connection, actor: Actor, action_id: int, values: dict[str, Any], expected_version: int
) -> None:
    """Save an action read at expected_version."""
    children.update_child(
        con, actor, "action", action_id, _clean(actor, values), expected_version, owners=_OWNERS
    )


def mark_done(con: Connection, actor: Actor, action_id: int, expected_version: int) -> None:
    """Mark an action done today."""
    current = children.get_child(con, actor, "action", action_id, ACTION_COLUMNS)
    values = {c: current[c] for c in ACTION_COLUMNS} | {"fait": True, "fait_le": dt.date.today()}
    update_action(con, actor, action_id, values, expected_version)


def delete_action(con: Connection, actor: Actor, action_id: int, expected_version: int) -> None:
    """Delete an action read at expected_version."""
    children.delete_child(con, actor, "action", action_id, expected_version)


def get_action(con: Connection, actor: Actor, action_id: int) -> dict[str, Any]:
    """The action's fields with id, affaire_id and version."""
    return children.get_child(con, actor, "action", action_id, ACTION_COLUMNS)


def actions_of_affaire(con: Connection, actor: Actor, affaire_id: int) -> pd.DataFrame:
    """The affaire's actions, latest first, with `en_retard` (not done, due date past)."""
    frame = children.list_children(
        con, actor, "action", affaire_id, ACTION_COLUMNS, "date_action DESC, id DESC"
    )
    today = pd.Timestamp(dt.date.today())
    due = pd.to_datetime(frame["echeance"])
    frame["en_retard"] = (~frame["fait"].astype(bool)) & due.notna() & (due < today)
    return frame


def my_actions(con: Connection, actor: Actor, *, horizon_days: int = 14) -> pd.DataFrame:
    """The actor's actions not done that are overdue, due today or due within horizon_days.

    Only actions on affaires the actor may see: an action assigned to a commercial on another's
    affaire does not reveal that affaire.

    Columns: id, version, affaire_id, affaire, compte, type, objet, echeance, quand
    ('En retard', "Aujourd'hui", 'À venir'); overdue first, then by due date.
    """
    with read(con) as cur:
        return cur.execute(
            f"""
            SELECT x.id, x.version, x.affaire_id, a.nom AS affaire, c.nom AS compte, x.type,
                   x.objet, x.echeance,
                   CASE
                       WHEN x.echeance < current_date THEN 'En retard'
                       WHEN x.echeance = current_date THEN 'Aujourd''hui'
                       ELSE 'À venir'
                   END AS quand
            FROM action AS x
            JOIN affaire AS a ON a.id = x.affaire_id
            JOIN compte AS c ON c.id = a.compte_id
            WHERE x.utilisateur_id = $actor_id
              AND {VISIBLE}
              AND NOT x.fait
              AND x.echeance IS NOT NULL
              AND x.echeance <= current_date + CAST($horizon AS INTEGER)
            ORDER BY x.echeance, x.id
            """,
            {**visibility(actor), "horizon": horizon_days},
        ).df()
