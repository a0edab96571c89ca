"""Importing affaires: rows of canonical fields (from a file or a mapping) → validated affaires.

Reading a file is crm_data.files.canonical's job; this module resolves names, applies every rule of
SPEC §1 through crm_data.validation and writes all rows in one transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_data.comptes import insert_comptes
from crm_data.files.canonical import (
    SourceRow,
    field_label,
    parse_amount,
    parse_date,
    parse_reussite,
    read_canonical,
)
from crm_data.imports.bulk import allocate_ids, insert_affaires, insert_contacts
from crm_data.model import AFFAIRE_FIELDS, Actor, Affaire, CrmError
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction
from crm_data.text import fold
from crm_data.validation import Lookups, load_lookups, validate

Progress = Callable[[float, str], None]

_DATE_FIELDS = ("date_debut", "date_fin", "date_signature", "date_cloture")
_AMOUNT_FIELDS = ("ca_potentiel", "ca_attendu", "total_ht")
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
    """Import a canonical CSV or XLSX file (see import_rows); FileFormatError when unreadable."""
    source = read_canonical(path)
    report = import_rows(
        con,
        actor,
        source.rows,
        headers=source.headers,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress,
    )
    report.unknown_columns = source.unknown_columns
    return report


def import_rows(
    con: Connection,
    actor: Actor,
    rows: Sequence[SourceRow],
    *,
    headers: dict[str, str] | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Validate every row and create its affaire, with the comptes and contacts it names.

    All or nothing: one invalid row and nothing is written, unless skip_invalid, which writes
    the valid rows. A dry run only validates. Every invalid row is in the report's errors.
    """
    report = ImportReport(rows_read=len(rows))
    today = today or dt.date.today()
    if dry_run:
        with read(con) as cur:
            validate_rows(cur, actor, rows, headers, report, progress, today)
        return report
    try:
        with transaction(con) as cur:
            check_actor(cur, actor)
            valid, names = validate_rows(cur, actor, rows, headers, report, progress, today)
            if valid and (skip_invalid or not report.errors):
                report.affaire_ids = write_affaires(cur, actor, valid, names, progress)
                report.written = True
    except duckdb.ConstraintException as exc:
        raise CrmError(f"La base a refusé l'import, rien n'a été enregistré : {exc}") from exc
    if progress:
        progress(1.0, "Import terminé.")
    return report


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
    for contact_id, compte_id, prenom, nom in cur.execute(
        """
        SELECT id, compte_id, prenom, nom
        FROM contact
        ORDER BY id
        """
    ).fetchall():
        contacts.setdefault((int(compte_id), fold(f"{prenom or ''} {nom}")), int(contact_id))
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
    return Names(comptes, compte_noms, contacts, users, ambiguous)


def validate_rows(
    cur: Connection,
    actor: Actor,
    rows: Sequence[SourceRow],
    headers: dict[str, str] | None,
    report: ImportReport,
    progress: Progress | None,
    today: dt.date | None,
) -> tuple[list[tuple[Affaire, str | None]], Names]:
    """Type and validate every row (SPEC §1); the valid ones with their source id, and the names
    they resolved. Every problem of every row goes into report, with its line and column."""
    names = load_names(cur)
    known_comptes = set(names.comptes.values())
    lookups: Lookups = load_lookups(cur)
    lookups.compte_exists = lambda i: i < 0 or i in known_comptes
    owners = {i: compte for (compte, _), i in names.contacts.items()}
    lookups.contact_compte = lambda i: owners.get(i, names.contact_owner.get(i))
    valid: list[tuple[Affaire, str | None]] = []
    step = max(1, len(rows) // 50)
    for index, row in enumerate(rows):
        values, errors = typed_values(row, names)
        aff, problems = validate(values, lookups, actor, today=today)
        errors = row_problems(errors, problems)
        if errors:
            report.errors.extend(
                RowError(row.line, field_label(name, headers) if name else "", message)
                for name, message in errors
            )
        else:
            valid.append((aff, row.values.get("source_id") or None))
        if progress and index % step == 0:
            progress(_VALIDATION_SHARE * index / len(rows), f"Vérification : ligne {row.line}")
    report.valid_rows = len(valid)
    used_comptes = {aff.compte_id for aff, _ in valid}
    used_contacts = {aff.contact_id for aff, _ in valid}
    report.comptes_crees = [n for i, n in names.new_comptes.values() if i in used_comptes]
    compte_noms = names.compte_noms | {i: nom for i, nom in names.new_comptes.values()}
    report.contacts_crees = [
        f"{nom} ({compte_noms[compte]})"
        for (compte, _), (i, nom) in names.new_contacts.items()
        if i in used_contacts
    ]
    return valid, names


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
            if name in _DATE_FIELDS:
                values[name] = parse_date(text)
            elif name in _AMOUNT_FIELDS:
                values[name] = parse_amount(text)
            elif name == "reussite":
                values[name] = parse_reussite(text)
            elif name == "gestion_par":
                values[name] = _user_id(text, names)
            else:
                values[name] = text
        except ValueError as exc:
            errors.append((name, str(exc)))
            values[name] = text
    compte = row.values.get("compte_id", "").strip()
    if compte:
        values["compte_id"] = names.compte_id(compte)
        contact = row.values.get("contact_id", "").strip()
        if contact:
            values["contact_id"] = names.contact_id(values["compte_id"], contact)
    return values, errors


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
    used_comptes = {aff.compte_id for aff, _ in valid}
    used_contacts = {aff.contact_id for aff, _ in valid}
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
