"""Contacts: the people of a compte. Create, edit, list per compte or with a search.

Everyone reads and creates contacts; only managers and admins edit them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from crm_data.model import Actor, NotFoundError, PermissionDeniedError, ValidationError
from crm_data.records import as_int, as_text, check_version, valid_email
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction
from crm_data.text import fold, like_pattern

CONTACT_FIELDS = ("compte_id", "prenom", "nom", "fonction", "email", "telephone")


@dataclass
class Contact:
    id: int
    compte_id: int
    prenom: str | None
    nom: str
    fonction: str | None
    email: str | None
    telephone: str | None
    version: int

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom or ''} {self.nom}".strip()


def _clean(cur: Connection, values: dict[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    cleaned: dict[str, Any] = {f: as_text(values.get(f)) for f in CONTACT_FIELDS[1:]}
    try:
        cleaned["compte_id"] = as_int(values.get("compte_id"))
    except ValueError:
        cleaned["compte_id"] = None
    if cleaned["compte_id"] is None:
        errors.append(("compte_id", "Un contact appartient obligatoirement à un compte."))
    else:
        exists = cur.execute(
            """
            SELECT count(*)
            FROM compte
            WHERE id = ?
            """,
            [cleaned["compte_id"]],
        ).fetchone()
        if not exists or not exists[0]:
            errors.append(("compte_id", "Compte introuvable."))
    if not cleaned["nom"]:
        errors.append(("nom", "Le nom du contact est obligatoire."))
    if not valid_email(cleaned["email"]):
        errors.append(("email", f"Adresse e-mail invalide : « {cleaned['email']} »."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def insert_contact(cur: Connection, actor: Actor, values: dict[str, Any]) -> int:
    """Insert a contact inside the caller's transaction and return its id."""
    cleaned = _clean(cur, values)
    row = cur.execute(
        """
        INSERT INTO contact (compte_id, prenom, nom, fonction, email, telephone,
                             created_by, updated_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING id
        """,
        [*(cleaned[f] for f in CONTACT_FIELDS), actor.id, actor.id],
    ).fetchone()
    assert row is not None
    return int(row[0])


def create_contact(con: Connection, actor: Actor, values: dict[str, Any]) -> int:
    """Create a contact and return its id."""
    with transaction(con) as cur:
        check_actor(cur, actor)
        return insert_contact(cur, actor, values)


def update_contact(
    con: Connection, actor: Actor, contact_id: int, values: dict[str, Any], expected_version: int
) -> None:
    """Save a contact read at expected_version; managers and admins only."""
    if not actor.sees_everything:
        raise PermissionDeniedError("Seuls les managers et administrateurs modifient les contacts.")
    with transaction(con) as cur:
        check_actor(cur, actor)
        cleaned = _clean(cur, values)
        check_version(cur, "contact", contact_id, expected_version)
        old = cur.execute(
            f"""
            SELECT {", ".join(CONTACT_FIELDS)}
            FROM contact
            WHERE id = ?
            """,
            [contact_id],
        ).fetchone()
        assert old is not None
        changed = [f for f, before in zip(CONTACT_FIELDS, old, strict=True) if cleaned[f] != before]
        if "compte_id" in changed and _used_by_affaires(cur, contact_id):
            raise ValidationError(
                [
                    (
                        "compte_id",
                        "Ce contact suit des affaires de son compte : il ne peut pas en changer.",
                    )
                ]
            )
        if not changed:
            return
        # Only the changed columns are set: DuckDB runs a rewrite of a foreign key's column, even
        # to the same value, as a delete and an insert, which a referenced row would refuse.
        cur.execute(
            f"""
            UPDATE contact
            SET {"".join(f"{f} = ?, " for f in changed)}
                updated_at = current_timestamp, updated_by = ?, version = version + 1
            WHERE id = ?
            """,
            [*(cleaned[f] for f in changed), actor.id, contact_id],
        )


def _used_by_affaires(cur: Connection, contact_id: int) -> bool:
    row = cur.execute(
        """
        SELECT count(*)
        FROM affaire
        WHERE contact_id = ?
        """,
        [contact_id],
    ).fetchone()
    return bool(row and row[0])


def get_contact(con: Connection, contact_id: int) -> Contact:
    """The contact with this id; NotFoundError otherwise."""
    with read(con) as cur:
        row = cur.execute(
            """
            SELECT id, compte_id, prenom, nom, fonction, email, telephone, version
            FROM contact
            WHERE id = ?
            """,
            [contact_id],
        ).fetchone()
    if row is None:
        raise NotFoundError("Contact introuvable.")
    return Contact(*row)


def contacts_of_compte(con: Connection, compte_id: int) -> pd.DataFrame:
    """The compte's contacts by name: id, prenom, nom, nom_complet, fonction, email, telephone."""
    with read(con) as cur:
        return cur.execute(
            """
            SELECT id, prenom, nom, trim(coalesce(prenom, '') || ' ' || nom) AS nom_complet,
                   fonction, email, telephone
            FROM contact
            WHERE compte_id = ?
            ORDER BY nom, prenom, id
            """,
            [compte_id],
        ).df()


def find_contact_id(con: Connection, compte_id: int, nom_complet: str) -> int | None:
    """The compte's contact whose full name matches (ignoring case and accents), or None."""
    key = fold(nom_complet)
    frame = contacts_of_compte(con, compte_id)
    for row in frame.itertuples():
        if fold(str(row.nom_complet)) == key:
            return int(str(row.id))
    return None


def list_contacts(
    con: Connection, search: str = "", limit: int = 50, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """A page of contacts matching the search (name, compte, e-mail) and the matching count."""
    # Without a search every contact matches (nom is required, compte_id references a compte):
    # no condition then, so the page is read from the name index and the count from one table.
    matching = (
        """
        WHERE ct.nom ILIKE $p ESCAPE '\\'
           OR ct.prenom ILIKE $p ESCAPE '\\'
           OR c.nom ILIKE $p ESCAPE '\\'
           OR ct.email ILIKE $p ESCAPE '\\'
        """
        if search.strip()
        else ""
    )
    counted = "JOIN compte AS c ON c.id = ct.compte_id" if matching else ""
    params = {"p": like_pattern(search.strip())} if matching else {}
    with read(con) as cur:
        frame = cur.execute(
            f"""
            SELECT ct.id, trim(coalesce(ct.prenom, '') || ' ' || ct.nom) AS nom_complet,
                   ct.fonction, ct.email, ct.telephone, c.nom AS compte, ct.compte_id
            FROM contact AS ct
            JOIN compte AS c ON c.id = ct.compte_id
            {matching}
            ORDER BY ct.nom, ct.prenom, ct.id
            LIMIT $limit
            OFFSET $offset
            """,
            {**params, "limit": limit, "offset": offset},
        ).df()
        total = cur.execute(
            f"""
            SELECT count(*)
            FROM contact AS ct
            {counted}
            {matching}
            """,
            params,
        ).fetchone()
    return frame, int(total[0]) if total else 0
