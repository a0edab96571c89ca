"""Exports of comptes and contacts: French Excel CSV, XLSX, formulas neutralised."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from crm_data.files.export_tables import comptes_frame, contacts_frame, export_table
from crm_data.model import CrmError
from tests.factories import make_compte, make_contact, new_base

pytestmark = pytest.mark.usefixtures("engine")


def test_comptes_csv_has_bom_semicolons_and_neutralised_formulas(tmp_path: Path) -> None:
    con = new_base()
    make_compte(con, "Durand SA", ville="Lyon")
    make_compte(con, "=1+1", secteur="@SUM(A1)")
    path = tmp_path / "comptes.csv"
    assert export_table(comptes_frame(con), path, "Comptes") == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Nom;Secteur;Ville;Téléphone;Site web;Notes"
    assert "'=1+1;'@SUM(A1)" in lines[1]
    assert lines[2].startswith("Durand SA;;Lyon")


def test_contacts_xlsx_keeps_formula_text_as_text(tmp_path: Path) -> None:
    con = new_base()
    compte = make_compte(con, "Durand SA")
    make_contact(con, compte, nom="-Martin", prenom="+Paul")
    path = tmp_path / "contacts.xlsx"
    assert export_table(contacts_frame(con), path, "Contacts") == 1
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Compte", "Prénom", "Nom")
    assert rows[1][:3] == ("Durand SA", "'+Paul", "'-Martin")


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CrmError, match="Format d'export inconnu"):
        export_table(comptes_frame(new_base()), tmp_path / "comptes.ods", "Comptes")
