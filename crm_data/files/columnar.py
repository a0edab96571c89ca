"""The canonical affaire file read by column with Arrow's CSV reader: the fast way in for a large
CSV, giving the very cells, lines and rows that crm_data.files.reader and canonical give row by
row (a file it cannot read exactly so raises Irregular, and is read row by row instead).

Row by row, Python's csv module builds a list per row and a dict per row's cells: most of an
import's time at a million rows. Here Arrow parses blocks of the file into columns of text, and
the few things the row reader does per row are done per column: each row's first line (a row
spans one line plus the line breaks inside its quoted cells), blank rows skipped, the export's
`'` before a formula-like cell removed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from crm_data.files.canonical import (
    FileFormatError,
    TextChunk,
    match_header,
    unneutralised,
)
from crm_data.files.reader import SourceFileError, open_source
from crm_data.text import WHITESPACE_RE2

_BLOCK_BYTES = 1 << 20
_NOT_BLANK = f"[^{WHITESPACE_RE2}]"
"""A character str.strip() keeps (RE2 syntax): a row whose cells have none is blank."""
_LINE = "__line"


class Irregular(Exception):
    """The file is not one this reader reads exactly as the row reader would: rows not as wide
    as the header, text not valid in the file's encoding, a cell over csv's size limit."""


@dataclass
class ColumnarStream:
    """A CSV file's rows in chunks of columns (memory flat in the file's size), with its header
    as canonical.CanonicalStream has it."""

    chunks: Iterator[TextChunk]
    headers: dict[str, str]
    unknown_columns: list[str]
    read_fraction: Callable[[], float | None]
    release: Callable[[], None]


def stream_columnar(path: str | Path, chunk_rows: int) -> ColumnarStream | None:
    """Open a canonical CSV file to be read by column, chunk_rows rows a chunk; None when it is
    not a CSV (an XLSX); FileFormatError as canonical.stream_canonical raises it. Irregular may
    be raised while reading the chunks: the rows already given are then to be forgotten."""
    try:
        table = open_source(path)
    except SourceFileError as exc:
        raise FileFormatError(str(exc)) from exc
    table.release()
    if table.detection.kind != "csv":
        return None
    columns, headers, unknown = match_header(table.header)
    # The handle lives as long as the chunk stream, which closes it when exhausted.
    handle = Path(path).open("rb")  # noqa: SIM115
    size = Path(path).stat().st_size

    def fraction() -> float | None:
        return 1.0 if handle.closed else (min(1.0, handle.tell() / size) if size else None)

    options = _Options(
        len(table.header),
        table.detection.separator,
        table.detection.codec,
        table.header_lines,
    )
    return ColumnarStream(
        _chunks(handle, options, columns, chunk_rows), headers, unknown, fraction, handle.close
    )


@dataclass(frozen=True)
class _Options:
    width: int
    separator: str
    codec: str
    header_lines: int


def _chunks(
    handle: object, options: _Options, columns: dict[int, str], chunk_rows: int
) -> Iterator[TextChunk]:
    fields = tuple(columns.values())
    pending: list[pa.Table] = []
    held = 0
    try:
        for table in _tables(handle, options, columns):
            pending.append(table)
            held += table.num_rows
            while held >= chunk_rows:
                joined = pa.concat_tables(pending)
                yield _chunk(joined.slice(0, chunk_rows), fields)
                rest = joined.slice(chunk_rows)
                pending, held = [rest], rest.num_rows
        if held:
            yield _chunk(pa.concat_tables(pending), fields)
    finally:
        handle.close()  # type: ignore[attr-defined]


def _tables(handle: object, options: _Options, columns: dict[int, str]) -> Iterator[pa.Table]:
    """Each block of the file as a table of its non-blank rows: the named columns' texts (the
    export's quote removed) and each row's first line."""
    names = [f"c{i}" for i in range(options.width)]
    next_line = options.header_lines + 1
    try:
        reader = pcsv.open_csv(
            handle,
            read_options=pcsv.ReadOptions(
                encoding="utf8" if options.codec.startswith("utf-8") else options.codec,
                block_size=_BLOCK_BYTES,
                column_names=names,
                skip_rows=options.header_lines,
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=options.separator, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in names}, strings_can_be_null=False
            ),
        )
        for batch in reader:
            cells = batch.columns
            _check_sizes(cells)
            spans = _spans(cells)
            lines = next_line + np.concatenate(([0], np.cumsum(spans)[:-1]))
            next_line += int(spans.sum())
            kept = _not_blank(cells)
            texts = {name: _unquoted(cells[i]) for i, name in columns.items()}
            table = pa.table({**texts, _LINE: pa.array(lines, pa.int64())})
            yield table if kept is None else table.filter(kept)
    except (pa.ArrowException, UnicodeDecodeError) as exc:
        raise Irregular(str(exc)) from exc


def _check_sizes(cells: list[pa.Array]) -> None:
    limit = csv.field_size_limit()
    for column in cells:
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is not None and longest > limit:
            raise Irregular("a cell over csv's size limit")


def _spans(cells: list[pa.Array]) -> np.ndarray:
    """How many physical lines each row takes: one, plus each line break inside its cells
    (`\\r\\n`, `\\r` or `\\n`, as Python's csv module counts them)."""
    spans = np.ones(len(cells[0]) if cells else 0, np.int64)
    for column in cells:
        if not _may_break(column):
            continue
        breaks = pc.add(
            pc.count_substring(column, "\n"),
            pc.subtract(pc.count_substring(column, "\r"), pc.count_substring(column, "\r\n")),
        )
        if pc.max(breaks).as_py():
            spans += breaks.to_numpy(zero_copy_only=False)
    return spans


def _may_break(column: pa.Array) -> bool:
    """Whether a column of text may hold a line break: its bytes searched at once (a block's
    columns start at their buffer's start, so the bytes searched are the column's own)."""
    data = column.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return b"\n" in raw or b"\r" in raw


def _not_blank(cells: list[pa.Array]) -> pa.Array | None:
    """Which rows have a cell that is not blank (None: all of them), deciding a column at a
    time only for the rows not yet decided (most are by their first cells)."""
    undecided = np.arange(len(cells[0]) if cells else 0)
    for column in cells:
        if not len(undecided):
            return None
        seen = pc.match_substring_regex(column.take(pa.array(undecided)), _NOT_BLANK)
        undecided = undecided[~seen.to_numpy(zero_copy_only=False)]
    if not len(undecided):
        return None
    kept = np.ones(len(cells[0]), bool)
    kept[undecided] = False
    return pa.array(kept)


def _unquoted(column: pa.Array) -> pa.Array:
    """The column with the quote the export puts before a formula-like cell removed."""
    quoted = pc.starts_with(column, "'")
    if not pc.any(quoted).as_py():
        return column
    texts = column.to_pylist()
    for index in np.flatnonzero(quoted.to_numpy(zero_copy_only=False)):
        texts[index] = unneutralised(texts[index])
    return pa.array(texts, pa.string())


def _chunk(table: pa.Table, fields: tuple[str, ...]) -> TextChunk:
    return TextChunk(
        table.column(_LINE).to_pylist(),
        {name: table.column(name).combine_chunks() for name in fields},
        fields,
    )
