"""SPEC §1's rules over a whole chunk of import rows at once, in the database: the same problems
(field, French message) and the same typed affaires as crm_data.validation.validate row by row.

The chunk's cells are typed by crm_data.imports.staging (each distinct text read once); the
defaults, the réussite, closing transitions and every check run as SQL over a staging table.
Creation only (no old affaire): updates go through validate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from crm_data.files.canonical import SourceRow, TextChunk
from crm_data.imports.staging import CellCache, Links, ReadCell, stage
from crm_data.model import (
    AFFAIRE_AMOUNT_FIELDS,
    AFFAIRE_FIELDS,
    NOM_MAX_LENGTH,
    Actor,
    Affaire,
    Statut,
    TypeAffaire,
)
from crm_data.store.db import Connection
from crm_data.store.frames import FRAME, execute_with_frame
from crm_data.store.sql import in_ids
from crm_data.validation import (
    MESSAGES,
    Lookups,
    date_before_debut,
    no_longer_offered,
    nom_too_long,
    not_in_list,
)

_STAGED = FRAME
"""The chunk's staged cells, read by one statement (crm_data.store.frames: nothing of them is
kept in the transaction afterwards)."""
_CHECKED = "import_checked"
_OUTPUT = AFFAIRE_FIELDS
_FLAGS = ("date_debut_bad", "gestion_par_bad", "reussite_bad", "date_signature_explicit")
# Rule, field, condition over import_checked (alias c), in validate's order of checks (_check).
_RULES: tuple[tuple[str, str, str], ...] = (
    ("nom_required", "nom", "c.nom IS NULL"),
    ("nom_too_long", "nom", "length(c.nom) > $nom_max"),
    ("date_debut_required", "date_debut", "c.date_debut IS NULL"),
    ("date_fin_before_debut", "date_fin", "c.date_fin < c.date_debut"),
    ("signature_before_debut", "date_signature", "c.date_signature < c.date_debut"),
    (
        "cloture_before_debut",
        "date_cloture",
        "c.date_cloture < c.date_debut "
        "AND (c.date_signature IS NULL OR c.date_cloture <> c.date_signature)",
    ),
    ("compte_required", "compte_id", "c.compte_id IS NULL"),
    (
        "compte_unknown",
        "compte_id",
        "c.compte_id >= 0 AND NOT EXISTS (SELECT 1 FROM compte AS k WHERE k.id = c.compte_id)",
    ),
    ("contact_unknown", "contact_id", "c.contact_id IS NOT NULL AND c.contact_owner IS NULL"),
    ("contact_other_compte", "contact_id", "c.contact_owner <> c.compte_id"),
    ("gestion_required", "gestion_par", "c.gestion_par IS NULL"),
    (
        "user_unknown",
        "gestion_par",
        "c.gestion_par IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM utilisateur AS u WHERE u.id = c.gestion_par AND u.actif)",
    ),
    (
        "user_not_self",
        "gestion_par",
        "NOT CAST($sees_everything AS BOOLEAN) AND c.gestion_par <> $actor "
        "AND EXISTS (SELECT 1 FROM utilisateur AS u WHERE u.id = c.gestion_par AND u.actif)",
    ),
    ("statut_unknown", "statut", "c.statut NOT IN ($open, $won, $lost, $abandoned)"),
    ("type_unknown", "type", "NOT (c.type = ANY(CAST($types AS VARCHAR[])))"),
    ("etape_required", "etape", "c.etape IS NULL"),
    (
        "etape_unknown",
        "etape",
        "c.etape IS NOT NULL AND NOT EXISTS (SELECT 1 FROM etape AS r WHERE r.nom = c.etape)",
    ),
    (
        "etape_inactive",
        "etape",
        "EXISTS (SELECT 1 FROM etape AS r WHERE r.nom = c.etape AND NOT r.actif)",
    ),
    (
        "code_cloture_unknown",
        "code_cloture",
        "c.code_cloture IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM code_cloture AS r WHERE r.nom = c.code_cloture)",
    ),
    (
        "code_cloture_inactive",
        "code_cloture",
        "EXISTS (SELECT 1 FROM code_cloture AS r WHERE r.nom = c.code_cloture AND NOT r.actif)",
    ),
    (
        "famille_article_unknown",
        "famille_article",
        "c.famille_article IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM famille_article AS r WHERE r.nom = c.famille_article)",
    ),
    (
        "famille_article_inactive",
        "famille_article",
        "EXISTS (SELECT 1 FROM famille_article AS r "
        "WHERE r.nom = c.famille_article AND NOT r.actif)",
    ),
    *((f"{name}_negative", name, f"c.{name} < 0") for name in AFFAIRE_AMOUNT_FIELDS),
    ("reussite_bounds", "reussite", "c.reussite NOT BETWEEN 0 AND 100"),
    ("perdue_code", "code_cloture", "c.statut = $lost AND c.code_cloture IS NULL"),
    ("code_not_closed", "code_cloture", "c.code_cloture IS NOT NULL AND c.statut IN ($open, $won)"),
    ("gagnee_signature", "date_signature", "c.statut = $won AND c.date_signature IS NULL"),
    ("gagnee_total", "total_ht", "c.statut = $won AND c.total_ht IS NULL"),
)
_RULE_FIELDS = {rule: name for rule, name, _ in _RULES}


@dataclass(frozen=True)
class CheckedChunk:
    """A chunk checked by check_chunk, its rows left in the table import_checked (idx and every
    affaire field) until the next chunk or drop_checked: the problems of the invalid rows by
    index, and every row's compte and contact ids (provisional below zero)."""

    problems: dict[int, list[tuple[str, str]]]
    compte_ids: pa.Array
    contact_ids: pa.Array


