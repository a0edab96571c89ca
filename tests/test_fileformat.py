"""Reading the canonical file: encodings, separators, headers, value formats, bad files."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from crm_data.files.canonical import (
    FileFormatError,
    needs_quote,
    parse_amount,
    parse_date,
    parse_reussite,
    read_canonical,
    read_canonical_bytes,
)
from crm_data.files.reader import sniff_separator
from tests.files_helpers import csv_bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2026", dt.date(2026, 12, 31)),
        ("1/2/2026", dt.date(2026, 2, 1)),
        ("2026-12-31", dt.date(2026, 12, 31)),
        (" 2024-02-29 ", dt.date(2024, 2, 29)),
        ("2026-01-05 00:00:00", dt.date(2026, 1, 5)),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_date_reads_french_and_iso_dates(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "2026/12/31", "12-31-2026", "demain", "31.12.2026"])
def test_parse_date_refuses_other_forms_in_french(text: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", Decimal("1234.50")),
        ("1 234,50", Decimal("1234.50")),
        ("1 234,50 €", Decimal("1234.50")),
        ("1\u00a0234,50\u00a0€", Decimal("1234.50")),
        ("1\u202f234,50\u202f€", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("0", Decimal("0.00")),
        ("12,345", Decimal("12.35")),
        ("", None),
    ],
)
def test_parse_amount_reads_the_three_forms(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["abc", "12,3,4", "€", "1e5", "NaN", "9999999999999"])
def test_parse_amount_refuses_non_amounts_in_french(text: str) -> None:
    with pytest.raises(ValueError, match="Montant"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("60", 60), ("60 %", 60), ("60%", 60), ("60\u00a0%", 60), ("0", 0), ("100", 100), ("", None)],
)
def test_parse_reussite_reads_percentages(text: str, expected: int | None) -> None:
    assert parse_reussite(text) == expected


@pytest.mark.parametrize("text", ["abc", "150", "-5", "12.5", "%"])
def test_parse_reussite_refuses_non_percentages_in_french(text: str) -> None:
    with pytest.raises(ValueError, match="Réussite"):
        parse_reussite(text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [("Nom;Compte", ";"), ("Nom,Compte", ","), ('"Nom;x",Compte,Etape', ","), ("Nom", ";")],
)
def test_sniff_separator_counts_outside_quotes(line: str, expected: str) -> None:
    assert sniff_separator(line) == expected


@pytest.mark.parametrize(
    ("data", "expected_compte"),
    [
        (b"\xef\xbb\xbf" + "Nom;Compte\nA;Société\n".encode(), "Société"),
        ("Nom;Compte\nA;Société\n".encode(), "Société"),
        ("Nom;Compte\nA;Société\n".encode("cp1252"), "Société"),
        ("Nom,Compte\nA,Société\n".encode("cp1252"), "Société"),
        (b'Nom,Compte\r\nA,"Durand, Fils"\r\n', "Durand, Fils"),
        ("Nom\tCompte\nA\tSociété\n".encode(), "Société"),
    ],
    ids=["utf8-bom", "utf8", "cp1252", "cp1252-comma", "crlf-quoted", "tab"],
)
def test_csv_encodings_and_separators_are_detected(data: bytes, expected_compte: str) -> None:
    source = read_canonical_bytes(data, "f.csv")
    assert [r.values for r in source.rows] == [{"nom": "A", "compte_id": expected_compte}]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Date de début", "date_debut"),
        ("DATE DE DEBUT", "date_debut"),
        ("date_debut", "date_debut"),
        ("  date   de début ", "date_debut"),
        ("ca_potentiel", "ca_potentiel"),
        ("CA Potentiel", "ca_potentiel"),
        ("famille d'article", "famille_article"),
        ("famille_article", "famille_article"),
        ("Code Cloture", "code_cloture"),
        ("reussite", "reussite"),
        ("compte_id", "compte_id"),
        ("Date de clôture", "date_cloture"),
        ("gestion_par", "gestion_par"),
    ],
)
def test_headers_match_labels_and_code_names(header: str, field: str) -> None:
    header_line, cells = (
        (f"Nom;{header}", "A;x") if field == "compte_id" else (f"Nom;Compte;{header}", "A;B;x")
    )
    source = read_canonical_bytes(f"{header_line}\n{cells}\n".encode(), "f.csv")
    assert source.rows[0].values[field] == "x"
    assert source.headers[field] == header.strip()


def test_unknown_columns_are_reported_and_ignored() -> None:
    source = read_canonical_bytes(b"Nom;Couleur;Compte;\nA;bleu;B;\n", "f.csv")
    assert source.unknown_columns == ["Couleur"]
    assert source.rows[0].values == {"nom": "A", "compte_id": "B"}


def test_line_numbers_follow_the_file_across_multiline_cells_and_blank_lines() -> None:
    data = csv_bytes('A;"ligne 1\nligne 2"', "", "B;x", header="Nom;Compte")
    source = read_canonical_bytes(data, "f.csv")
    assert [(r.line, r.values["nom"]) for r in source.rows] == [(2, "A"), (5, "B")]


def test_extra_cells_beyond_the_header_are_a_row_problem() -> None:
    source = read_canonical_bytes(b"Nom;Compte\nA;B;surplus\n", "f.csv")
    assert source.rows[0].problems


@given(st.text(max_size=6, alphabet="'=+-@\tab"))
def test_neutralising_then_reading_gives_the_text_back(text: str) -> None:
    cell = "'" + text if needs_quote(text) else text
    assert cell[:1] not in ("=", "+", "-", "@", "\t")
    data = csv_bytes(f'A;"{cell}"', header="Nom;Compte")
    assert read_canonical_bytes(data, "f.csv").rows[0].values["compte_id"] == text


def test_neutralised_formula_cells_are_read_back_without_their_quote() -> None:
    source = read_canonical_bytes(b"Nom;Compte\n'=1+1;'-tiret\n", "f.csv")
    assert source.rows[0].values == {"nom": "=1+1", "compte_id": "-tiret"}


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "f.csv", "vide"),
        (b"\n\n  \n", "f.csv", "vide"),
        (b"\x00\x01\x02binaire", "f.csv", "CSV"),
        (b"PK\x03\x04pas un zip", "f.xlsx", "illisible"),
        (b"\xd0\xcf\x11\xe0ancien", "f.xls", ".xls"),
        (b"Nom;Compte", "f.xlsx", "Excel"),
        (b"Couleur;Taille\nbleu;M\n", "f.csv", "Aucun en-tête reconnu"),
        (b"Nom;nom\nA;B\n", "f.csv", "même champ"),
        (b"Name;Type;Amount\nA;B;3\n", "f.csv", "obligatoires absentes : Nom, Compte"),
        (b"\x81\x8d\x8f\x90\x9d", "f.csv", "Encodage"),
    ],
)
def test_bad_files_get_a_french_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read_canonical_bytes(data, name)


def test_missing_file_gets_a_french_message(tmp_path: object) -> None:
    with pytest.raises(FileFormatError, match="Impossible de lire"):
        read_canonical(f"{tmp_path}/absent.csv")


def _xlsx(rows: list[list[object]], percent_column: int | None = None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    percent = book.add_format({"num_format": "0%"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif c == percent_column and r > 0:
                sheet.write_number(r, c, value, percent)  # type: ignore[arg-type]
            else:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def test_xlsx_cells_become_text_the_parsers_read() -> None:
    data = _xlsx(
        [
            ["Nom", "Compte", "Date de début", "CA potentiel", "Réussite", "Total HT"],
            ["A", "B", dt.date(2026, 3, 4), 1234.5, 0.6, 1000],
        ],
        percent_column=4,
    )
    source = read_canonical_bytes(data, "f.xlsx")
    values = source.rows[0].values
    assert values == {
        "nom": "A",
        "compte_id": "B",
        "date_debut": "2026-03-04",
        "ca_potentiel": "1234.5",
        "reussite": "60",
        "total_ht": "1000",
    }
    assert source.rows[0].line == 2
