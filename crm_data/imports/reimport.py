"""The re-import side of a mapped import: updating affaires already imported, and writing the
versions a source's past gives (its own history, or its dates). Runs inside the caller's
transaction; validation is crm_data.validation's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from crm_data import history
from crm_data.comptes import insert_comptes
from crm_data.files.canonical import SourceRow, TextChunk, field_label
from crm_data.imports.bulk import ARROW_TYPES, allocate_ids, insert_contacts
from crm_data.imports.canonical import RowError
from crm_data.imports.names import (
    Names,
    load_names,
    pair_links,
    read_cell,
    row_problems,
    typed_values,
)
from crm_data.imports.staging import CellCache, stage
from crm_data.mapping.model import Mapping
from crm_data.mapping.shipped import CODE_NON_RENSEIGNE, Companions, SourceState
from crm_data.model import AFFAIRE_FIELDS, Actor, Affaire, Statut
from crm_data.store.db import Connection
from crm_data.store.frames import execute_all_with_frame, execute_with_frame
from crm_data.text import fold
from crm_data.validation import Lookups, load_lookups, validate

_AFFAIRE_COLUMNS = tuple(f.name for f in fields(Affaire))
_OUTCOMES = {fold(s.value): s.value for s in Statut if s != Statut.EN_COURS}


def update_existing(
    cur: Connection,
    actor: Actor,
    rows: list[tuple[SourceRow, int]],
    headers: dict[str, str],
    errors: list[RowError],
    today: dt.date | None,
    *,
    dry_run: bool = False,
) -> tuple[int, int]:
    """Apply each row to the affaire it names (by source id); (updated, unchanged) counts.

    Only the fields the row carries change; each changed affaire gets a new version. An invalid row
    adds its problems to errors and changes nothing.
    """
    if not rows:
        return 0, 0
    lookups = load_lookups(cur)
    same = unchanged_rows(cur, rows, lookups)
    unchanged = len(same)
    rows = [pair for index, pair in enumerate(rows) if index not in same]
    olds = _load(cur, [affaire_id for _, affaire_id in rows])
    names = load_names(cur)
    known = set(names.comptes.values())
    lookups.compte_exists = lambda i: i < 0 or i in known
    owners = {i: compte for (compte, _), i in names.contacts.items()}
    lookups.contact_compte = lambda i: owners.get(i, names.contact_owner.get(i))
    changed: list[tuple[Affaire, Affaire]] = []
    for row, affaire_id in rows:
        old = olds[affaire_id]
        values, problems = typed_values(row, names)
        new, found = validate(values, lookups, actor, old=old, today=today)
        problems = row_problems(problems, found)
        if problems:
            errors.extend(
                RowError(row.line, field_label(n, headers) if n else "", m) for n, m in problems
            )
        elif history.changes(old, new):
            changed.append((old, new))
        else:
            unchanged += 1
    _create_named(cur, actor, [new for _, new in changed], names, dry_run=dry_run)
    _write(cur, actor, changed)
    return len(changed), unchanged


_DEFAULTED = ("statut", "etape", "type")
"""Fields that staging gives a creation's default for an empty cell, where an update empties
them (and validate refuses that): such a row is never taken as unchanged."""


def unchanged_rows(
    cur: Connection, rows: list[tuple[SourceRow, int]], lookups: Lookups
) -> set[int]:
    """The indices of the rows that leave their affaire as it is, found for the whole chunk at
    once: every cell read without a problem (staged as set validation stages them) and each
    field the row carries equal to the stored one. validate would change nothing and find
    nothing there: the stored affaire passed its rules, and with no field changed neither a
    transition, nor the réussite's following of its étape, nor a check of a changed value
    applies; save a Gagnée closed on another day than its signature (validate aligns them),
    never taken as unchanged. A property test holds both to that."""
    chunk = TextChunk.from_rows([row for row, _ in rows])
    names = load_names(cur)
    staged, problems = stage(
        chunk,
        lookups,
        lambda name, text: read_cell(name, text, names),
        lambda comptes, contacts, pairs: pair_links(comptes, contacts, pairs, names),
        CellCache(),
    )
    carried = {f"has_{n}": pc.is_valid(chunk.text(n)) for n in AFFAIRE_FIELDS}
    blank = {
        f"blank_{n}": pc.fill_null(pc.equal(pc.utf8_trim_whitespace(chunk.text(n)), ""), False)
        for n in _DEFAULTED
    }
    kept = {n: staged[n] for n in AFFAIRE_FIELDS}
    frame = pa.table(
        {
            "idx": staged["idx"],
            "affaire_id": pa.array([affaire_id for _, affaire_id in rows], pa.int64()),
            **kept,
            **carried,
            **blank,
        }
    )
    conditions = [
        # A compte or contact cell left empty keeps the stored one (typed_values).
        f"(s.{n} IS NULL OR s.{n} = a.{n})"
        if n in ("compte_id", "contact_id")
        else f"(NOT s.has_{n} OR s.{n} IS NOT DISTINCT FROM a.{n})"
        for n in AFFAIRE_FIELDS
    ]
    conditions += [f"NOT s.blank_{n}" for n in _DEFAULTED]
    conditions.append(
        "NOT (a.statut = 'Gagnée' AND a.date_cloture IS DISTINCT FROM a.date_signature)"
    )
    where = "\n          AND ".join(conditions)
    found = execute_with_frame(
        cur,
        f"""
        SELECT s.idx
        FROM bulk_frame AS s
        JOIN affaire AS a ON a.id = s.affaire_id
        WHERE {where}
        """,
        frame,
    )
    return {int(index) for (index,) in found} - problems.keys()


def _load(cur: Connection, ids: list[int]) -> dict[int, Affaire]:
    rows = execute_with_frame(
        cur,
        f"""
        SELECT {", ".join("a." + c for c in _AFFAIRE_COLUMNS)}
        FROM affaire AS a
        JOIN bulk_frame AS u ON u.id = a.id
        """,
        pa.table({"id": pa.array(ids, pa.int64())}),
    )
    affaires = [Affaire(**dict(zip(_AFFAIRE_COLUMNS, r, strict=True))) for r in rows]
    return {a.id: a for a in affaires if a.id is not None}


def _create_named(
    cur: Connection,
    actor: Actor,
    affaires: list[Affaire],
    names: Names,
    *,
    dry_run: bool,
) -> None:
    """Comptes and contacts that rows name for the first time get created, as on creation
    (a dry run draws no number from their sequences)."""
    used_comptes = {a.compte_id for a in affaires}
    used_contacts = {a.contact_id for a in affaires}
    new_comptes = [(i, nom) for i, nom in names.new_comptes.values() if i in used_comptes]
    new_contacts = [
        (i, c, nom) for (c, _), (i, nom) in names.new_contacts.items() if i in used_contacts
    ]
    compte_ids = allocate_ids(cur, "compte_id_seq", len(new_comptes), dry_run=dry_run)
    real = {i: r for (i, _), r in zip(new_comptes, compte_ids, strict=True)}
    contact_ids = allocate_ids(cur, "contact_id_seq", len(new_contacts), dry_run=dry_run)
    real_contacts = {i: r for (i, _, _), r in zip(new_contacts, contact_ids, strict=True)}
    now = dt.datetime.now()
    insert_comptes(cur, actor, [(real[i], nom) for i, nom in new_comptes], now)
    insert_contacts(
        cur, actor, [(real_contacts[i], real.get(c, c), nom) for i, c, nom in new_contacts], now
    )
    for aff in affaires:
        if aff.compte_id is not None and aff.compte_id < 0:
            aff.compte_id = real[aff.compte_id]
        if aff.contact_id is not None and aff.contact_id < 0:
            aff.contact_id = real_contacts[aff.contact_id]


def _write(cur: Connection, actor: Actor, changed: list[tuple[Affaire, Affaire]]) -> None:
    if not changed:
        return
    now = dt.datetime.now()
    columns: dict[str, pa.Array] = {"id": pa.array([n.id for _, n in changed], pa.int64())}
    for name in AFFAIRE_FIELDS:
        kind = ARROW_TYPES.get(name, pa.string())
        columns[name] = pa.array([getattr(n, name) for _, n in changed], kind)
    assignments = ",\n    ".join(f"{n} = u.{n}" for n in AFFAIRE_FIELDS)
    # affaire is referenced by no foreign key, so setting its own key columns is allowed.
    update = f"""
        UPDATE affaire
        SET {assignments},
            version = affaire.version + 1,
            updated_at = $now,
            updated_by = $actor
        FROM bulk_frame AS u
        WHERE affaire.id = u.id
        """
    versions = history.append_versions_sql("a.id IN (SELECT id FROM bulk_frame)")
    execute_all_with_frame(
        cur,
        [(update, {"now": now, "actor": actor.id}), (versions, {})],
        pa.table(columns),
    )


def date_creation_versions(cur: Connection, affaire_ids: list[int]) -> None:
    """Date the versions of affaires just imported from another CRM as their dates tell (SPEC
    §3): open from the start of their date de début, then, when closed, closed from the start
    of their closing date (never later than now).

    The open version has the file's values with the closing fields empty and the réussite of its
    étape; the closed one is the affaire as stored. The analyses through time read them: dated
    at the import, every imported affaire would seem created and closed in the same second.
    """
    if not affaire_ids:
        return
    now = dt.datetime.now()
    opened = "least(CAST(a.date_debut AS TIMESTAMP), CAST($now AS TIMESTAMP))"
    closed = "a.statut <> 'En cours'"
    delete = """
        DELETE FROM affaire_version
        WHERE affaire_id IN (SELECT id FROM bulk_frame)
        """
    first = f"""
        {history.VERSION_INSERT}
        SELECT {
        history.version_select(
            version="1",
            valid_from=opened,
            statut="'En cours'",
            reussite=f"CASE WHEN {closed} THEN e.reussite_defaut ELSE a.reussite END",
            code_cloture="NULL",
            date_signature="NULL",
            total_ht="NULL",
            date_cloture="NULL",
        )
    }
        FROM affaire AS a
        JOIN bulk_frame AS c ON c.id = a.id
        LEFT JOIN etape AS e ON e.nom = a.etape
        """
    closing = "CAST(coalesce(a.date_cloture, a.date_signature, a.date_debut) AS TIMESTAMP)"
    second = f"""
        {history.VERSION_INSERT}
        SELECT {
        history.version_select(
            version="2",
            valid_from=f"greatest({opened}, least({closing}, CAST($now AS TIMESTAMP)))",
        )
    }
        FROM affaire AS a
        JOIN bulk_frame AS c ON c.id = a.id
        WHERE {closed}
        """
    numbered = f"""
        UPDATE affaire
        SET version = 2
        WHERE id IN (SELECT id FROM bulk_frame)
          AND {closed.replace("a.", "")}
        """
    execute_all_with_frame(
        cur,
        [(delete, None), (first, {"now": now}), (second, {"now": now}), (numbered, None)],
        pa.table({"id": pa.array(affaire_ids, pa.int64())}),
    )


def insert_source_versions(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    companions: Companions,
    created: dict[str, int],
) -> int:
    """Replace the versions of the affaires just created from a source with a history of its
    own (Salesforce's OpportunityHistory) by the source's states, each at its instant: its
    stage (étape or outcome), amount, probability and close date over the file's other values;
    a last version, now, brings them to the affaire as imported when the source's history
    stops short of it. One INSERT for all of them; returns the number of source states kept.
    """
    targets = {src: created[src] for src in companions.states if src in created}
    if not targets:
        return 0
    current = _load(cur, list(targets.values()))
    etapes = {fold(e): e for e in _etape_names(cur)}
    now = dt.datetime.now()
    versions: list[tuple[int, dt.datetime, Affaire]] = []
    kept = 0
    for src, affaire_id in targets.items():
        final = current[affaire_id]
        state: Affaire | None = None
        for row in companions.states[src]:
            new = _source_state(mapping, row, state, final, etapes)
            if new is not None:
                versions.append((affaire_id, row.when, new))
                kept += 1
                state = new
        if state is None or history.changes(state, final):
            versions.append((affaire_id, now, final))
    _replace_versions(cur, actor, versions)
    return kept


def _source_state(
    mapping: Mapping,
    row: SourceState,
    previous: Affaire | None,
    final: Affaire,
    etapes: dict[str, str],
) -> Affaire | None:
    """The affaire as one source history row leaves it; None for a stage we cannot place."""
    mapped = mapping.value_for("etape", row.stage)
    outcome = _OUTCOMES.get(fold(mapped))
    etape = etapes.get(fold(mapped))
    if outcome is None and etape is None:
        return None
    base = previous or final
    state = replace(
        final,
        statut=outcome or Statut.EN_COURS.value,
        etape=etape or base.etape or final.etape,
        ca_potentiel=row.amount if row.amount is not None else base.ca_potentiel,
        reussite=row.probability if row.probability is not None else base.reussite,
        date_fin=row.close_date or base.date_fin,
    )
    if outcome is None:
        return replace(
            state, code_cloture=None, date_signature=None, total_ht=None, date_cloture=None
        )
    if outcome == final.statut:
        return state
    day = row.when.date()
    won = outcome == Statut.GAGNEE.value
    return replace(
        state,
        date_cloture=day,
        date_signature=day if won else None,
        total_ht=(state.ca_potentiel or Decimal(0)) if won else None,
        code_cloture=None if won else (final.code_cloture or CODE_NON_RENSEIGNE),
    )


def _replace_versions(
    cur: Connection, actor: Actor, versions: list[tuple[int, dt.datetime, Affaire]]
) -> None:
    """Write these versions (numbered 1, 2... per affaire, in order) in place of the affaires'
    own, and set each affaire's version to its last one's number."""
    numbers: dict[int, int] = {}
    numbered = []
    for affaire_id, when, state in versions:
        numbers[affaire_id] = numbers.get(affaire_id, 0) + 1
        numbered.append((affaire_id, numbers[affaire_id], when, state))
    columns: dict[str, pa.Array] = {
        "affaire_id": pa.array([v[0] for v in numbered], pa.int64()),
        "version": pa.array([v[1] for v in numbered], pa.int32()),
        "valid_from": pa.array([v[2] for v in numbered], pa.timestamp("us")),
        "written_by": pa.array([actor.id for _ in numbered], pa.int64()),
    }
    for name in AFFAIRE_FIELDS:
        kind = ARROW_TYPES.get(name, pa.string())
        columns[name] = pa.array([getattr(v[3], name) for v in numbered], kind)
    names = ", ".join(columns)
    delete = """
        DELETE FROM affaire_version
        WHERE affaire_id IN (SELECT affaire_id FROM bulk_frame)
        """
    insert = f"""
        INSERT INTO affaire_version ({names})
        SELECT {names}
        FROM bulk_frame
        """
    last_version = """
        UPDATE affaire
        SET version = n.version
        FROM (
            SELECT affaire_id, max(version) AS version
            FROM bulk_frame
            GROUP BY affaire_id
        ) AS n
        WHERE affaire.id = n.affaire_id
        """
    execute_all_with_frame(
        cur, [(delete, None), (insert, None), (last_version, None)], pa.table(columns)
    )


def _etape_names(cur: Connection) -> list[str]:
    return [
        str(n)
        for (n,) in cur.execute(
            """
            SELECT nom
            FROM etape
            ORDER BY ordre
            """
        ).fetchall()
    ]
