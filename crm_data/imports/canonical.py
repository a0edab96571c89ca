"""Importing affaires: rows of canonical fields (from a file or a mapping) → validated affaires.

Reading a file is crm_data.files' job (by column for a CSV: crm_data.files.columnar), resolving
its names crm_data.imports.names', typing its cells crm_data.imports.staging's; this module applies
every rule of SPEC §1 (crm_data.imports.set_validation, validation's rules over a chunk) and
writes all rows (crm_data.imports.writing) in one transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from crm_data.files.canonical import (
    SourceRow,
    TextChunk,
    field_label,
    stream_canonical,
)
from crm_data.files.columnar import Irregular, stream_columnar
from crm_data.imports.names import (
    Names,
    import_lookups,
    load_names,
    pair_links,
    read_cell,
)
from crm_data.imports.set_validation import (
    CheckedChunk,
    check_chunk,
    check_rows,
    drop_checked,
)
from crm_data.imports.staging import CellCache
from crm_data.imports.writing import write_checked
from crm_data.model import (
    Actor,
    Affaire,
    CrmError,
)
from crm_data.rights import check_actor
from crm_data.store.db import CONSTRAINT_ERRORS, Connection, bounded_memory, transaction
from crm_data.validation import Lookups

Progress = Callable[[float, str], None]
CHUNK_ROWS = int(os.environ.get("CRM_IMPORT_CHUNK_ROWS") or 20_000)
"""Rows validated and written at a time: enough for bulk statements, small next to a file
(CRM_IMPORT_CHUNK_ROWS lowers it for a machine short of memory)."""
COLUMN_CHUNK_ROWS = int(os.environ.get("CRM_IMPORT_CHUNK_ROWS") or 100_000)
"""Rows of a CSV read by column validated and written at a time: held as Arrow columns, a row
costs a few hundred bytes, not the kilobyte or two of a row read one by one, and every chunk
costs a dozen statements: larger chunks, the same memory (CRM_IMPORT_CHUNK_ROWS sets both)."""

_VALIDATION_SHARE = 0.8


@dataclass(frozen=True)
class RowError:
    """A problem of one row: the file's line number, the column as headed, a French message."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return f"Ligne {self.line} : {self.message}"
        return f"Ligne {self.line}, colonne « {self.column} » : {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a rejected file, would have done)."""

    rows_read: int = 0
    valid_rows: int = 0
    affaire_ids: list[int] = field(default_factory=list)
    comptes_crees: list[str] = field(default_factory=list)
    contacts_crees: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def invalid_lines(self) -> list[int]:
        """The line numbers of the rejected rows, in order."""
        return sorted({e.line for e in self.errors})


