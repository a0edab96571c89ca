"""Mappings kept by name in import_mapping, beside the shipped ones: save, load, list, delete.

Admin only for writes. How a mapping applies to rows is crm_data.mapping.model's.
"""

from __future__ import annotations

from crm_data.mapping.model import Mapping
from crm_data.mapping.shipped import SHIPPED
from crm_data.model import Actor, NotFoundError, PermissionDeniedError, ValidationError
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction

_NAME_MAX = 100


def check_name(nom: str) -> str:
    """The trimmed name of a mapping; ValidationError (French) when empty or too long."""
    nom = nom.strip()
    if not nom:
        raise ValidationError([("nom", "Donnez un nom au mapping.")])
    if len(nom) > _NAME_MAX:
        raise ValidationError([("nom", f"{_NAME_MAX} caractères au plus.")])
    return nom


def save_mapping(con: Connection, actor: Actor, mapping: Mapping) -> None:
    """Save (or replace) a mapping under its name. Admin only, as imports are."""
    if not actor.is_admin:
        raise PermissionDeniedError("Seul un administrateur peut enregistrer un mapping.")
    mapping.nom = check_name(mapping.nom)
    mapping.check()
    with transaction(con) as cur:
        check_actor(cur, actor)
        cur.execute(
            """
            INSERT INTO import_mapping (nom, definition, updated_at)
            VALUES (?, ?, current_timestamp)
            ON CONFLICT (nom) DO UPDATE
            SET definition = excluded.definition,
                updated_at = excluded.updated_at
            """,
            [mapping.nom, mapping.to_json()],
        )


def saved_mapping(con: Connection, nom: str) -> Mapping | None:
    """The mapping saved under this name, or None."""
    with read(con) as cur:
        row = cur.execute(
            """
            SELECT definition
            FROM import_mapping
            WHERE nom = ?
            """,
            [nom.strip()],
        ).fetchone()
    return Mapping.from_json(nom.strip(), str(row[0])) if row else None


def load_mapping(con: Connection, nom: str) -> Mapping:
    """The mapping named nom: a saved one, else a shipped one (maven, salesforce).

    NotFoundError naming the known mappings otherwise.
    """
    mapping = saved_mapping(con, nom)
    if mapping is not None:
        return mapping
    if nom.strip().lower() in SHIPPED:
        return SHIPPED[nom.strip().lower()]()
    known = ", ".join(list_mappings(con))
    raise NotFoundError(f"Mapping inconnu : « {nom} ». Mappings connus : {known}.")


def list_mappings(con: Connection) -> list[str]:
    """The names of the shipped mappings, then of the saved ones, without repeats."""
    with read(con) as cur:
        saved = [
            str(r[0])
            for r in cur.execute(
                """
                SELECT nom
                FROM import_mapping
                ORDER BY nom
                """
            ).fetchall()
        ]
    return list(dict.fromkeys([*SHIPPED, *saved]))


def delete_mapping(con: Connection, actor: Actor, nom: str) -> None:
    """Forget a saved mapping. Admin only."""
    if not actor.is_admin:
        raise PermissionDeniedError("Seul un administrateur peut supprimer un mapping.")
    with transaction(con) as cur:
        check_actor(cur, actor)
        cur.execute(
            """
            DELETE FROM import_mapping
            WHERE nom = ?
            """,
            [nom],
        )
