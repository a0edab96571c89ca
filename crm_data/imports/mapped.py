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
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from crm_data.comptes import insert_comptes
from crm_data.files.canonical import SourceRow, TextChunk, field_label
from crm_data.files.reader import SourceTable, open_source
from crm_data.imports import canonical as importer
from crm_data.imports.bulk import allocate_ids
from crm_data.imports.canonical import ImportReport, RowError
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
from crm_data.mapping.shipped import Companions, CompteSource, read_companions
from crm_data.model import Actor, CategorieCloture, PermissionDeniedError, Role, Statut
from crm_data.referentiels import insert_value
from crm_data.rights import check_actor
from crm_data.store.db import Connection, bounded_memory, transaction
from crm_data.store.frames import execute_all_with_frame
from crm_data.text import fold
from crm_data.users import insert_user

Progress = Callable[[float, str], None]
CHUNK_ROWS = 20_000
_OPEN = {"", fold(Statut.EN_COURS.value)}


class _DryRun(Exception):
    """Raised to roll back a dry run once everything has been counted."""


@dataclass
class MappedImportReport:
    """What an import through a mapping did, or (dry run, rejected file) would have done."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    dates_corrigees: int = 0
    comptes_crees: list[str] = field(default_factory=list)
    contacts_crees: list[str] = field(default_factory=list)
    users_crees: list[str] = field(default_factory=list)
    familles_creees: list[str] = field(default_factory=list)
    codes_crees: list[str] = field(default_factory=list)
    historique: int = 0
    companions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def invalid_lines(self) -> list[int]:
        """The line numbers of the rejected rows, in order."""
        return sorted({e.line for e in self.errors})

    def summary(self) -> list[str]:
        """The report in French, a sentence a line, as the screen and the command line show it."""
        one = self.created == 1
        verb = ("serait" if one else "seraient") if self.dry_run or not self.written else None
        verb = verb or ("a été" if one else "ont été")
        lines = [
            f"{self.rows_read} ligne{'s' if self.rows_read != 1 else ''} lue"
            f"{'s' if self.rows_read != 1 else ''} : {self.created} "
            f"affaire{'' if one else 's'} {verb} créée{'' if one else 's'}, "
            f"{self.updated} mises à jour (déjà importées), {self.unchanged} inchangées."
        ]
        named = (
            ("Nouveaux comptes", self.comptes_crees),
            ("Nouveaux contacts", self.contacts_crees),
            ("Nouveaux utilisateurs", self.users_crees),
            ("Nouvelles familles d'article", self.familles_creees),
            ("Nouveaux codes clôture", self.codes_crees),
        )
        for label, items in named:
            if items:
                lines.append(f"{label} ({len(items)}) : {_shortlist(items)}.")
        if self.skipped_lines:
            lines.append(f"{len(self.skipped_lines)} lignes sans compte ignorées.")
        if self.dates_corrigees:
            lines.append(
                f"{self.dates_corrigees} dates de début postérieures à la date de fin ramenées "
                "à la date de fin."
            )
        if self.historique:
            lines.append(
                f"{self.historique} états passés (étape, montant, probabilité, date fin) repris "
                "de l'historique source."
            )
        lines.extend(self.notes)
        if self.errors:
            lines.append(
                f"{len(self.invalid_lines)} lignes rejetées"
                + (" : rien n'a été enregistré." if not self.written else ".")
            )
        return lines


def _shortlist(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" et {len(items) - limit} autres" if len(items) > limit else "")


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
    _prepare(cur, actor, mapping, companions, report)
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
        _create_missing(cur, actor, mapping, [*fresh, *(row for row, _ in existing)], report)
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


def _prepare(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    companions: Companions,
    report: MappedImportReport,
) -> None:
    """Create what companions describe and what the mapping's defaults name, if missing."""
    for nom, role in companions.users:
        _ensure_user(cur, actor, nom, role, report)
    for nom in companions.familles:
        _ensure_famille(cur, actor, nom, report)
    code = mapping.defaults.get("code_cloture")
    if code:
        _ensure_code(cur, actor, code, report)
    by_source = {
        str(s): int(i)
        for s, i in cur.execute(
            """
            SELECT source_id, id
            FROM compte
            WHERE source_id IS NOT NULL
            """
        ).fetchall()
    }
    known = {
        str(k)
        for (k,) in cur.execute(
            """
            SELECT nom_cle
            FROM compte
            """
        ).fetchall()
    }
    new: dict[str, CompteSource] = {}
    for compte in companions.comptes:
        key = fold(compte.nom)
        if key in known or (compte.source_id and compte.source_id in by_source):
            continue
        new.setdefault(key, compte)
    _insert_comptes(cur, actor, new, dry_run=report.dry_run)
    report.comptes_crees.extend(c.nom for c in new.values())


