"""The canonical affaire file (SPEC §4): reading a CSV or XLSX into rows of text, parsing values.

Reading only: nothing here touches the base. Problems come back as French messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from crm_data.files.xlsx_guard import XlsxRefusedError, check_cell, check_xlsx
from crm_data.model import AFFAIRE_FIELDS, AFFAIRE_LABELS, CrmError
from crm_data.money import parse_amount as parse_amount
from crm_data.text import fold

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run by a spreadsheet: exports prefix it with `'`."""

MAX_COLUMNS = 1_000
"""More columns than this is not an affaire file (it has about twenty): refused before reading."""

REQUIRED_FIELDS = ("nom", "compte_id")
"""Columns a canonical file must have: without them every row would be refused."""

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FR_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")


class FileFormatError(CrmError):
    """The file cannot be read as a canonical affaire file; the message says why, in French."""


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


HEADER_FIELDS: dict[str, str] = {
    **{_header_key(label): name for name, label in AFFAIRE_LABELS.items()},
    **{_header_key(name): name for name in AFFAIRE_FIELDS},
    "compte": "compte_id",
    "contact": "contact_id",
    "sourceid": "source_id",
}
"""Header key (folded, letters and digits only) → field: the guide's labels and the code names."""


@dataclass
class SourceRow:
    """One data row: its line in the file and its cells as text, keyed by field name.

    compte_id, contact_id and gestion_par hold names ("Prénom Nom" for a contact), not ids.
    """

    line: int
    values: dict[str, str]
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CanonicalFile:
    """A file read into rows, with the header as written for each field and unknown columns."""

    rows: list[SourceRow]
    headers: dict[str, str]
    unknown_columns: list[str]


def field_label(name: str, headers: dict[str, str] | None = None) -> str:
    """The column label to show for a field: as headed in the file, else the guide's label."""
    if headers and name in headers:
        return headers[name]
    return AFFAIRE_LABELS.get(name, name)


def read_canonical(path: str | Path) -> CanonicalFile:
    """Read a CSV or XLSX affaire file; FileFormatError when it is not one."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FileFormatError(f"Impossible de lire le fichier {path} : {exc.strerror}.") from exc
    return read_canonical_bytes(data, Path(path).name)


def read_canonical_bytes(data: bytes, name: str = "") -> CanonicalFile:
    """Read the content of a CSV or XLSX file (an upload); FileFormatError when it is not one."""
    table = read_table(data, name)
    _, header = next(table, (0, None))
    if header is None or not any(cell.strip() for cell in header):
        raise FileFormatError("Le fichier est vide : la première ligne doit porter les en-têtes.")
    if len(header) > MAX_COLUMNS:
        count = f"{len(header):,}".replace(",", "\u202f")
        raise FileFormatError(
            f"La première ligne a {count} colonnes, un fichier d'affaires en a une vingtaine : "
            "ce n'est pas un fichier d'affaires, ou son séparateur n'est ni « ; » ni « , »."
        )
    columns, headers, unknown = _match_headers(header)
    rows: list[SourceRow] = []
    for line, cells in table:
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: _unneutralised(cells[i]) for i, name in columns.items() if i < len(cells)}
        row = SourceRow(line, values)
        if any(cell.strip() for cell in cells[len(header) :]):
            row.problems.append(("", "La ligne a plus de cellules que l'en-tête n'a de colonnes."))
        rows.append(row)
    return CanonicalFile(rows, headers, unknown)


def _match_headers(header: list[str]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for index, text in enumerate(header):
        name = HEADER_FIELDS.get(_header_key(text))
        if name is None:
            if text.strip():
                unknown.append(text.strip())
            continue
        if name in headers:
            raise FileFormatError(
                f"Les colonnes « {headers[name]} » et « {text.strip()} » désignent le même "
                f"champ ({AFFAIRE_LABELS.get(name, name)}) : gardez-en une seule."
            )
        columns[index] = name
        headers[name] = text.strip()
    if not columns:
        expected = ", ".join(AFFAIRE_LABELS.values())
        raise FileFormatError(
            "Aucun en-tête reconnu sur la première ligne. Colonnes attendues : " + expected + "."
        )
    missing = [AFFAIRE_LABELS[name] for name in REQUIRED_FIELDS if name not in headers]
    if missing:
        raise FileFormatError(
            "Colonnes obligatoires absentes : " + ", ".join(missing) + ". Un export d'un autre "
            "CRM s'importe avec un mapping de ses colonnes."
        )
    return columns, headers, unknown


def needs_quote(text: str) -> bool:
    """Whether the export prefixes text with `'`: it starts, after any quotes, like a formula.

    Quotes are counted so that reading removes exactly the one the export added.
    """
    return text.lstrip("'")[:1] in FORMULA_PREFIXES


def _unneutralised(text: str) -> str:
    # The export prefixes formula-like cells with a quote; reading it back removes it.
    if text[:1] == "'" and needs_quote(text[1:]):
        return text[1:]
    return text


def read_table(data: bytes, name: str = "") -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for every line of a CSV or the first sheet of an XLSX."""
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(_OLE_MAGIC) or name.lower().endswith(".xls"):
        raise FileFormatError(
            "Les classeurs Excel 97-2003 (.xls) ne sont pas lus : enregistrez le fichier "
            "au format .xlsx ou CSV."
        )
    if name.lower().endswith(".xlsx"):
        raise FileFormatError(f"Le fichier {name} n'est pas un classeur Excel (.xlsx) valide.")
    return _csv_rows(decode_text(data))


