"""Importing another CRM's export through a mapping: all or nothing, in chunks, re-import safe.

Rows carrying a source id already in the base update their affaire instead of duplicating it.
Users, familles and codes clôture the mapping asks for are created in the same transaction;
validation and inserts are those of the canonical import (a chunk checked as a set, inserted from
the checked table: crm_data.imports.canonical and writing). A dry run does everything and rolls it
back.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from crm_data.files.canonical import SourceRow, TextChunk, field_label
from crm_data.files.reader import SourceTable, open_source
from crm_data.imports import canonical as importer
from crm_data.imports.canonical import ImportReport, RowError
from crm_data.imports.mapped_report import MappedImportReport
from crm_data.imports.mapped_setup import create_missing, prepare
from crm_data.imports.names import import_lookups, load_names
from crm_data.imports.reimport import (
    date_creation_versions,
    insert_source_versions,
    update_existing,
)
from crm_data.imports.set_validation import drop_checked
from crm_data.imports.staging import CellCache
from crm_data.imports.writing import write_checked
from crm_data.mapping.model import ApplyStats, EtapeRef, MappedRow, Mapping, apply
from crm_data.mapping.shipped import Companions, read_companions
from crm_data.model import Actor, PermissionDeniedError, Statut
from crm_data.rights import check_actor
from crm_data.store.db import Connection, bounded_memory, transaction
from crm_data.store.frames import execute_all_with_frame
from crm_data.text import fold

Progress = Callable[[float, str], None]
CHUNK_ROWS = 20_000
_OPEN = {"", fold(Statut.EN_COURS.value)}


class _DryRun(Exception):
    """Raised to roll back a dry run once everything has been counted."""


def import_mapped_file(
    con: Connection,
    actor: Actor,
    path: str | Path,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> MappedImportReport:
    """Import a file through a mapping, with the companion files found beside it."""
    companions = read_companions(mapping, Path(path).parent)
    return import_mapped(
        con,
        actor,
        mapping,
        open_source(path),
        companions=companions,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress,
    )


def import_mapped(
    con: Connection,
    actor: Actor,
    mapping: Mapping,
    source: SourceTable,
    *,
    companions: Companions | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    total_rows: int | None = None,
    today: dt.date | None = None,
) -> MappedImportReport:
    """Import source's rows through mapping; admin only (it may create users).

    All or nothing: one invalid row and nothing is written (unless skip_invalid, which writes
    the valid rows); every invalid row is in the report with its line, column and message.
    A dry run runs the whole import and rolls it back, so its counts are the real ones.
    """
    if not actor.is_admin:
        raise PermissionDeniedError("Seul un administrateur peut importer des affaires.")
    mapping.check()
    companions = companions or Companions()
    report = MappedImportReport(dry_run=dry_run, companions=list(companions.files))
    try:
        with bounded_memory(con), transaction(con) as cur:
            check_actor(cur, actor)
            _run(cur, actor, mapping, source, companions, report, progress, total_rows, today)
            if dry_run or (report.errors and not skip_invalid):
                raise _DryRun
            report.written = True
    except _DryRun:
        pass
    if progress:
        progress(1.0, "Terminé.")
    return report


def _run(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    source: SourceTable,
    companions: Companions,
    report: MappedImportReport,
    progress: Progress | None,
    total_rows: int | None,
    today: dt.date | None,
) -> None:
    etapes = [
        EtapeRef(str(n), int(r))
        for n, r in cur.execute(
            """
            SELECT nom, reussite_defaut
            FROM etape
            WHERE actif
            ORDER BY ordre
            """
        ).fetchall()
    ]
    prepare(cur, actor, mapping, companions, report)
    stats = ApplyStats()
    rows = apply(
        mapping,
        source.header,
        source.rows,
        etapes,
        stage_history=companions.stage_history(),
        stats=stats,
    )
    headers = mapping.headers()
    created: dict[str, int] = {}
    # The source ids met so far live in DuckDB, so that memory does not grow with the file.
    cur.execute(
        """
        DROP TABLE IF EXISTS import_seen
        """
    )
    cur.execute(
        """
        CREATE TEMP TABLE import_seen (source_id VARCHAR PRIMARY KEY, line BIGINT)
        """
    )
    kept = companions.kept_fields()
    for chunk in _chunks(_with_list_prices(rows, companions.list_prices), CHUNK_ROWS):
        fresh, existing = _split(cur, chunk, headers, report, kept)
        create_missing(cur, actor, mapping, [*fresh, *(row for row, _ in existing)], report)
        sub = importer.ImportReport(rows_read=len(fresh))
        for src, affaire_id in _create(cur, actor, fresh, headers, sub, today, report.dry_run):
            if src is not None and src in companions.states:
                created[src] = affaire_id
            report.created += 1
        _merge(report, sub)
        updated, unchanged = update_existing(
            cur, actor, existing, headers, report.errors, today, dry_run=report.dry_run
        )
        report.updated += updated
        report.unchanged += unchanged
        if progress:
            done = stats.rows / total_rows if total_rows else 0.5
            progress(min(0.95, done), f"{stats.rows} lignes traitées…")
    if report.updated or report.unchanged:
        report.notes.extend(companions.kept_notes(mapping))
    report.rows_read = stats.rows
    report.skipped_lines = stats.skipped_lines
    report.dates_corrigees = stats.dates_corrigees
    report.historique = insert_source_versions(cur, actor, mapping, companions, created)
    cur.execute("DROP TABLE import_seen")


def _create(
    cur: Connection,
    actor: Actor,
    fresh: list[SourceRow],
    headers: dict[str, str],
    report: ImportReport,
    today: dt.date | None,
    dry_run: bool,
) -> list[tuple[str | None, int]]:
    """Create the affaires of the rows not imported before, checked as a set and inserted
    straight from the checked table, dated as their source tells; (source id, affaire id) of
    each one created. The problems of the others go to report."""
    if not fresh:
        return []
    chunk = TextChunk.from_rows(fresh)
    names = load_names(cur)
    resolving = (names, import_lookups(cur, names), CellCache())
    valid, checked = importer.check_chunk_rows(
        cur, actor, chunk, headers, report, today or dt.date.today(), resolving
    )
    try:
        if not valid:
            return []
        ids = write_checked(cur, actor, chunk, valid, checked, names, dry_run=dry_run)
    finally:
        drop_checked(cur)
    date_creation_versions(cur, ids)
    return [
        (fresh[i].values.get("source_id") or None, affaire)
        for i, affaire in zip(valid, ids, strict=True)
    ]


def _with_list_prices(rows: Iterable[MappedRow], prices: dict[str, str]) -> Iterator[MappedRow]:
    """The rows, an open one without any amount taking its famille's list price as CA potentiel
    (Maven gives no amount for an open deal, which would weigh nothing in the pipe)."""
    for row in rows:
        values = row.values
        if (
            prices
            and fold(values.get("statut", "")) in _OPEN
            and not values.get("ca_potentiel")
            and not values.get("total_ht")
            and (price := prices.get(fold(values.get("famille_article", ""))))
        ):
            values["ca_potentiel"] = price
        yield row


def _chunks(rows: Iterable[MappedRow], size: int) -> Iterator[list[MappedRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _merge(report: MappedImportReport, sub: ImportReport) -> None:
    report.errors.extend(sub.errors)
    report.comptes_crees.extend(sub.comptes_crees)
    report.contacts_crees.extend(sub.contacts_crees)


def _split(
    cur: Connection,
    chunk: list[MappedRow],
    headers: dict[str, str],
    report: MappedImportReport,
    kept: set[str],
) -> tuple[list[SourceRow], list[tuple[SourceRow, int]]]:
    """New rows, and rows whose source id names an affaire already in the base (with its id),
    without the kept fields (their companion is missing: the affaire keeps its values).

    A source id repeated within the file is an error on every line after its first.
    """
    lines: dict[str, int] = {}
    for row in chunk:
        lines.setdefault(row.values.get("source_id", ""), row.line)
    lines.pop("", None)
    frame = pa.table(
        {
            "source_id": pa.array(list(lines), pa.string()),
            "line": pa.array(list(lines.values()), pa.int64()),
        }
    )
    lookup = """
        SELECT k.source_id, s.line, min(a.id)
        FROM bulk_frame AS k
        LEFT JOIN import_seen AS s ON s.source_id = k.source_id
        LEFT JOIN affaire AS a ON a.source_id = k.source_id AND s.line IS NULL
        GROUP BY k.source_id, s.line
        """
    seen = """
        INSERT INTO import_seen (source_id, line)
        SELECT k.source_id, k.line
        FROM bulk_frame AS k
        WHERE NOT EXISTS (
            SELECT 1
            FROM import_seen AS s
            WHERE s.source_id = k.source_id
        )
        """
    found = execute_all_with_frame(cur, [(lookup, None), (seen, None)], frame)[0]
    first_line = {str(k): int(line) for k, line, _ in found if line is not None}
    known = {str(k): int(i) for k, line, i in found if line is None and i is not None}
    fresh: list[SourceRow] = []
    existing: list[tuple[SourceRow, int]] = []
    for row in chunk:
        canonical = SourceRow(row.line, row.values, list(row.problems))
        source_id = row.values.get("source_id", "")
        first = first_line.get(source_id, lines.get(source_id, row.line))
        if source_id and first != row.line:
            report.errors.append(
                RowError(
                    row.line,
                    field_label("source_id", headers),
                    f"Identifiant « {source_id} » déjà présent ligne {first}.",
                )
            )
        elif source_id in known:
            canonical.values = {k: v for k, v in row.values.items() if k not in kept}
            existing.append((canonical, known[source_id]))
        else:
            fresh.append(canonical)
    return fresh, existing
