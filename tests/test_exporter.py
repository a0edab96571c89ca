"""Exporting affaires: the canonical CSV and XLSX, formula neutralisation, the round trip."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from crm_data.affaires import create_affaire
from crm_data.comptes import create_compte
from crm_data.files.export import export_affaires
from crm_data.imports.canonical import import_file
from crm_data.model import AFFAIRE_FIELDS, AFFAIRE_LABELS, CrmError
from crm_data.store import db
from crm_data.store.db import Connection
from crm_data.users import local_admin
from tests.files_helpers import add_commercial, new_base, table_digest, varied_base

pytestmark = pytest.mark.usefixtures("engine")


def _affaires_by_name(con: Connection) -> list[dict[str, Any]]:
    """Every affaire's fields with compte, contact and gestion par as names, in id order."""
    cur = con.execute(
        """
        SELECT a.*, c.nom AS compte, trim(coalesce(ct.prenom, '') || ' ' || ct.nom) AS contact,
               u.nom AS gestionnaire
        FROM affaire AS a
        JOIN compte AS c ON c.id = a.compte_id
        LEFT JOIN contact AS ct ON ct.id = a.contact_id
        JOIN utilisateur AS u ON u.id = a.gestion_par
        ORDER BY a.id
        """
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    replaced = {"compte_id": "compte", "contact_id": "contact", "gestion_par": "gestionnaire"}
    return [{f: row[replaced.get(f, f)] for f in AFFAIRE_FIELDS} for row in rows]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_gives_back_every_affaire_field_for_field(
    tmp_path: Path, suffix: str
) -> None:
    con, admin = varied_base()
    path = tmp_path / f"affaires{suffix}"
    count = export_affaires(con, admin, path)
    # The file is read back into a DuckDB base whatever the engine exported it: what is under
    # test is the export, and a DuckDB base is the reference both engines must agree with.
    fresh = db.open_base(":memory:")
    fresh_admin = local_admin(fresh)
    add_commercial(fresh)
    report = import_file(fresh, fresh_admin, path)
    assert report.errors == [] and len(report.affaire_ids) == count == 7
    assert _affaires_by_name(fresh) == _affaires_by_name(con)


def test_csv_is_what_french_excel_expects(tmp_path: Path) -> None:
    con, admin = varied_base()
    path = tmp_path / "affaires.csv"
    export_affaires(con, admin, path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(["N°", *(AFFAIRE_LABELS[f] for f in AFFAIRE_FIELDS)])
    assert "31/01/2025;30/06/2025;" in data.decode("utf-8-sig")
    assert ";1234567,89;85;0,01;" in data.decode("utf-8-sig")


def test_formula_like_cells_are_neutralised_in_csv(tmp_path: Path) -> None:
    con, admin = varied_base()
    path = tmp_path / "affaires.csv"
    export_affaires(con, admin, path)
    text = path.read_text(encoding="utf-8-sig")
    assert ';"\'=HYPERLINK(""x"") « devis »";' in text
    assert ";''=déjà protégé;" in text and ";''-;" in text
    assert ";'-Perdue;" in text and ";'@todo;" in text and ";'+33 partenaire;" in text


def test_formula_like_cells_are_text_with_a_quote_in_xlsx(tmp_path: Path) -> None:
    con, admin = varied_base()
    path = tmp_path / "affaires.xlsx"
    export_affaires(con, admin, path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    noms = [sheet.cell(row=r, column=2) for r in range(2, 9)]
    assert [c.value for c in noms][1] == '\'=HYPERLINK("x") « devis »'
    assert all(c.data_type == "s" for c in noms)


def test_xlsx_holds_real_dates_and_numbers(tmp_path: Path) -> None:
    con, admin = varied_base()
    path = tmp_path / "affaires.xlsx"
    export_affaires(con, admin, path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert row["Date de début"].value == dt.datetime(2025, 1, 31)
    assert row["Date de début"].number_format == "dd/mm/yyyy"
    assert row["CA potentiel"].value == pytest.approx(1234567.89)
    assert row["Réussite"].value == 85


def test_only_the_given_affaire_ids_are_exported(tmp_path: Path) -> None:
    con, admin = varied_base()
    path = tmp_path / "choix.csv"
    assert export_affaires(con, admin, path, affaire_ids=[2, 4]) == 2
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["2", "4"]
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("x") « devis »', "'-Perdue"]


def test_a_commercial_exports_only_their_own_affaires(tmp_path: Path) -> None:
    con, admin = new_base()
    claire = add_commercial(con)
    create_affaire(con, admin, {"nom": "À l'admin", "compte_id": _compte(con, admin)})
    create_affaire(con, claire, {"nom": "À Claire", "compte_id": _compte(con, admin)})
    path = tmp_path / "claire.csv"
    assert export_affaires(con, claire, path) == 1
    assert "À Claire" in path.read_text(encoding="utf-8-sig")


def _compte(con: Connection, admin: Any) -> int:
    from crm_data.comptes import create_compte, find_compte_id

    return find_compte_id(con, "Acme") or create_compte(con, admin, {"nom": "Acme"})


def test_an_empty_base_exports_the_header_only(tmp_path: Path) -> None:
    con, admin = new_base()
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"vide{suffix}"
        assert export_affaires(con, admin, path) == 0
        assert path.stat().st_size > 0


def test_an_unknown_format_is_refused_in_french(tmp_path: Path) -> None:
    con, admin = new_base()
    with pytest.raises(CrmError, match="Format d'export"):
        export_affaires(con, admin, tmp_path / "affaires.txt")


def test_export_writes_nothing_to_the_base(tmp_path: Path) -> None:
    con, admin = varied_base()
    before = table_digest(con)
    export_affaires(con, admin, tmp_path / "a.csv")
    export_affaires(con, admin, tmp_path / "a.xlsx")
    assert table_digest(con) == before


AWKWARD_NOTES = [
    "a <b>gras</b> & </sheetData> fin",
    "littéral _x0041_ et _X00e9_",
    "tab\tet\nligne\r\nfin  ",
    "  espaces autour  ",
    "contrôle \x01\x1f ici",
]


def test_xlsx_text_is_written_as_typed_whatever_its_characters(tmp_path: Path) -> None:
    con, admin = new_base()
    compte = create_compte(con, admin, {"nom": "A & <B>"})
    for notes in AWKWARD_NOTES:
        create_affaire(
            con, admin, {"nom": notes.strip() or "x", "compte_id": compte, "notes": notes}
        )
    path = tmp_path / "affaires.xlsx"
    export_affaires(con, admin, path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    with db.read(con) as cur:
        stored = [r[0] for r in cur.execute("SELECT notes FROM affaire ORDER BY id").fetchall()]
    # openpyxl gives back Excel's _xHHHH_ escapes as written: undo them as Excel does.
    unescaped = [
        re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), r["Notes"]) for r in rows
    ]
    assert unescaped == stored
    assert [r["Compte"] for r in rows] == ["A & <B>"] * len(stored)
    assert [r["N°"] for r in rows] == sorted(r["N°"] for r in rows)
    assert sheet.auto_filter.ref == f"A1:S{len(stored) + 1}"