def decode_text(data: bytes) -> str:
    """The text of a CSV: UTF-8 with or without BOM, else Windows-1252."""
    if not data.strip():
        raise FileFormatError("Le fichier est vide.")
    if b"\x00" in data:
        raise FileFormatError(
            "Ce fichier n'est pas un fichier texte CSV ni un classeur Excel (.xlsx)."
        )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            "Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8 ou Windows-1252."
        ) from exc


def sniff_delimiter(header_line: str) -> str:
    """`;` or `,`: the one found more often outside quotes in the header line (`;` on a tie)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    return "," if outside.count(",") > outside.count(";") else ";"


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        # csv's own messages are English: say what went wrong in French.
        reason = (
            "une cellule dépasse 131 072 caractères"
            if "field larger" in str(exc)
            else "guillemets ou fins de ligne mal placés"
        )
        raise FileFormatError(f"Fichier CSV mal formé vers la ligne {line} : {reason}.") from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    handle = io.BytesIO(data)
    try:
        check_xlsx(handle)
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except XlsxRefusedError as exc:
        raise FileFormatError(str(exc)) from exc
    # openpyxl raises many kinds of errors on a damaged archive; all mean "unreadable".
    except Exception as exc:
        raise FileFormatError("Ce classeur Excel (.xlsx) est illisible ou endommagé.") from exc
    try:
        sheet = book.worksheets[0]
        for index, row in enumerate(sheet.iter_rows(), start=1):
            yield (
                index,
                [
                    check_cell(_cell_text(c.value, getattr(c, "number_format", "")), index)
                    for c in row
                ],
            )
    except FileFormatError:
        raise
    except XlsxRefusedError as exc:
        raise FileFormatError(str(exc)) from exc
    except Exception as exc:
        raise FileFormatError("Ce classeur Excel (.xlsx) est illisible ou endommagé.") from exc
    finally:
        book.close()


def _cell_text(value: object, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            value = round(value * 100, 9)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    return str(value)


def parse_date(text: str) -> dt.date | None:
    """A date from `JJ/MM/AAAA` or `AAAA-MM-JJ`; None when empty; ValueError in French else."""
    text = text.strip()
    if not text:
        return None
    match = _FR_DATE.fullmatch(text)
    parts: tuple[str, str, str] | None = None
    if match:
        parts = (match[3], match[2], match[1])
    else:
        match = _ISO_DATE.fullmatch(text)
        if match:
            parts = (match[1], match[2], match[3])
    if parts is not None:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            raise ValueError(f"La date « {text} » n'existe pas.") from None
    raise ValueError(f"Date invalide « {text} » : attendu JJ/MM/AAAA ou AAAA-MM-JJ.")


def parse_reussite(text: str) -> int | None:
    """A réussite from `60` or `60 %`; None when empty; ValueError in French else."""
    raw = text.strip()
    cleaned = _SPACES.sub("", raw).removesuffix("%").replace(",", ".")
    if not cleaned:
        if raw:
            raise ValueError(f"Réussite invalide « {raw} » : attendu un pourcentage, ex. 60 %.")
        return None
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"Réussite invalide « {raw} » : attendu un pourcentage, ex. 60 %.")
    value = Decimal(cleaned)
    if value != value.to_integral_value():
        raise ValueError(f"Réussite invalide « {raw} » : un pourcentage entier est attendu.")
    if not 0 <= value <= 100:
        raise ValueError(f"Réussite invalide « {raw} » : un pourcentage de 0 à 100 est attendu.")
    return int(value)