CHECKED_TABLE = _CHECKED
"""The table check_chunk leaves: a row idx (the index in the chunk) and the typed fields."""


def check_rows(
    cur: Connection,
    actor: Actor,
    rows: Sequence[SourceRow],
    lookups: Lookups,
    today: dt.date,
    read: ReadCell,
    links: Links,
) -> tuple[dict[int, Affaire], dict[int, list[tuple[str, str]]]]:
    """Every row of rows typed and checked as validate would for a new affaire: the affaires of
    the valid rows and the problems (field, message) of the others, both by index in rows."""
    checked = check_chunk(cur, actor, TextChunk.from_rows(rows), lookups, today, read, links)
    stored = cur.execute(
        f"""
        SELECT idx, {", ".join(_OUTPUT)}
        FROM {_CHECKED}
        ORDER BY idx
        """
    ).fetchall()
    drop_checked(cur)
    valid: dict[int, Affaire] = {}
    for record in stored:
        if int(record[0]) not in checked.problems:
            valid[int(record[0])] = Affaire(**_typed(dict(zip(_OUTPUT, record[1:], strict=True))))
    return valid, checked.problems


def check_chunk(
    cur: Connection,
    actor: Actor,
    chunk: TextChunk,
    lookups: Lookups,
    today: dt.date,
    read: ReadCell,
    links: Links,
    cache: CellCache | None = None,
) -> CheckedChunk:
    """A chunk's rows typed and checked as validate would for new affaires, kept in
    import_checked; only
    the rows that break a rule are read back, for their messages.

    A row's problems come in validate's order: reading its text first, then the rules, a field
    that could not be read getting no rule's echo of it (crm_data.imports.names.row_problems).
    """
    columns, problems = stage(chunk, lookups, read, links, cache or CellCache())
    _derive(cur, actor, today, pa.table(columns))
    broken = _broken_rules(cur, actor)
    stored = cur.execute(
        f"""
        SELECT idx, {", ".join(_OUTPUT)}
        FROM {_CHECKED}
        WHERE {in_ids("idx", "broken")}
        ORDER BY idx
        """,
        {"broken": sorted(broken)},
    ).fetchall()
    for record in stored:
        index = int(record[0])
        values = dict(zip(_OUTPUT, record[1:], strict=True))
        found = problems.get(index, [])
        unread = {name for name, _ in found if name}
        for rule in broken[index]:
            name = _RULE_FIELDS[rule]
            if name not in unread:
                found.append((name, _message(rule, values)))
        if found:
            problems[index] = found
    return CheckedChunk(problems, columns["compte_id"], columns["contact_id"])


def drop_checked(cur: Connection) -> None:
    """Drop the table check_chunk left."""
    cur.execute(f"DROP TABLE IF EXISTS {_CHECKED}")


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """The stored values as validate's Affaire holds them (whole numbers as int)."""
    for name in ("compte_id", "contact_id", "gestion_par", "reussite"):
        if values[name] is not None:
            values[name] = int(values[name])
    return values


