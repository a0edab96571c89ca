"""Importing affaires: rows of canonical fields (from a file or a mapping) → validated affaires.

Reading a file is crm_data.files.canonical's job; this module resolves names, applies every rule of
SPEC §1 through crm_data.validation and writes all rows in one transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from crm_data.comptes import insert_comptes
from crm_data.files.canonical import (
    SourceRow,
    field_label,
    parse_amount,
    parse_date,
    parse_reussite,
    stream_canonical,
)
from crm_data.imports.bulk import (
    allocate_ids,
    insert_affaires,
    insert_contacts,
    insert_selected,
)
from crm_data.imports.set_validation import (
    CHECKED_TABLE,
    CheckedChunk,
    check_chunk,
    check_rows,
    drop_checked,
)
from crm_data.model import (
    AFFAIRE_AMOUNT_FIELDS,
    AFFAIRE_DATE_FIELDS,
    AFFAIRE_FIELDS,
    Actor,
    Affaire,
    CrmError,
)
from crm_data.rights import check_actor
from crm_data.store.db import CONSTRAINT_ERRORS, Connection, bounded_memory, transaction
from crm_data.text import fold
from crm_data.validation import Lookups, load_lookups

Progress = Callable[[float, str], None]
CHUNK_ROWS = int(os.environ.get("CRM_IMPORT_CHUNK_ROWS") or 20_000)
"""Rows validated and written at a time: enough for bulk statements, small next to a file
(CRM_IMPORT_CHUNK_ROWS lowers it for a machine short of memory)."""

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


@dataclass
class Names:
    """Names already in the base, folded, and the comptes and contacts this import adds."""

    comptes: dict[str, int]
    compte_noms: dict[int, str]
    contacts: dict[tuple[int, str], int]
    users: dict[str, int]
    ambiguous_users: set[str]
    new_comptes: dict[str, tuple[int, str]] = field(default_factory=dict)
    new_contacts: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)
    contact_owner: dict[int, int] = field(default_factory=dict)

    def settle(self, comptes: dict[int, int], contacts: dict[int, int]) -> None:
        """The comptes and contacts just inserted (provisional id → real id) become known, so
        that the next chunk of a streamed import names them without creating them again."""
        for key, (provisional, nom) in list(self.new_comptes.items()):
            if provisional in comptes:
                self.comptes[key] = comptes[provisional]
                self.compte_noms[comptes[provisional]] = nom
                del self.new_comptes[key]
        for (compte, nom_key), (provisional, _) in list(self.new_contacts.items()):
            if provisional in contacts:
                owner = comptes.get(compte, compte)
                self.contacts[(owner, nom_key)] = contacts[provisional]
                self.contact_owner[contacts[provisional]] = owner
                del self.new_contacts[(compte, nom_key)]

    def compte_id(self, nom: str) -> int:
        key = fold(nom)
        if key in self.comptes:
            return self.comptes[key]
        if key not in self.new_comptes:
            self.new_comptes[key] = (-1 - len(self.new_comptes), " ".join(nom.split()))
        return self.new_comptes[key][0]

    def contact_id(self, compte_id: int, nom_complet: str) -> int:
        key = (compte_id, fold(nom_complet))
        if key in self.contacts:
            return self.contacts[key]
        if key not in self.new_contacts:
            provisional = -1 - len(self.new_contacts)
            self.new_contacts[key] = (provisional, " ".join(nom_complet.split()))
            self.contact_owner[provisional] = compte_id
        return self.new_contacts[key][0]


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
    stays flat in the file's size; FileFormatError when unreadable, also further in the file."""
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
    report = ImportReport()
    today = today or dt.date.today()
    total = len(rows) if isinstance(rows, Sized) else None
    try:
        with bounded_memory(con), transaction(con) as cur:
            if not dry_run:
                check_actor(cur, actor)
            names = load_names(cur)
            lookups = import_lookups(cur, names)
            for chunk in _chunks(rows, CHUNK_ROWS):
                valid, checked = check_chunk_rows(
                    cur, actor, chunk, headers, report, today, names, lookups
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


def import_lookups(cur: Connection, names: Names) -> Lookups:
    """validation's lookups for an import: comptes and contacts answered from names (the base's
    and those the import creates, provisional ids below zero) instead of one query a row."""
    lookups = load_lookups(cur)
    lookups.compte_exists = lambda i: i < 0 or i in names.compte_noms
    lookups.contact_compte = names.contact_owner.get
    return lookups


def load_names(cur: Connection) -> Names:
    """The comptes, contacts and users already in the base, by folded name, for resolving rows."""
    comptes: dict[str, int] = {}
    compte_noms: dict[int, str] = {}
    for key, compte_id, nom in cur.execute(
        """
        SELECT nom_cle, id, nom
        FROM compte
        """
    ).fetchall():
        comptes[str(key)] = int(compte_id)
        compte_noms[int(compte_id)] = str(nom)
    contacts: dict[tuple[int, str], int] = {}
    owners: dict[int, int] = {}
    for contact_id, compte_id, prenom, nom in cur.execute(
        """
        SELECT id, compte_id, prenom, nom
        FROM contact
        ORDER BY id
        """
    ).fetchall():
        contacts.setdefault((int(compte_id), fold(f"{prenom or ''} {nom}")), int(contact_id))
        owners[int(contact_id)] = int(compte_id)
    users: dict[str, int] = {}
    ambiguous: set[str] = set()
    for user_id, login, nom in cur.execute(
        """
        SELECT id, login, nom
        FROM utilisateur
        ORDER BY id
        """
    ).fetchall():
        for key in {fold(str(nom)), fold(str(login))}:
            if key in users and users[key] != user_id:
                ambiguous.add(key)
            users.setdefault(key, int(user_id))
    return Names(comptes, compte_noms, contacts, users, ambiguous, contact_owner=owners)


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
        lambda compte, contact: name_links(compte, contact, names),
    )
    valid = [
        (checked[index], row.values.get("source_id") or None)
        for index, row in enumerate(rows)
        if index in checked
    ]
    if progress:
        progress(_VALIDATION_SHARE, f"Vérification : {len(rows)} lignes")
    _report_checked(
        rows,
        headers,
        report,
        problems,
        names,
        ({aff.compte_id for aff, _ in valid}, {aff.contact_id for aff, _ in valid}),
    )
    return valid, names


