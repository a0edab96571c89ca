"""Documents of an affaire: devis and factures, with an optional attached file (PDF, ≤ 10 MB).

A devis is Brouillon, Envoyé, Accepté or Refusé; a facture Émise or Payée.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crm_data import children
from crm_data.model import (
    DOCUMENT_MAX_BYTES,
    DOCUMENT_STATUTS,
    Actor,
    TypeDocument,
    ValidationError,
)
from crm_data.records import as_amount, as_date, as_text
from crm_data.store.db import Connection, read

DOCUMENT_COLUMNS = ("type", "numero", "date_document", "montant_ht", "statut")
_FILE_COLUMNS = ("fichier_nom", "fichier_type", "fichier")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    cleaned: dict[str, Any] = {"type": as_text(values.get("type"))}
    statuts = (
        DOCUMENT_STATUTS.get(TypeDocument(cleaned["type"]))
        if cleaned["type"] in {t.value for t in TypeDocument}
        else None
    )
    if statuts is None:
        errors.append(("type", "Choisissez Devis ou Facture."))
    cleaned["numero"] = as_text(values.get("numero"))
    if not cleaned["numero"]:
        errors.append(("numero", "Le numéro est obligatoire."))
    try:
        cleaned["date_document"] = as_date(values.get("date_document"))
        if cleaned["date_document"] is None:
            errors.append(("date_document", "La date est obligatoire."))
    except ValueError:
        errors.append(("date_document", "Date invalide."))
    try:
        cleaned["montant_ht"] = as_amount(values.get("montant_ht"))
        if cleaned["montant_ht"] is None:
            errors.append(("montant_ht", "Le montant HT est obligatoire."))
        elif cleaned["montant_ht"] < 0:
            errors.append(("montant_ht", "Le montant ne peut pas être négatif."))
    except ValueError:
        errors.append(("montant_ht", "Montant invalide."))
    cleaned["statut"] = as_text(values.get("statut"))
    if statuts is not None and cleaned["statut"] not in statuts:
        errors.append(("statut", f"Statut possible : {', '.join(statuts)}."))
    content = values.get("fichier")
    if content is not None:
        name = as_text(values.get("fichier_nom")) or "document.pdf"
        if not isinstance(content, bytes | bytearray):
            errors.append(("fichier", "Fichier illisible."))
        elif len(content) > DOCUMENT_MAX_BYTES:
            errors.append(("fichier", "Le fichier dépasse 10 Mo."))
        elif bytes(content[:5]) != b"%PDF-":
            errors.append(("fichier", "Seuls les fichiers PDF sont acceptés."))
        cleaned.update(fichier_nom=name, fichier_type="application/pdf", fichier=content)
    if errors:
        raise ValidationError(errors)
    return cleaned


def create_document(con: Connection, actor: Actor, affaire_id: int, values: dict[str, Any]) -> int:
    """Add a devis or facture (with an optional PDF in values['fichier']); return its id."""
    return children.insert_child(con, actor, "document", affaire_id, _clean(values))


def update_document(
    con: Connection, actor: Actor, document_id: int, values: dict[str, Any], expected_version: int
) -> None:
    """Save a document read at expected_version; its file stays unless a new one is given."""
    children.update_child(con, actor, "document", document_id, _clean(values), expected_version)


def delete_document(con: Connection, actor: Actor, document_id: int, expected_version: int) -> None:
    """Delete a document and its file."""
    children.delete_child(con, actor, "document", document_id, expected_version)


def get_document(con: Connection, actor: Actor, document_id: int) -> dict[str, Any]:
    """The document's fields (without the file's bytes) with id, affaire_id and version."""
    return children.get_child(
        con, actor, "document", document_id, (*DOCUMENT_COLUMNS, "fichier_nom")
    )


def document_file(con: Connection, actor: Actor, document_id: int) -> tuple[str, bytes] | None:
    """The attached file's name and bytes, or None when there is none."""
    with read(con) as cur:
        children.owning_affaire(cur, actor, "document", document_id)
        row = cur.execute(
            """
            SELECT fichier_nom, fichier
            FROM document
            WHERE id = ?
            """,
            [document_id],
        ).fetchone()
    if row is None or row[1] is None:
        return None
    return str(row[0]), bytes(row[1])


def documents_of_affaire(con: Connection, actor: Actor, affaire_id: int) -> pd.DataFrame:
    """The affaire's devis and factures, latest first, with fichier_nom (None without a file)."""
    return children.list_children(
        con,
        actor,
        "document",
        affaire_id,
        (*DOCUMENT_COLUMNS, "fichier_nom"),
        "date_document DESC, id DESC",
    )