def _derive(cur: Connection, actor: Actor, today: dt.date, staged: pa.Table) -> None:
    """import_checked: the staged rows with validate's defaults for a new affaire, the réussite
    its étape or statut gives, the closing transitions, and the contact's compte."""
    kept = [
        n
        for n in AFFAIRE_FIELDS
        if n not in ("date_debut", "gestion_par", "reussite", "date_signature", "date_cloture")
    ]
    signature = """CASE WHEN s.statut = $won AND s.date_signature IS NULL
                            AND NOT s.date_signature_explicit THEN CAST($today AS DATE)
                       ELSE s.date_signature END"""
    cur.execute(f"DROP TABLE IF EXISTS {_CHECKED}")
    execute_with_frame(
        cur,
        f"""
        CREATE TEMP TABLE {_CHECKED} AS
        SELECT s.idx, {", ".join(f"s.{n}" for n in kept)},
               CASE WHEN s.date_debut_bad THEN NULL
                    ELSE coalesce(s.date_debut, CAST($today AS DATE)) END AS date_debut,
               CASE WHEN s.gestion_par_bad THEN NULL
                    ELSE coalesce(s.gestion_par, CAST($actor AS BIGINT)) END AS gestion_par,
               CASE WHEN s.reussite_bad OR s.reussite NOT BETWEEN 0 AND 100 THEN s.reussite
                    WHEN s.statut = $won THEN 100
                    WHEN s.statut IN ($lost, $abandoned) THEN 0
                    ELSE coalesce(s.reussite, e.reussite_defaut) END AS reussite,
               {signature} AS date_signature,
               CASE WHEN s.statut = $open THEN NULL
                    WHEN s.statut = $won THEN {signature}
                    WHEN s.statut IN ($lost, $abandoned)
                        THEN coalesce(s.date_cloture, CAST($today AS DATE))
                    ELSE s.date_cloture END AS date_cloture,
               CASE WHEN s.contact_id < 0 THEN s.new_contact_compte
                    ELSE (SELECT k.compte_id FROM contact AS k WHERE k.id = s.contact_id)
               END AS contact_owner
        FROM {_STAGED} AS s
        LEFT JOIN etape AS e ON e.nom = s.etape
        """,
        staged,
        {"today": today, "actor": actor.id, **_statuts()},
    )


def _statuts() -> dict[str, str]:
    return {
        "open": Statut.EN_COURS.value,
        "won": Statut.GAGNEE.value,
        "lost": Statut.PERDUE.value,
        "abandoned": Statut.ABANDONNEE.value,
    }


def _broken_rules(cur: Connection, actor: Actor) -> dict[int, list[str]]:
    """The rules each row of import_checked breaks, by row index, in the order of _RULES."""
    union = "\n            UNION ALL\n            ".join(
        f"SELECT c.idx, {order} AS rule FROM {_CHECKED} AS c WHERE {condition}"
        for order, (_, _, condition) in enumerate(_RULES)
    )
    found = cur.execute(
        f"""
        SELECT idx, rule
        FROM (
            {union}
        ) AS broken
        ORDER BY idx, rule
        """,
        {
            "nom_max": NOM_MAX_LENGTH,
            "sees_everything": actor.sees_everything,
            "actor": actor.id,
            "types": [t.value for t in TypeAffaire],
            **_statuts(),
        },
    ).fetchall()
    broken: dict[int, list[str]] = {}
    for index, order in found:
        broken.setdefault(int(index), []).append(_RULES[int(order)][0])
    return broken


def _message(rule: str, values: dict[str, Any]) -> str:
    """The French message of a broken rule, from validation's texts, for the row's values."""
    if rule in MESSAGES:
        return MESSAGES[rule]
    if rule == "nom_too_long":
        return nom_too_long(values["nom"])
    if rule in ("signature_before_debut", "cloture_before_debut"):
        name = _RULE_FIELDS[rule]
        return date_before_debut(name, values[name], values["date_debut"])
    if rule.endswith("_negative"):
        return MESSAGES["amount_negative"]
    name = _RULE_FIELDS[rule]
    if rule.endswith("_inactive"):
        return no_longer_offered(values[name])
    return not_in_list(values[name])
