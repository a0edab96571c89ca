"""Reading a CSV or XLSX file as a header and a stream of rows of text: the one file reader.

Both the canonical affaire file (crm_data.files.canonical) and other CRMs' exports are read here.
Detects the encoding (UTF-8 with or without BOM, else Windows-1252) and the separator (`;`, `,`,
tab or `|`) and says which; reads lazily so that a file of a million rows never sits in memory.
An XLSX is checked by crm_data.files.xlsx_guard before it is parsed. Nothing here knows our
fields: crm_data.files.canonical and crm_data.mapping.model do that.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crm_data.files.xlsx_guard import XlsxRefusedError, check_cell, check_xlsx
from crm_data.model import CrmError

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
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
    codec: str = ""
    """Python's name of the encoding (`utf-8-sig`, `cp1252`): for another reader of the file."""

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
    release: Callable[[], None] = field(default=lambda: None, repr=False)
    """Closes the file when the rows are not read to the end (reading them all closes it)."""
    read_fraction: Callable[[], float | None] = field(default=lambda: None, repr=False)
    """How much of the file was read so far, 0 to 1 (None when unknown): for progress bars."""
    header_lines: int = 1
    """The physical lines the header takes (a quoted cell may span several)."""


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
    try:
        return _open_kind(handle, name)
    except BaseException:
        handle.close()
        raise


def _open_kind(handle: IO[bytes], name: str) -> SourceTable:
    fraction = _fraction_of(handle)
    start = handle.read(_SNIFF_BYTES)
    handle.seek(0)
    if start.startswith(_ZIP_MAGIC):
        return _xlsx(handle)
    if start.startswith(_OLE_MAGIC) or name.lower().endswith(".xls"):
        raise SourceFileError(
            "Les classeurs Excel 97-2003 (.xls) ne sont pas lus : enregistrez le fichier "
            "au format .xlsx ou CSV."
        )
    if name.lower().endswith(".xlsx"):
        raise SourceFileError(
            f"Le fichier {name} n'est pas un classeur Excel (.xlsx) valide : enregistrez-le en "
            ".xlsx ou en CSV."
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
    except csv.Error as exc:
        raise SourceFileError(_malformed(exc, 1)) from exc
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            "Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8 ou Windows-1252."
        ) from exc
    if not any(header):
        raise SourceFileError("La première ligne doit porter les noms des colonnes.")
    return SourceTable(
        header,
        _csv_rows(reader, handle),
        Detection("csv", label, separator, encoding),
        handle.close,
        fraction,
        reader.line_num,
    )


def _fraction_of(handle: IO[bytes]) -> Callable[[], float | None]:
    """The share of handle's bytes read so far (through its buffer: close enough for a bar)."""
    try:
        size = handle.seek(0, io.SEEK_END)
        handle.seek(0)
    except (OSError, ValueError):
        return lambda: None

    def fraction() -> float | None:
        if not size:
            return None
        # The row stream closes the handle once it has read the last row.
        return 1.0 if handle.closed else min(1.0, handle.tell() / size)

    return fraction


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
            if (cells and cells[0].strip()) or any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as exc:
        raise SourceFileError(_malformed(exc, read_up_to + 1)) from exc
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"Encodage incohérent vers la ligne {read_up_to + 1} : enregistrez le fichier en UTF-8."
        ) from exc
    finally:
        handle.close()


def _malformed(exc: csv.Error, line: int) -> str:
    # csv's own messages are English ("field larger than field limit"): say it in French.
    reason = (
        f"une cellule dépasse {csv.field_size_limit():,} caractères".replace(",", "\u202f")
        if "field larger" in str(exc)
        else "guillemets ou fins de ligne mal placés"
    )
    return f"Fichier CSV mal formé vers la ligne {line} : {reason}."


def _xlsx(handle: IO[bytes]) -> SourceTable:
    import openpyxl

    try:
        check_xlsx(handle)
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except XlsxRefusedError as exc:
        raise SourceFileError(str(exc)) from exc
    # openpyxl raises many kinds of errors on a damaged archive; all mean "unreadable".
    except Exception as exc:
        raise SourceFileError("Ce classeur Excel (.xlsx) est illisible ou endommagé.") from exc
    lines = _xlsx_lines(book)
    try:
        _, first = next(lines, (1, []))
    except BaseException:
        book.close()
        raise
    header = [cell.strip() for cell in first]
    if not any(header):
        book.close()
        raise SourceFileError("La première ligne doit porter les noms des colonnes.")

    def release() -> None:
        book.close()
        handle.close()

    def data() -> Iterator[tuple[int, list[str]]]:
        try:
            for index, cells in lines:
                if any(c.strip() for c in cells):
                    yield index, cells
        finally:
            release()

    return SourceTable(header, data(), Detection("xlsx"), release)


def _xlsx_lines(book: Any) -> Iterator[tuple[int, list[str]]]:
    # Cells, not values only: a cell's number format tells a percentage.
    try:
        for index, row in enumerate(book.worksheets[0].iter_rows(), start=1):
            yield (
                index,
                [
                    check_cell(_cell_text(c.value, getattr(c, "number_format", None)), index)
                    for c in row
                ],
            )
    except XlsxRefusedError as exc:
        raise SourceFileError(str(exc)) from exc
    except Exception as exc:
        raise SourceFileError("Ce classeur Excel (.xlsx) est illisible ou endommagé.") from exc


def _cell_text(value: object, number_format: str | None) -> str:
    """A cell as the text a CSV would hold: ISO dates, `60` for 60 %, VRAI/FAUX, `12` for 12.0."""
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
