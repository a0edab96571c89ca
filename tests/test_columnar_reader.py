"""The column reader of canonical CSV files (crm_data.files.columnar) against the row reader
(crm_data.files.canonical): on random files, the same rows, lines and cells; on files it cannot
read exactly, Irregular, and the import then reads them row by row with the same outcome."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data.files.canonical import TextChunk, stream_canonical
from crm_data.files.columnar import Irregular, stream_columnar
from crm_data.imports import canonical
from crm_data.imports.canonical import import_file
from crm_data.model import AFFAIRE_FIELDS
from tests.files_helpers import HEADER, new_base

LABELS = HEADER.split(";")
PIECES = (
    "Affaire",
    "é",
    " ",
    "\u00a0",
    "\u3000",
    "\t",
    ";",
    ",",
    '"',
    "'",
    "=SOMME(A1)",
    "+33 1",
    "\n",
    "\r\n",
    "\r",
    "1 234,50 €",
    "15/03/2026",
    "",
)
"""Bits of cells: separators, quotes, line breaks of every kind, spaces Python trims (and
Arrow's regular expressions must trim alike), formula-like starts that exports quote."""


@st.composite
def files(draw: st.DrawFn) -> tuple[list[str], list[list[str]], str, str, str]:
    """A header of known (and one unknown) columns, rows of as many cells, a separator, an
    encoding and a line ending."""
    header = draw(st.lists(st.sampled_from([*LABELS, "Colonne inconnue"]), min_size=1, unique=True))
    if "Nom" not in header:
        header.insert(0, "Nom")
    if "Compte" not in header:
        header.append("Compte")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    pieces = [
        p
        for p in PIECES
        if encoding != "cp1252" or p.encode("cp1252", "ignore") == p.encode("cp1252", "replace")
    ]
    cell = st.lists(st.sampled_from(pieces), max_size=3).map("".join)
    blank = st.lists(
        st.sampled_from(["", " ", "\u00a0"]), min_size=len(header), max_size=len(header)
    )
    rows = draw(
        st.lists(
            st.one_of(
                st.lists(cell, min_size=len(header), max_size=len(header)),
                blank,
            ),
            max_size=12,
        )
    )
    separator = draw(st.sampled_from([";", ",", "\t"]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return header, rows, separator, encoding, ending


def write(
    folder: Path,
    header: list[str],
    rows: list[list[str]],
    separator: str,
    encoding: str,
    ending: str,
    empty_lines: bool = False,
) -> Path:
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=separator, lineterminator=ending)
    writer.writerow(header)
    for cells in rows:
        writer.writerow(cells)
        if empty_lines:
            text.write(ending)
    path = folder / "f.csv"
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def by_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    source = stream_canonical(path)
    try:
        return [(row.line, row.values) for row in source.rows]
    finally:
        source.release()


def by_columns(path: Path, chunk_rows: int) -> list[tuple[int, dict[str, str]]]:
    source = stream_columnar(path, chunk_rows)
    assert source is not None
    try:
        return [row for chunk in source.chunks for row in _rows(chunk)]
    finally:
        source.release()


def _rows(chunk: TextChunk) -> list[tuple[int, dict[str, Any]]]:
    texts = {name: chunk.text(name).to_pylist() for name in chunk.fields}
    return [
        (line, {name: texts[name][index] for name in chunk.fields})
        for index, line in enumerate(chunk.lines)
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=files(), chunk_rows=st.integers(1, 5), empty_lines=st.booleans())
def test_the_column_reader_gives_the_row_readers_rows_lines_and_cells(
    file: tuple[list[str], list[list[str]], str, str, str], chunk_rows: int, empty_lines: bool
) -> None:
    header, rows, separator, encoding, ending = file
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), header, rows, separator, encoding, ending, empty_lines)
        expected = by_rows(path)
        try:
            assert by_columns(path, chunk_rows) == expected
        except Irregular:
            # csv's writer leaves a lone \r unquoted: read as a line break by Arrow, not by
            # Python's reader. Such a file is read row by row; any other must not be.
            assert any("\r" in cell for cells in rows for cell in cells)


@pytest.mark.parametrize(
    "body",
    [
        b"A;Soci\xc3\xa9t\xc3\xa9\nB\n",  # a row short of the header
        b"A;Soci\xc3\xa9t\xc3\xa9\nB;x;en trop\n",  # a row longer than the header
        b"A;x\n" + b"B;x\n" * 400_000 + b"C;\xff\n",  # invalid UTF-8 after the first blocks
    ],
    ids=["short row", "long row", "bad byte further on"],
)
def test_a_file_the_column_reader_cannot_read_exactly_is_irregular(
    tmp_path: Path, body: bytes
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"Nom;Compte\n" + body)
    with pytest.raises(Irregular):
        by_columns(path, 10)


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize(
    "lines",
    [
        ["A;Société;x", "B;Société", "C;Société;x;en trop", "D;Société;x"],
        ["A;Société;x", "B;Socié\rté;x", "C;Société;x"],
    ],
    ids=["ragged", "lone carriage return"],
)
def test_an_irregular_file_imports_row_by_row_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[str]
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("\n".join(["Nom;Compte;Notes", *lines]) + "\n", encoding="utf-8")
    reference, admin = new_base()
    monkeypatch.setattr(canonical, "stream_columnar", lambda path, rows: None)
    expected = import_file(reference, admin, path)
    monkeypatch.undo()
    con, admin = new_base()
    report = import_file(con, admin, path)
    assert [str(e) for e in report.errors] == [str(e) for e in expected.errors]
    assert report.written == expected.written
    assert stored(con) == stored(reference)


def stored(con: Any) -> list[tuple[Any, ...]]:
    """The affaires imported, with their compte's name, in order (no instant: those differ)."""
    fields = ", ".join(f"a.{name}" for name in AFFAIRE_FIELDS if name != "compte_id")
    return con.execute(
        f"""
        SELECT a.id, k.nom, {fields}, a.source_id
        FROM affaire AS a
        JOIN compte AS k ON k.id = a.compte_id
        ORDER BY a.id
        """
    ).fetchall()


def test_a_chunk_of_rows_read_one_by_one_keeps_each_rows_order_of_cells() -> None:
    from crm_data.files.canonical import SourceRow

    chunk = TextChunk.from_rows(
        [SourceRow(2, {"nom": "A", "notes": "n"}), SourceRow(3, {"notes": "m", "nom": "B"})]
    )
    assert chunk.fields_of(0) == ("nom", "notes")
    assert chunk.fields_of(1) == ("notes", "nom")
    assert chunk.text("date_fin").equals(pa.nulls(2, pa.string()))


@pytest.mark.usefixtures("engine")
def test_a_regular_csv_is_imported_by_column_without_the_row_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        'Nom;Compte;Notes\nA;Société;"deux\nlignes"\n;;\nB;Société;\'=1+1\n', encoding="utf-8"
    )

    def refused(path: object) -> None:
        raise AssertionError("read row by row")

    monkeypatch.setattr(canonical, "stream_canonical", refused)
    con, admin = new_base()
    report = import_file(con, admin, path)
    assert report.written and len(report.affaire_ids) == 2
    notes = con.execute(
        """
        SELECT notes
        FROM affaire
        ORDER BY id
        """
    ).fetchall()
    assert notes == [("deux\nlignes",), ("=1+1",)]
