"""The re-import side of a mapped import: updating affaires already imported, and writing the
source's stage history. Runs inside the caller's transaction; validation is crm_data.validation's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pyarrow as pa

from crm_data import history
from crm_data.comptes import insert_comptes
from crm_data.files.canonical import SourceRow, field_label
from crm_data.imports import canonical as importer
from crm_data.imports.bulk import ARROW_TYPES, allocate_ids, insert_contacts
from crm_data.imports.canonical import RowError
from crm_data.mapping.model import Mapping
from crm_data.mapping.shipped import Companions
from crm_data.model import AFFAIRE_FIELDS, Actor, Affaire, Statut
from crm_data.store.db import Connection
from crm_data.text import fold
from crm_data.validation import load_lookups, validate

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

    Only the fields the row carries change; every change goes to the history. An invalid row
    adds its problems to errors and changes nothing.
    """
    if not rows:
        return 0, 0
    olds = _load(cur, [affaire_id for _, affaire_id in rows])
    names = importer.load_names(cur)
    lookups = load_lookups(cur)
    known = set(names.comptes.values())
    lookups.compte_exists = lambda i: i < 0 or i in known
    owners = {i: compte for (compte, _), i in names.contacts.items()}
    lookups.contact_compte = lambda i: owners.get(i, names.contact_owner.get(i))
    changed: list[tuple[Affaire, Affaire]] = []
    unchanged = 0
    for row, affaire_id in rows:
        old = olds[affaire_id]
        values, problems = importer.typed_values(row, names)
        new, found = validate(values, lookups, actor, old=old, today=today)
        problems = importer.row_problems(problems, found)
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


def _load(cur: Connection, ids: list[int]) -> dict[int, Affaire]:
    cur.register("update_ids", pa.table({"id": pa.array(ids, pa.int64())}))
    try:
        rows = cur.execute(
            f"""
            SELECT {", ".join("a." + c for c in _AFFAIRE_COLUMNS)}
            FROM affaire AS a
            JOIN update_ids AS u ON u.id = a.id
            """
        ).fetchall()
    finally:
        cur.unregister("update_ids")
    affaires = [Affaire(**dict(zip(_AFFAIRE_COLUMNS, r, strict=True))) for r in rows]
    return {a.id: a for a in affaires if a.id is not None}


def _create_named(
    cur: Connection,
    actor: Actor,
    affaires: list[Affaire],
    names: importer.Names,
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
    cur.register("update_frame", pa.table(columns))
    try:
        # affaire is referenced by no foreign key, so setting its own key columns is allowed.
        cur.execute(
            f"""
            UPDATE affaire
            SET {assignments},
                version = affaire.version + 1,
                updated_at = $now,
                updated_by = $actor
            FROM update_frame AS u
            WHERE affaire.id = u.id
            """,
            {"now": now, "actor": actor.id},
        )
    finally:
        cur.unregister("update_frame")
    for old, new in changed:
        assert new.id is not None
        history.record(cur, new.id, actor.id, now, history.changes(old, new))


def date_creation_history(cur: Connection, actor: Actor, affaire_ids: list[int]) -> None:
    """Date the creation history of affaires just imported from another CRM as it happened:
    created En cours on their date de début, then closed on their closing date.

    The conversion and velocity analyses read the history; dated at the import, every imported
    affaire would seem created and closed in the same second.
    """
    if not affaire_ids:
        return
    cur.register("created_ids", pa.table({"id": pa.array(affaire_ids, pa.int64())}))
    try:
        cur.execute(
            """
            UPDATE affaire_historique
            SET changed_at = CASE
                    WHEN affaire_historique.champ IN ('date_cloture', 'date_signature',
                                                      'total_ht', 'code_cloture')
                        THEN CAST(coalesce(a.date_cloture, a.date_debut) AS TIMESTAMP)
                    ELSE CAST(a.date_debut AS TIMESTAMP)
                END,
                nouveau = CASE
                    WHEN affaire_historique.champ = 'statut' THEN 'En cours'
                    ELSE affaire_historique.nouveau
                END
            FROM affaire AS a
            WHERE a.id = affaire_historique.affaire_id
              AND a.id IN (SELECT id FROM created_ids)
              AND affaire_historique.ancien IS NULL
            """
        )
        cur.execute(
            """
            INSERT INTO affaire_historique (affaire_id, changed_at, changed_by, champ, ancien,
                                            nouveau)
            SELECT a.id, CAST(a.date_cloture AS TIMESTAMP), $actor, 'statut', 'En cours',
                   a.statut
            FROM affaire AS a
            JOIN created_ids AS c ON c.id = a.id
            WHERE a.statut <> 'En cours'
            """,
            {"actor": actor.id},
        )
    finally:
        cur.unregister("created_ids")


def insert_source_history(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    companions: Companions,
    created: dict[str, int],
) -> int:
    """Replace the étape and statut creation rows of the affaires just created from a source
    with a stage history (Salesforce's OpportunityHistory) by the source's own changes, with
    their dates; a last row brings the history to the affaire's state when the source's
    history stops short of it. Returns the number of rows written."""
    targets = {src: created[src] for src in companions.history if src in created}
    if not targets:
        return 0
    ids = pa.table({"id": pa.array(list(targets.values()), pa.int64())})
    cur.register("history_ids", ids)
    try:
        current = {
            int(i): (str(s), str(e))
            for i, s, e in cur.execute(
                """
                SELECT a.id, a.statut, a.etape
                FROM affaire AS a
                JOIN history_ids AS h ON h.id = a.id
                """
            ).fetchall()
        }
        cur.execute(
            """
            DELETE FROM affaire_historique
            WHERE affaire_id IN (SELECT id FROM history_ids)
              AND champ IN ('statut', 'etape')
            """
        )
    finally:
        cur.unregister("history_ids")
    etapes = {fold(e): e for e in _etape_names(cur)}
    written = 0
    now = dt.datetime.now()
    for src, affaire_id in targets.items():
        statut_now, etape_now = current[affaire_id]
        state: tuple[str | None, str | None] = (None, None)
        for when, stage in companions.history[src]:
            new = _state(mapping.value_for("etape", stage), state, etapes, etape_now)
            if new is not None:
                written += _record_state(cur, affaire_id, actor.id, when, state, new)
                state = new
        written += _record_state(cur, affaire_id, actor.id, now, state, (statut_now, etape_now))
    return written


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


def _state(
    mapped: str,
    previous: tuple[str | None, str | None],
    etapes: dict[str, str],
    etape_now: str,
) -> tuple[str, str] | None:
    outcome = _OUTCOMES.get(fold(mapped))
    if outcome is not None:
        return outcome, previous[1] or etape_now
    if fold(mapped) in etapes:
        return Statut.EN_COURS.value, etapes[fold(mapped)]
    return None


def _record_state(
    cur: Connection,
    affaire_id: int,
    actor_id: int,
    when: dt.datetime,
    before: tuple[str | None, str | None],
    after: tuple[str, str],
) -> int:
    pairs: list[tuple[str, str | None, str | None]] = [
        ("statut", before[0], after[0]),
        ("etape", before[1], after[1]),
    ]
    rows = [(champ, old, new) for champ, old, new in pairs if old != new]
    history.record(cur, affaire_id, actor_id, when, rows)
    return len(rows)
