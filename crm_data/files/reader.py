"""Reading another CRM's export (CSV or XLSX) as a header and a stream of rows of text.

Detects the encoding and the separator and says which; reads lazily so that a file of a million
rows never sits in memory. Nothing here knows our fields: crm_data.mapping.model does that.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from crm_data.files.xlsx_guard import XlsxRefusedError, check_cell, check_xlsx
from crm_data.model import CrmError

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_SNIFF_BYTES = 1 << 20
_SEPARATORS = (";", ",", "\t", "|")
_SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre"}


class SourceFileError(CrmError):
    """The file cannot be read as a table; the message says why, in French."""


@dataclass(frozen=True)
class Detection:
    """What was detected about a file, for the screen: kind, encoding and separator."""

    kind: str
    encoding: str = ""
    separator: str = ""

    def describe(self) -> str:
        """A French sentence such as "CSV, encodage UTF-8 avec BOM, séparateur virgule"."""
        if self.kind == "xlsx":
            return "Classeur Excel (.xlsx), première feuille"
        return (
            f"CSV, encodage {self.encoding}, "
            f"séparateur {_SEPARATOR_NAMES.get(self.separator, repr(self.separator))}"
        )


@dataclass
class SourceTable:
    """A file's header (as written, trimmed) and its data rows as (line number, cells)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    detection: Detection


def open_source(path: str | Path) -> SourceTable:
    """Open a CSV or XLSX file for streaming; SourceFileError when it is neither."""
    try:
        # The handle lives as long as the row stream, which closes it when exhausted.
        handle = Path(path).open("rb")  # noqa: SIM115
    except OSError as exc:
        raise SourceFileError(f"Impossible de lire le fichier {path} : {exc.strerror}.") from exc
    return _open(handle, Path(path).name)


def source_from_bytes(data: bytes, name: str = "") -> SourceTable:
    """The same as open_source for an uploaded file's content."""
    return _open(io.BytesIO(data), name)


def _open(handle: IO[bytes], name: str) -> SourceTable:
    start = handle.read(_SNIFF_BYTES)
    handle.seek(0)
    if start.startswith(_ZIP_MAGIC):
        return _xlsx(handle)
    if name.lower().endswith((".xls", ".xlsx")):
        raise SourceFileError(
            f"Le fichier {name} n'est pas un classeur .xlsx lisible : enregistrez-le en .xlsx "
            "ou en CSV."
        )
    if not start.strip():
        raise SourceFileError("Le fichier est vide.")
    if b"\x00" in start:
        raise SourceFileError("Ce fichier n'est ni un CSV ni un classeur Excel (.xlsx).")
    encoding, label = _encoding(start)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        separator = sniff_separator(text.readline())
        text.seek(0)
        reader = csv.reader(text, delimiter=separator)
        header = [cell.strip() for cell in next(reader, [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SourceFileError(
            "Première ligne illisible : enregistrez le fichier en CSV UTF-8."
        ) from exc
    if not any(header):
        raise SourceFileError("La première ligne doit porter les noms des colonnes.")
    return SourceTable(header, _csv_rows(reader, handle), Detection("csv", label, separator))


def _encoding(start: bytes) -> tuple[str, str]:
    if start.startswith(_UTF8_BOM):
        return "utf-8-sig", "UTF-8 avec BOM"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a character cut at the end of the sample is not an error.
        decoder.decode(start, final=False)
    except UnicodeDecodeError:
        return "cp1252", "Windows-1252"
    return "utf-8", "UTF-8"


def sniff_separator(header_line: str) -> str:
    """The separator found most often outside quotes in the header line; `;` on a tie."""
    outside = "".join(part for i, part in enumerate(header_line.split('"')) if i % 2 == 0)
    counts = {sep: outside.count(sep) for sep in _SEPARATORS}
    best = max(counts.values())
    return next(sep for sep in _SEPARATORS if counts[sep] == best) if best else ";"


def _csv_rows(reader: Iterator[list[str]], handle: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    # A row's line is where it starts: a quoted cell may span several physical lines.
    read_up_to = getattr(reader, "line_num", 1)
    try:
        for cells in reader:
            start, read_up_to = read_up_to + 1, getattr(reader, "line_num", read_up_to + 1)
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as exc:
        # csv's own messages are English ("field larger than field limit"): say it in French.
        reason = (
            f"une cellule dépasse {csv.field_size_limit():,} caractères".replace(",", "\u202f")
            if "field larger" in str(exc)
            else "guillemets ou fins de ligne mal placés"
        )
        raise SourceFileError(
            f"Fichier CSV mal formé vers la ligne {read_up_to + 1} : {reason}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"Encodage incohérent vers la ligne {read_up_to + 1} : enregistrez le fichier en UTF-8."
        ) from exc
    finally:
        handle.close()


def _xlsx(handle: IO[bytes]) -> SourceTable:
    import openpyxl

    try:
        check_xlsx(handle)
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except XlsxRefusedError as exc:
        handle.close()
        raise SourceFileError(str(exc)) from exc
    # openpyxl raises many kinds of errors on a damaged archive; all mean "unreadable".
    except Exception as exc:
        raise SourceFileError("Ce classeur Excel (.xlsx) est illisible ou endommagé.") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    try:
        header = [check_cell(_cell_text(v), 1).strip() for v in first or ()]
    except XlsxRefusedError as exc:
        book.close()
        raise SourceFileError(str(exc)) from exc
    if not any(header):
        book.close()
        raise SourceFileError("La première ligne doit porter les noms des colonnes.")

    def data() -> Iterator[tuple[int, list[str]]]:
        try:
            for index, values in enumerate(rows, start=2):
                cells = [check_cell(_cell_text(v), index) for v in values]
                if any(c.strip() for c in cells):
                    yield index, cells
        except XlsxRefusedError as exc:
            raise SourceFileError(str(exc)) from exc
        finally:
            book.close()

    return SourceTable(header, data(), Detection("xlsx"))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