def _report_checked(
    rows: Sequence[SourceRow],
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
            RowError(rows[index].line, field_label(name, headers) if name else "", message)
            for name, message in problems[index]
        )
    report.valid_rows += len(rows) - len(problems)
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
    rows: Sequence[SourceRow],
    headers: dict[str, str] | None,
    report: ImportReport,
    today: dt.date,
    names: Names,
    lookups: Lookups,
) -> tuple[list[int], CheckedChunk]:
    """validate_rows without building affaires: the indices of the valid rows, the checked
    chunk left in its table for write_checked (or drop_checked)."""
    checked = check_chunk(
        cur,
        actor,
        rows,
        lookups,
        today,
        lambda name, text: read_cell(name, text, names),
        lambda compte, contact: name_links(compte, contact, names),
    )
    valid = [i for i in range(len(rows)) if i not in checked.problems]
    used = (
        {checked.compte_ids[i] for i in valid},
        {checked.contact_ids[i] for i in valid},
    )
    _report_checked(rows, headers, report, checked.problems, names, used)
    return valid, checked


def write_checked(
    cur: Connection,
    actor: Actor,
    rows: Sequence[SourceRow],
    valid: list[int],
    checked: CheckedChunk,
    names: Names,
) -> list[int]:
    """Insert the valid rows of a checked chunk (check_chunk_rows) straight from its table, with
    the comptes and contacts they name; their affaire ids."""
    now = dt.datetime.now()
    comptes = [checked.compte_ids[i] for i in valid]
    contacts = [checked.contact_ids[i] for i in valid]
    real, real_contact = _create_names(cur, actor, names, (set(comptes), set(contacts)), now)
    ids = allocate_ids(cur, "affaire_id_seq", len(valid))
    frame = pa.table(
        {
            "idx": pa.array(valid, pa.int64()),
            "id": pa.array(ids, pa.int64()),
            "compte_id": pa.array([_settled(real, c) for c in comptes], pa.int64()),
            "contact_id": pa.array([_settled(real_contact, k) for k in contacts], pa.int64()),
            "source_id": pa.array(
                [rows[i].values.get("source_id") or None for i in valid], pa.string()
            ),
        }
    )
    insert_selected(cur, actor, CHECKED_TABLE, frame, now)
    return ids


