"""The canonical affaire file (SPEC §4): its header matched to our fields, its values parsed.

The file itself (encodings, separators, XLSX) is read by crm_data.files.reader. Reading only:
nothing here touches the base. Problems come back as French messages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from crm_data.files.reader import SourceFileError, SourceTable, open_source, source_from_bytes
from crm_data.model import AFFAIRE_FIELDS, AFFAIRE_LABELS, CrmError
from crm_data.money import parse_amount as parse_amount
from crm_data.money import parse_percent
from crm_data.text import fold

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run by a spreadsheet: exports prefix it with `'`."""

MAX_COLUMNS = 1_000
"""More columns than this is not an affaire file (it has about twenty): refused before reading."""

REQUIRED_FIELDS = ("nom", "compte_id")
"""Columns a canonical file must have: without them every row would be refused."""

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
class TextChunk:
    """Consecutive data rows held by column: what validation reads (one Arrow column of text a
    field, the cell as written; NULL where a row has no such cell), each row's first line, and
    the problems found while reading a row (by index in the chunk)."""

    lines: list[int]
    texts: dict[str, pa.Array]
    fields: tuple[str, ...]
    """The fields the chunk's cells hold, in the file's column order."""
    problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    row_fields: list[tuple[str, ...]] | None = None
    """Each row's fields in the order of its cells, when rows differ (rows read one by one)."""

    def __len__(self) -> int:
        return len(self.lines)

    def fields_of(self, index: int) -> tuple[str, ...]:
        """The fields of row index's cells, in their order."""
        return self.fields if self.row_fields is None else self.row_fields[index]

    def text(self, name: str) -> pa.Array:
        """The texts of field name, one per row (NULL for a row without that cell)."""
        found = self.texts.get(name)
        return found if found is not None else pa.nulls(len(self.lines), pa.string())

    @classmethod
    def from_rows(cls, rows: Sequence[SourceRow]) -> TextChunk:
        """The chunk of rows read one at a time (an XLSX file, another CRM's mapped rows)."""
        fields = tuple(dict.fromkeys(name for row in rows for name in row.values))
        return cls(
            [row.line for row in rows],
            {
                name: pa.array([row.values.get(name) for row in rows], pa.string())
                for name in fields
            },
            fields,
            {index: list(row.problems) for index, row in enumerate(rows) if row.problems},
            [tuple(row.values) for row in rows],
        )


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


@dataclass
class CanonicalStream:
    """A file's rows read lazily (memory flat in the file's size), with its header as for
    CanonicalFile; read_fraction tells how much of the file was read (for progress)."""

    rows: Iterator[SourceRow]
    headers: dict[str, str]
    unknown_columns: list[str]
    read_fraction: Callable[[], float | None]
    release: Callable[[], None]


def read_canonical(path: str | Path) -> CanonicalFile:
    """Read a CSV or XLSX affaire file; FileFormatError when it is not one."""
    return _collected(stream_canonical(path))


def read_canonical_bytes(data: bytes, name: str = "") -> CanonicalFile:
    """Read the content of a CSV or XLSX file (an upload); FileFormatError when it is not one."""
    try:
        return _collected(_canonical(source_from_bytes(data, name)))
    except SourceFileError as exc:
        raise FileFormatError(str(exc)) from exc


def stream_canonical(path: str | Path) -> CanonicalStream:
    """Open a CSV or XLSX affaire file for streaming; FileFormatError when it is not one, also
    when a row further on cannot be read (raised while iterating)."""
    try:
        return _canonical(open_source(path))
    except SourceFileError as exc:
        raise FileFormatError(str(exc)) from exc


def _collected(stream: CanonicalStream) -> CanonicalFile:
    return CanonicalFile(list(stream.rows), stream.headers, stream.unknown_columns)


def _canonical(table: SourceTable) -> CanonicalStream:
    header = table.header
    try:
        columns, headers, unknown = match_header(header)
    except FileFormatError:
        table.release()
        raise
    return CanonicalStream(
        _source_rows(table, columns, len(header)),
        headers,
        unknown,
        table.read_fraction,
        table.release,
    )


def _source_rows(table: SourceTable, columns: dict[int, str], width: int) -> Iterator[SourceRow]:
    named = list(columns.items())
    try:
        for line, cells in table.rows:
            if len(cells) >= width:
                values = {name: cells[i] for i, name in named}
            else:
                values = {name: cells[i] for i, name in named if i < len(cells)}
            for name, text in values.items():
                if text[:1] == "'":
                    values[name] = unneutralised(text)
            row = SourceRow(line, values)
            if any(cell.strip() for cell in cells[width:]):
                row.problems.append(
                    ("", "La ligne a plus de cellules que l'en-tête n'a de colonnes.")
                )
            yield row
    except SourceFileError as exc:
        raise FileFormatError(str(exc)) from exc


def match_header(header: list[str]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """A file's header (cells trimmed) → the field of each known column by position, the header
    as written for each field, and the unknown columns; FileFormatError when it cannot be an
    affaire file's."""
    if len(header) > MAX_COLUMNS:
        count = f"{len(header):,}".replace(",", "\u202f")
        raise FileFormatError(
            f"La première ligne a {count} colonnes, un fichier d'affaires en a une vingtaine : "
            "ce n'est pas un fichier d'affaires, ou son séparateur n'est ni « ; » ni « , »."
        )
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


def unneutralised(text: str) -> str:
    # The export prefixes formula-like cells with a quote; reading it back removes it.
    if text[:1] == "'" and needs_quote(text[1:]):
        return text[1:]
    return text


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
    """A réussite from `60` or `60 %` (crm_data.money's one parser); None when empty;
    ValueError in French else, also outside 0–100."""
    value = parse_percent(text)
    if value is not None and not 0 <= value <= 100:
        raise ValueError(
            f"Réussite invalide « {text.strip()} » : un pourcentage de 0 à 100 est attendu."
        )
    return value
