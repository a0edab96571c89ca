"""Exporting comptes and contacts, CSV for French Excel (UTF-8 BOM, `;`) or XLSX.

Text cells a spreadsheet would run as a formula are neutralised with a leading `'`, as in the
affaires export (crm_data.files.export).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crm_data.files.canonical import FORMULA_PREFIXES
from crm_data.model import CrmError
from crm_data.store.db import Connection, read

COMPTE_COLUMNS = {
    "nom": "Nom",
    "secteur": "Secteur",
    "ville": "Ville",
    "telephone": "Téléphone",
    "site_web": "Site web",
    "notes": "Notes",
}
CONTACT_COLUMNS = {
    "compte": "Compte",
    "prenom": "Prénom",
    "nom": "Nom",
    "fonction": "Fonction",
    "email": "E-mail",
    "telephone": "Téléphone",
}


def neutralise(value: object) -> object:
    """The value, with `'` in front when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def comptes_frame(con: Connection) -> pd.DataFrame:
    """Every compte by name, headed with French labels."""
    with read(con) as cur:
        frame = cur.execute(
            """
            SELECT nom, secteur, ville, telephone, site_web, notes
            FROM compte
            ORDER BY nom_cle
            """
        ).df()
    return frame.rename(columns=COMPTE_COLUMNS)


def contacts_frame(con: Connection) -> pd.DataFrame:
    """Every contact with its compte's name, by compte then name, headed with French labels."""
    with read(con) as cur:
        frame = cur.execute(
            """
            SELECT c.nom AS compte, ct.prenom, ct.nom, ct.fonction, ct.email, ct.telephone
            FROM contact AS ct
            JOIN compte AS c ON c.id = ct.compte_id
            ORDER BY c.nom_cle, ct.nom, ct.prenom
            """
        ).df()
    return frame.rename(columns=CONTACT_COLUMNS)


def export_table(frame: pd.DataFrame, path: str | Path, sheet: str) -> int:
    """Write frame to path (.csv or .xlsx) with formula-like cells neutralised; the row count."""
    target = Path(path)
    safe = frame.astype(object).map(neutralise).where(frame.notna(), None)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        safe.to_csv(target, sep=";", index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        # Without this option xlsxwriter writes any text starting with "=" as a formula.
        options = {"options": {"strings_to_formulas": False}}
        with pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs=options) as writer:
            safe.to_excel(writer, sheet_name=sheet, index=False)
    else:
        raise CrmError("Format d'export inconnu : choisissez un fichier .csv ou .xlsx.")
    return len(frame)