def row_problems(
    typing: list[tuple[str, str]], validation: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Every problem of a row: those found reading its text, then validation's on the other
    fields (a field that could not be read gets validation's echo of it only once). A problem
    of the whole row (no field) never hides another."""
    unread = {name for name, _ in typing if name}
    return [*typing, *((name, m) for name, m in validation if not name or name not in unread)]


def typed_values(row: SourceRow, names: Names) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row's values as validate expects them, and the problems found reading its text.

    A value that cannot be read is passed on as text, so that validate treats the field as bad
    and does not fill a default in its place.
    """
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = list(row.problems)
    for name, text in row.values.items():
        if name not in AFFAIRE_FIELDS or name in ("compte_id", "contact_id"):
            continue
        try:
            values[name] = read_cell(name, text, names)
        except ValueError as exc:
            errors.append((name, str(exc)))
            values[name] = text
    compte_id, contact_id = name_links(
        row.values.get("compte_id", ""), row.values.get("contact_id", ""), names
    )
    if compte_id is not None:
        values["compte_id"] = compte_id
    if contact_id is not None:
        values["contact_id"] = contact_id
    return values, errors


def read_cell(name: str, text: str, names: Names) -> Any:
    """A cell's text as validate takes it: a date, an amount, a réussite, a user's id, else the
    text itself; ValueError in French when it cannot be read."""
    if name in AFFAIRE_DATE_FIELDS:
        return parse_date(text)
    if name in AFFAIRE_AMOUNT_FIELDS:
        return parse_amount(text)
    if name == "reussite":
        return parse_reussite(text)
    if name == "gestion_par":
        return _user_id(text, names)
    return text


def name_links(compte: str, contact: str, names: Names) -> tuple[int | None, int | None]:
    """The ids of a row's compte and contact (« Prénom Nom »), by name; provisional ids (below
    zero) for those the import creates. No contact without a compte."""
    compte = compte.strip()
    if not compte:
        return None, None
    compte_id = names.compte_id(compte)
    contact = contact.strip()
    return compte_id, names.contact_id(compte_id, contact) if contact else None


def _user_id(text: str, names: Names) -> int | None:
    key = fold(text)
    if not key:
        return None
    if key in names.ambiguous_users:
        raise ValueError(
            f"Plusieurs utilisateurs s'appellent « {text.strip()} » : donnez le login."
        )
    if key not in names.users:
        raise ValueError(
            f"Utilisateur « {text.strip()} » inconnu : un import ne crée pas d'utilisateurs."
        )
    return names.users[key]


def write_affaires(
    cur: Connection,
    actor: Actor,
    valid: list[tuple[Affaire, str | None]],
    names: Names,
    progress: Progress | None,
    *,
    dry_run: bool = False,
) -> list[int]:
    """Insert the valid rows with the comptes and contacts they name; their affaire ids.

    A dry run (rolled back by its caller) draws no number from the sequences.
    """
    if progress:
        progress(_VALIDATION_SHARE, f"Enregistrement de {len(valid)} affaires…")
    now = dt.datetime.now()
    used = ({aff.compte_id for aff, _ in valid}, {aff.contact_id for aff, _ in valid})
    real, real_contact = _create_names(cur, actor, names, used, now, dry_run=dry_run)
    ids = allocate_ids(cur, "affaire_id_seq", len(valid), dry_run=dry_run)
    affaires: list[Affaire] = []
    for (aff, _), affaire_id in zip(valid, ids, strict=True):
        if aff.compte_id is not None and aff.compte_id < 0:
            aff.compte_id = real[aff.compte_id]
        if aff.contact_id is not None and aff.contact_id < 0:
            aff.contact_id = real_contact[aff.contact_id]
        aff.id = affaire_id
        affaires.append(aff)
    insert_affaires(cur, actor, affaires, [s for _, s in valid], now)
    return ids


def _settled(real: dict[int, int], given: int | None) -> int | None:
    """A row's compte or contact id once the new ones are inserted (real: by provisional id)."""
    return given if given is None else real.get(given, given)


def _create_names(
    cur: Connection,
    actor: Actor,
    names: Names,
    used: tuple[set[int | None], set[int | None]],
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> tuple[dict[int, int], dict[int, int]]:
    """Insert the new comptes and contacts that the rows use (provisional ids, used); their real
    ids by provisional id, settled in names for the next chunks."""
    used_comptes, used_contacts = used
    comptes = [(i, nom) for i, nom in names.new_comptes.values() if i in used_comptes]
    contacts = [
        (i, c, nom) for (c, _), (i, nom) in names.new_contacts.items() if i in used_contacts
    ]
    real = dict(
        zip(
            [i for i, _ in comptes],
            allocate_ids(cur, "compte_id_seq", len(comptes), dry_run=dry_run),
            strict=True,
        )
    )
    real_contact = dict(
        zip(
            [i for i, _, _ in contacts],
            allocate_ids(cur, "contact_id_seq", len(contacts), dry_run=dry_run),
            strict=True,
        )
    )
    insert_comptes(cur, actor, [(real[i], nom) for i, nom in comptes], now)
    insert_contacts(
        cur, actor, [(real_contact[i], real.get(c, c), nom) for i, c, nom in contacts], now
    )
    names.settle(real, real_contact)
    return real, real_contact
