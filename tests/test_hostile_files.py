"""Hostile files: any bytes, any encoding, binary, empty, a 1 MB line or 100,000 columns end in
rows or a French message, and a refused import changes nothing; exports neutralise whatever a
spreadsheet would run."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data import affaires, exporter, importer
from crm_data.db import open_base
from crm_data.fileformat import FORMULA_PREFIXES, FileFormatError, read_canonical_bytes
from crm_data.model import CrmError
from crm_data.users import local_admin
from tests.factories import make_compte, make_contact
from tests.files_helpers import HEADER, csv_bytes, table_digest

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
FILE_CHARACTER = st.characters(codec="utf-8")
"""A decoded file holds no lone surrogate."""
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-32", "mac_roman"]
FRENCH_WORDS = ("fichier", "ligne", "colonne", "en-tête", "encodage", "classeur", "vide", "lire")

_CON = open_base(":memory:")
_ADMIN = local_admin(_CON)
make_compte(_CON, "Client existant")


def assert_french(exc: CrmError) -> None:
    message = str(exc).lower()
    assert any(word in message for word in FRENCH_WORDS), message
    assert "error" not in message and "field larger" not in message, message


def read_or_refuse(data: bytes, name: str) -> None:
    try:
        read_canonical_bytes(data, name)
    except FileFormatError as exc:
        assert_french(exc)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a.xls", "", "a"]))
def test_any_bytes_give_rows_or_a_french_message(data: bytes, name: str) -> None:
    read_or_refuse(data, name)


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(ANY_CHARACTER, max_size=500),
    encoding=st.sampled_from(ENCODINGS),
)
def test_any_text_in_any_encoding_gives_rows_or_a_french_message(body: str, encoding: str) -> None:
    data = (HEADER + "\n" + body).encode(
        encoding, errors="surrogatepass" if "utf" in encoding else "replace"
    )
    read_or_refuse(data, "affaires.csv")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.text(FILE_CHARACTER, max_size=40), min_size=18, max_size=18), max_size=4)
)
def test_any_cells_import_whole_or_change_nothing(rows: list[list[str]]) -> None:
    lines = [";".join('"' + c.replace('"', '""') + '"' for c in cells) for cells in rows]
    before = table_digest(_CON)
    try:
        source = read_canonical_bytes(csv_bytes(*lines), "affaires.csv")
        report = importer.import_rows(_CON, _ADMIN, source.rows, headers=source.headers)
    except FileFormatError as exc:
        assert_french(exc)
        assert table_digest(_CON) == before
        return
    if not report.written:
        assert report.errors or not source.rows
        assert table_digest(_CON) == before
    else:
        assert len(report.affaire_ids) == len(source.rows)


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20


def _zip_not_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lisez-moi.txt", "pas un classeur")
    return buffer.getvalue()


def _one_mb_line() -> bytes:
    return b"x" * 1_000_000


def _one_mb_cell() -> bytes:
    return csv_bytes("Affaire;01/01/2026;;Client;;;;;;;" + "n" * 1_000_000 + ";;;;;;;")


def _hundred_thousand_columns() -> bytes:
    return (";".join(["Nom", "Compte", *(f"c{i}" for i in range(99_998))]) + "\nA;B\n").encode()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("vide.csv", lambda: b""),
        ("blancs.csv", lambda: b"   \n\n\t\n"),
        ("bom.csv", lambda: b"\xef\xbb\xbf"),
        ("image.csv", _png),
        ("document.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 50),
        ("archive.xlsx", _zip_not_xlsx),
        ("faux.xlsx", lambda: b"Nom;Compte\nA;B\n"),
        ("ligne.csv", _one_mb_line),
        ("cellule.csv", _one_mb_cell),
        ("colonnes.csv", _hundred_thousand_columns),
    ],
)
def test_hostile_file_import_changes_nothing(name: str, make: object, tmp_path: Path) -> None:
    con = open_base(tmp_path / "crm.duckdb")
    make_compte(con, "Client")
    before = table_digest(con)
    assert callable(make)
    path = tmp_path / name
    path.write_bytes(make())
    try:
        report = importer.import_file(con, local_admin(con), path)
    except CrmError as exc:
        assert_french(exc)
    else:
        assert not report.written and report.errors
        assert all(message for message in report.errors)
    assert table_digest(con) == before


FORMULA_TEXT = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from((*FORMULA_PREFIXES, "'=", "''+")),
    st.text(FILE_CHARACTER, max_size=30),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes=FORMULA_TEXT, compte=FORMULA_TEXT, contact=FORMULA_TEXT)
def test_exports_run_no_formula_whatever_the_text(notes: str, compte: str, contact: str) -> None:
    con = open_base(":memory:")
    admin = local_admin(con)
    compte_id = make_compte(con, compte if compte.strip() else "=vide")
    contact_id = make_contact(con, compte_id, contact if contact.strip() else "+vide")
    affaires.create_affaire(
        con,
        admin,
        {"nom": "Export", "compte_id": compte_id, "contact_id": contact_id, "notes": notes},
    )
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "affaires.csv"
        xlsx_path = Path(folder) / "affaires.xlsx"
        exporter.export_affaires(con, admin, csv_path)
        exporter.export_affaires(con, admin, xlsx_path)
        text = csv_path.read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=";") for c in row]
        book = openpyxl.load_workbook(xlsx_path)
        sheet_cells = [c for row in book.worksheets[0].iter_rows() for c in row]
    assert not [c for c in cells if c[:1] in FORMULA_PREFIXES]
    assert all(c.data_type != "f" for c in sheet_cells)
    assert not [c.value for c in sheet_cells if str(c.value or "")[:1] in FORMULA_PREFIXES]
