"""Reading another CRM's export: encodings, separators, XLSX, and the French errors."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_data.files.reader import SourceFileError, open_source, source_from_bytes


@pytest.mark.parametrize(
    ("data", "encoding", "separator"),
    [
        ("Nom;Montant\nCafé;1\n".encode(), "UTF-8", ";"),
        (b"\xef\xbb\xbfNom,Montant\nCaf\xc3\xa9,1\n", "UTF-8 avec BOM", ","),
        ("Nom;Montant\nCafé;1\n".encode("cp1252"), "Windows-1252", ";"),
        (b"Nom\tMontant\nCafe\t1\n", "UTF-8", "\t"),
    ],
)
def test_encoding_and_separator_are_detected(data: bytes, encoding: str, separator: str) -> None:
    table = source_from_bytes(data, "export.csv")
    assert (table.detection.encoding, table.detection.separator) == (encoding, separator)
    assert table.header == ["Nom", "Montant"]
    assert [cells[1] for _, cells in table.rows] == ["1"]


def test_rows_keep_their_file_line_numbers_across_quoted_newlines() -> None:
    data = b'Nom,Notes\nA,"deux\nlignes"\n\nB,x\n'
    rows = list(source_from_bytes(data).rows)
    assert [(line, cells[0]) for line, cells in rows] == [(2, "A"), (5, "B")]


def test_cp1252_text_is_read_right() -> None:
    rows = list(source_from_bytes("Nom;Ville\nSociété;Orléans\n".encode("cp1252")).rows)
    assert rows == [(2, ["Société", "Orléans"])]


def test_xlsx_first_sheet_is_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Amount"])
    sheet.append(["Deal", 1200.0])
    path = tmp_path / "export.xlsx"
    book.save(path)
    table = open_source(path)
    assert table.detection.kind == "xlsx"
    assert table.header == ["Name", "Amount"]
    assert list(table.rows) == [(2, ["Deal", "1200"])]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        (b"\x00\x01\x02", "binaire.csv", "ni un CSV"),
        (b"pas un zip", "faux.xlsx", "classeur"),
        (b";;\n1;2\n", "sans.csv", "noms des colonnes"),
    ],
)
def test_unreadable_files_give_a_french_reason(data: bytes, name: str, message: str) -> None:
    with pytest.raises(SourceFileError, match=message):
        source_from_bytes(data, name)


def test_missing_file_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="Impossible de lire"):
        open_source(tmp_path / "absent.csv")


@given(st.binary(max_size=300))
def test_any_bytes_give_rows_or_a_french_error(data: bytes) -> None:
    try:
        table = source_from_bytes(data, "x.csv")
        list(table.rows)
    except SourceFileError as exc:
        assert str(exc)


def test_xlsx_bytes_in_memory_are_read() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["StageName"])
    sheet.append(["Closed Won"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert list(source_from_bytes(buffer.getvalue(), "a.xlsx").rows) == [(2, ["Closed Won"])]


def test_xlsx_percent_and_boolean_cells_read_as_in_the_canonical_file() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Probability", "Closed"])
    sheet.append([0.6, True])
    sheet["A2"].number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    assert list(source_from_bytes(buffer.getvalue(), "a.xlsx").rows) == [(2, ["60", "VRAI"])]