def import_file(
    con: Connection,
    actor: Actor,
    path: str | Path,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a canonical CSV or XLSX file (see import_rows), read as a stream so that memory
    stays flat in the file's size; FileFormatError when unreadable, also further in the file.

    A CSV is read by column (crm_data.files.columnar); one that reader cannot read exactly as
    the row reader would is imported again from the start, read row by row: the first attempt's
    transaction is rolled back, so that nothing of it stays.
    """
    columnar = stream_columnar(path, COLUMN_CHUNK_ROWS)
    if columnar is not None:
        try:
            report = _import_chunks(
                con,
                actor,
                columnar.chunks,
                headers=columnar.headers,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                progress=progress,
                read_fraction=columnar.read_fraction,
            )
            report.unknown_columns = columnar.unknown_columns
            return report
        except Irregular:
            if progress:
                progress(0.0, "Lecture du fichier ligne à ligne…")
        finally:
            columnar.release()
    source = stream_canonical(path)
    try:
        report = import_rows(
            con,
            actor,
            source.rows,
            headers=source.headers,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            progress=progress,
            read_fraction=source.read_fraction,
        )
    finally:
        source.release()
    report.unknown_columns = source.unknown_columns
    return report


class _Rollback(Exception):
    """Raised to undo the rows already written: a dry run, or a rejected all-or-nothing file."""


def import_rows(
    con: Connection,
    actor: Actor,
    rows: Iterable[SourceRow],
    *,
    headers: dict[str, str] | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
    read_fraction: Callable[[], float | None] | None = None,
) -> ImportReport:
    """Validate every row and create its affaire, with the comptes and contacts it names.

    All or nothing: one invalid row and nothing is written, unless skip_invalid, which writes
    the valid rows. A dry run only validates. Every invalid row is in the report's errors.
    Rows are taken CHUNK_ROWS at a time and written as they come inside the one transaction,
    which a rejected file rolls back: no chunk outlives its validation in memory.
    """
    return _import_chunks(
        con,
        actor,
        (TextChunk.from_rows(chunk) for chunk in _chunks(rows, CHUNK_ROWS)),
        headers=headers,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress,
        today=today,
        read_fraction=read_fraction,
        total=len(rows) if isinstance(rows, Sized) else None,
    )


def _import_chunks(
    con: Connection,
    actor: Actor,
    chunks: Iterable[TextChunk],
    *,
    headers: dict[str, str] | None,
    dry_run: bool,
    skip_invalid: bool,
    progress: Progress | None,
    today: dt.date | None = None,
    read_fraction: Callable[[], float | None] | None = None,
    total: int | None = None,
) -> ImportReport:
    """import_rows over chunks of rows held by column."""
    report = ImportReport()
    today = today or dt.date.today()
    try:
        with bounded_memory(con), transaction(con) as cur:
            if not dry_run:
                check_actor(cur, actor)
            names = load_names(cur)
            lookups = import_lookups(cur, names)
            cache = CellCache()
            for chunk in chunks:
                valid, checked = check_chunk_rows(
                    cur, actor, chunk, headers, report, today, (names, lookups, cache)
                )
                report.rows_read += len(chunk)
                if valid and not dry_run and (skip_invalid or not report.errors):
                    _advance(progress, report.rows_read, total, read_fraction, "Enregistrement")
                    ids = write_checked(cur, actor, chunk, valid, checked, names)
                    report.affaire_ids.extend(ids)
                drop_checked(cur)
                _advance(progress, report.rows_read, total, read_fraction, "Vérification")
            if dry_run or (report.errors and not skip_invalid):
                raise _Rollback
            report.written = bool(report.affaire_ids)
    except _Rollback:
        report.affaire_ids = []
    except CONSTRAINT_ERRORS as exc:
        raise CrmError(f"La base a refusé l'import, rien n'a été enregistré : {exc}") from exc
    report.comptes_crees = list(dict.fromkeys(report.comptes_crees))
    report.contacts_crees = list(dict.fromkeys(report.contacts_crees))
    if progress:
        progress(1.0, "Import terminé.")
    return report


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _advance(
    progress: Progress | None,
    done: int,
    total: int | None,
    read_fraction: Callable[[], float | None] | None,
    step: str,
) -> None:
    """Report rows done: the share of the rows when counted, else of the file's bytes read."""
    if progress is None:
        return
    share = done / total if total else (read_fraction() if read_fraction else None)
    shown = f"{done:,}".replace(",", "\u202f")
    progress(min(0.99, share if share is not None else 0.5), f"{step} : {shown} lignes lues…")


def validate_rows(
    cur: Connection,
    actor: Actor,
    rows: Sequence[SourceRow],
    headers: dict[str, str] | None,
    report: ImportReport,
    progress: Progress | None,
    today: dt.date | None,
    names: Names | None = None,
    lookups: Lookups | None = None,
) -> tuple[list[tuple[Affaire, str | None]], Names]:
    """Type and validate every row (SPEC §1); the valid ones with their source id, and the names
    they resolved. Every problem of every row goes into report, with its line and column;
    the comptes and contacts the valid rows would create are added to its lists."""
    names = names or load_names(cur)
    lookups = lookups or import_lookups(cur, names)
    if progress:
        progress(0.0, f"Vérification de {len(rows)} lignes…")
    checked, problems = check_rows(
        cur,
        actor,
        rows,
        lookups,
        today or dt.date.today(),
        lambda name, text: read_cell(name, text, names),
        lambda comptes, contacts, pairs: pair_links(comptes, contacts, pairs, names),
    )
    valid = [
        (checked[index], row.values.get("source_id") or None)
        for index, row in enumerate(rows)
        if index in checked
    ]
    if progress:
        progress(_VALIDATION_SHARE, f"Vérification : {len(rows)} lignes")
    _report_checked(
        [row.line for row in rows],
        headers,
        report,
        problems,
        names,
        ({aff.compte_id for aff, _ in valid}, {aff.contact_id for aff, _ in valid}),
    )
    return valid, names


def _report_checked(
    lines: Sequence[int],
    headers: dict[str, str] | None,
    report: ImportReport,
    problems: dict[int, list[tuple[str, str]]],
    names: Names,
    used: tuple[set[int | None], set[int | None]],
) -> None:
    """Into report: every problem of the chunk's rows with its line and column, the count of
    valid rows, and the comptes and contacts (provisional ids) the valid rows use (used)."""
    for index in sorted(problems):
        report.errors.extend(
            RowError(lines[index], field_label(name, headers) if name else "", message)
            for name, message in problems[index]
        )
    report.valid_rows += len(lines) - len(problems)
    used_comptes, used_contacts = used
    report.comptes_crees += [n for i, n in names.new_comptes.values() if i in used_comptes]
    compte_noms = names.compte_noms | {i: nom for i, nom in names.new_comptes.values()}
    report.contacts_crees += [
        f"{nom} ({compte_noms[compte]})"
        for (compte, _), (i, nom) in names.new_contacts.items()
        if i in used_contacts
    ]


def check_chunk_rows(
    cur: Connection,
    actor: Actor,
    chunk: TextChunk,
    headers: dict[str, str] | None,
    report: ImportReport,
    today: dt.date,
    resolving: tuple[Names, Lookups, CellCache],
) -> tuple[list[int], CheckedChunk]:
    """validate_rows without building affaires (with the import's names, lookups and the cells
    its earlier chunks read): the indices of the valid rows, the checked chunk left in its
    table for write_checked (or drop_checked)."""
    names, lookups, cache = resolving
    checked = check_chunk(
        cur,
        actor,
        chunk,
        lookups,
        today,
        lambda name, text: read_cell(name, text, names),
        lambda comptes, contacts, pairs: pair_links(comptes, contacts, pairs, names),
        cache,
    )
    valid = [i for i in range(len(chunk)) if i not in checked.problems]
    rows = pa.array(valid, pa.int64())
    used = (
        set(pc.unique(pc.take(checked.compte_ids, rows)).to_pylist()),
        set(pc.unique(pc.take(checked.contact_ids, rows)).to_pylist()),
    )
    _report_checked(chunk.lines, headers, report, checked.problems, names, used)
    return valid, checked