def _insert_comptes(
    cur: Connection, actor: Actor, new: dict[str, CompteSource], *, dry_run: bool
) -> None:
    """Insert the companions' new comptes in bulk, through the comptes' one insert."""
    ids = allocate_ids(cur, "compte_id_seq", len(new), dry_run=dry_run)
    insert_comptes(
        cur,
        actor,
        [
            (
                i,
                {
                    "nom": " ".join(c.nom.split()),
                    "secteur": c.secteur,
                    "ville": c.ville,
                    "source_id": c.source_id,
                },
            )
            for i, c in zip(ids, new.values(), strict=True)
        ],
    )


def _create_missing(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    chunk: list[SourceRow],
    report: MappedImportReport,
) -> None:
    """Create the users and familles the chunk names, if the mapping asks for it."""
    if mapping.creer_utilisateurs:
        for nom in dict.fromkeys(r.values.get("gestion_par", "") for r in chunk):
            if nom.strip():
                _ensure_user(cur, actor, nom, Role.COMMERCIAL.value, report)
    if mapping.creer_familles:
        for nom in dict.fromkeys(r.values.get("famille_article", "") for r in chunk):
            if nom.strip():
                _ensure_famille(cur, actor, nom, report)


def _ensure_user(
    cur: Connection, actor: Actor, nom: str, role: str, report: MappedImportReport
) -> None:
    """Create the user named nom unless one has that name or login (case and accents aside),
    with a login drawn from the name."""
    nom = " ".join(nom.split())
    rows = cur.execute(
        """
        SELECT login, nom
        FROM utilisateur
        """
    ).fetchall()
    if fold(nom) in {fold(str(n)) for _, n in rows} | {fold(str(lg)) for lg, _ in rows}:
        return
    base = re.sub(r"[^a-z0-9.-]", "", fold(nom).replace(" ", ".")) or "utilisateur"
    logins = {str(lg).lower() for lg, _ in rows}
    login = next(
        candidate
        for candidate in itertools.chain([base], (f"{base}{n}" for n in itertools.count(2)))
        if candidate not in logins
    )
    insert_user(cur, actor, login, role, nom)
    report.users_crees.append(f"{nom} ({role})")


def _ensure_value(
    cur: Connection, actor: Actor, referentiel: str, nom: str, categorie: str | None = None
) -> bool:
    """Create nom in the reference list (referentiels.insert_value, with its checks) unless a
    value has that name, case and accents aside; True when it was created."""
    existing = {
        fold(str(n))
        for (n,) in cur.execute(
            f"""
            SELECT nom
            FROM {referentiel}
            """
        ).fetchall()
    }
    if fold(nom) in existing:
        return False
    if categorie is None:
        insert_value(cur, actor, referentiel, nom)
    else:
        insert_value(cur, actor, referentiel, nom, categorie=categorie)
    return True


def _ensure_famille(cur: Connection, actor: Actor, nom: str, report: MappedImportReport) -> None:
    nom = " ".join(nom.split())
    if _ensure_value(cur, actor, "famille_article", nom):
        report.familles_creees.append(nom)


def _ensure_code(cur: Connection, actor: Actor, nom: str, report: MappedImportReport) -> None:
    # A reason the source does not give is not one the team could have avoided: externe.
    if _ensure_value(cur, actor, "code_cloture", nom, CategorieCloture.EXTERNE.value):
        report.codes_crees.append(nom)
