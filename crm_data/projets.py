"""Projets of an affaire: the work done or to do after signing, with dates, status, responsible."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crm_data import children
from crm_data.model import Actor, StatutProjet, ValidationError
from crm_data.records import as_date, as_int, as_text
from crm_data.store.db import Connection

PROJET_COLUMNS = ("nom", "date_debut", "date_fin", "statut", "responsable_id", "notes")
# The projet's responsible must be an active user (checked when set or changed).
_OWNERS = ("responsable_id",)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    cleaned: dict[str, Any] = {"nom": as_text(values.get("nom"))}
    if not cleaned["nom"]:
        errors.append(("nom", "Le nom du projet est obligatoire."))
    for name in ("date_debut", "date_fin"):
        try:
            cleaned[name] = as_date(values.get(name))
        except ValueError:
            errors.append((name, "Date invalide."))
    start, end = cleaned.get("date_debut"), cleaned.get("date_fin")
    if start and end and end < start:
        errors.append(("date_fin", "La date de fin ne peut pas précéder la date de début."))
    cleaned["statut"] = as_text(values.get("statut")) or StatutProjet.A_REALISER.value
    if cleaned["statut"] not in {s.value for s in StatutProjet}:
        errors.append(("statut", "Statut inconnu."))
    try:
        cleaned["responsable_id"] = as_int(values.get("responsable_id"))
    except ValueError:
        errors.append(("responsable_id", "Responsable invalide."))
    cleaned["notes"] = as_text(values.get("notes"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def create_projet(con: Connection, actor: Actor, affaire_id: int, values: dict[str, Any]) -> int:
    """Add a projet to an affaire the actor may see; return its id."""
    return children.insert_child(con, actor, "projet", affaire_id, _clean(values), owners=_OWNERS)


def update_projet(
    con: Connection, actor: Actor, projet_id: int, values: dict[str, Any], expected_version: int
) -> None:
    """Save a projet read at expected_version."""
    children.update_child(
        con, actor, "projet", projet_id, _clean(values), expected_version, owners=_OWNERS
    )


def delete_projet(con: Connection, actor: Actor, projet_id: int, expected_version: int) -> None:
    """Delete a projet read at expected_version."""
    children.delete_child(con, actor, "projet", projet_id, expected_version)


def get_projet(con: Connection, actor: Actor, projet_id: int) -> dict[str, Any]:
    """The projet's fields with id, affaire_id and version."""
    return children.get_child(con, actor, "projet", projet_id, PROJET_COLUMNS)


def projets_of_affaire(con: Connection, actor: Actor, affaire_id: int) -> pd.DataFrame:
    """The affaire's projets by start date."""
    return children.list_children(
        con, actor, "projet", affaire_id, PROJET_COLUMNS, "date_debut NULLS LAST, id"
    )
