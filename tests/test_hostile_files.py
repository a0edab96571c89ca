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

from crm_data import affaires
from crm_data.files import export as exporter
from crm_data.files.canonical import FORMULA_PREFIXES, FileFormatError, read_canonical_bytes
from crm_data.imports import canonical as importer
from crm_data.model import CrmError
from crm_data.store.db import open_base
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


_SHARED_STRINGS_REL = (
    b'<Relationship Id="rIdBomb" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)

_SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def _zip_bomb_xlsx(path: Path, shared_strings_bytes: int) -> None:
    """A valid small workbook whose shared strings inflate to shared_strings_bytes: a few
    hundred kilobytes on disk, millions of strings for openpyxl to hold."""
    book = openpyxl.Workbook()
    book.active.append(["Nom", "Compte"])  # type: ignore[union-attr]
    plain = io.BytesIO()
    book.save(plain)
    unit = b"<si><t>ab</t></si>"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", _SHARED_STRINGS_REL + b"</Relationships>")
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", _SHARED_STRINGS_TYPE + b"</Types>")
            bomb.writestr(item, data, zipfile.ZIP_DEFLATED)
        member = zipfile.ZipInfo("xl/sharedStrings.xml")
        member.compress_type = zipfile.ZIP_DEFLATED
        with bomb.open(member, "w", force_zip64=True) as stream:
            stream.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><si><t>Nom</t></si>'
                b"<si><t>Compte</t></si>"
            )
            chunk = unit * (1 << 16)
            for _ in range(shared_strings_bytes // len(chunk)):
                stream.write(chunk)
            stream.write(b"</sst>")


_BOMB_CHILD = """
import resource, sys
from crm_data.files.canonical import read_canonical
from crm_data.files.reader import open_source
from crm_data.model import CrmError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
messages = []
for read in (read_canonical, open_source):
    try:
        read(sys.argv[1])
        messages.append("LU")
    except CrmError as exc:
        messages.append(str(exc))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
print("\\n".join(messages))
"""


def test_zip_bomb_xlsx_is_refused_before_parsing_without_filling_memory(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "bombe.xlsx"
    _zip_bomb_xlsx(path, 300 * 1024 * 1024)
    assert path.stat().st_size < 2 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-c", _BOMB_CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    grown_mb, *messages = done.stdout.splitlines()
    assert int(grown_mb) < 100
    assert len(messages) == 2 and all("n'est pas lu" in m for m in messages), messages


def test_xlsx_cell_longer_than_excel_allows_is_refused_in_french(tmp_path: Path) -> None:
    from crm_data.files.reader import SourceFileError, open_source

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nom", "Compte", "Notes"])
    sheet.append(["Projet", "Client existant", "PLACEHOLDER"])
    plain = io.BytesIO()
    book.save(plain)
    path = tmp_path / "long.xlsx"
    # openpyxl cuts what it writes to Excel's limit: the long cell is put in by hand.
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item).replace(b"PLACEHOLDER", b"x" * 40_000))
    with pytest.raises(FileFormatError) as canonical:
        read_canonical_bytes(path.read_bytes(), "long.xlsx")
    with pytest.raises(SourceFileError) as source:
        list(open_source(path).rows)
    for exc in (canonical.value, source.value):
        assert "40\u202f000 caractères" in str(exc)
        assert_french(exc)


def test_huge_csv_cell_of_an_export_is_refused_in_french_with_its_line(tmp_path: Path) -> None:
    from crm_data.files.reader import SourceFileError, open_source

    path = tmp_path / "export.csv"
    path.write_text("Id,Name\n1,Court\n2," + "N" * (csv.field_size_limit() + 1) + "\n")
    with pytest.raises(SourceFileError) as refused:
        list(open_source(path).rows)
    assert "ligne 3" in str(refused.value)
    assert_french(refused.value)
