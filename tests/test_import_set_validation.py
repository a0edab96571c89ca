"""The set validation of import rows against validate row by row: on random rows, valid and not,
the same verdict, the same (field, message) problems in the same order, the same affaires."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data.files.canonical import SourceRow, field_label
from crm_data.imports.canonical import ImportReport, validate_rows
from crm_data.imports.names import import_lookups, load_names, row_problems, typed_values
from crm_data.model import Actor, Role
from crm_data.referentiels import save_value
from crm_data.store.db import Connection, transaction
from crm_data.users import get_actor, update_user
from crm_data.validation import validate
from tests import engines
from tests.factories import admin, make_compte, make_contact, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")

TODAY = dt.date(2026, 6, 15)
DATES = ("", "15/03/2026", "2026-01-10", "01/07/2026", "31/02/2026", "bientôt", "20260101")
AMOUNTS = ("", "1 234,50 €", "12,345.67", "-5", "abc", "0", "9999999999999", "€", "1.5 EUR")
CLEAN: dict[str, tuple[str, ...]] = {
    "nom": ("Affaire Alpha", " Bêta  "),
    "date_debut": ("", "2026-01-10", "10/01/2026"),
    "date_fin": ("", "2026-07-01", "10/01/2026"),
    "contact_id": ("", "jean DUPONT", "Zoé"),
    "gestion_par": ("", "commercial ALICE"),
    "etape": ("", "qualification", "NÉGOCIATION"),
    "type": ("", "nouveau", "Recurrent"),
    "famille_article": ("", "logiciel"),
    "notes": ("", "  une note  "),
    "reussite": ("", "60 %", "0"),
    "date_signature": ("", "01/07/2026"),
    "date_cloture": ("", "2026-07-01"),
    "source_id": ("", "S-1"),
}
"""Cells of rows that are mostly valid, beside a compte and a statut with what it needs."""
COMPTES = ("Société Générale", "SOCIETE  generale", "Nouveau SA")
CLOSINGS = (
    {},
    {"statut": "En cours"},
    {"statut": "gagnee", "total_ht": "1 200,00 €"},
    {"statut": "PERDUE", "code_cloture": "prix"},
    {"statut": "abandonnee", "code_cloture": "Concurrent"},
)
CELLS: dict[str, tuple[str, ...]] = {
    "nom": ("Affaire Alpha", "", "   ", " Bêta  ", "x" * 201),
    "date_debut": DATES,
    "date_fin": DATES,
    "compte_id": ("", "Société Générale", "SOCIETE  generale", "Autre Compte", "Nouveau SA"),
    "contact_id": ("", "Jean Dupont", "jean DUPONT", "Marie Curie", "Zoé"),
    "gestion_par": ("", "Commercial Alice", "commercial ALICE", "bob", "Homonyme", "Inconnu", "1"),
    "statut": ("", "En cours", "gagnee", "PERDUE", "Abandonnée", "Fermée"),
    "etape": ("", "qualification", "NÉGOCIATION", "Ancienne étape", "Inventée"),
    "type": ("", "nouveau", "Recurrent", "Autre"),
    "famille_article": ("", "logiciel", "Matériel", "Inconnue"),
    "notes": ("", "  une note  "),
    "ca_potentiel": AMOUNTS,
    "reussite": ("", "60 %", "150", "abc", "33,5", "0"),
    "ca_attendu": AMOUNTS,
    "code_cloture": ("", "prix", "Ancien code", "Inconnu"),
    "date_signature": DATES,
    "total_ht": AMOUNTS,
    "date_cloture": DATES,
    "source_id": ("", "S-1"),
}
PROBLEMS = (
    [],
    [("", "La ligne a plus de cellules que l'en-tête n'a de colonnes.")],
    [("date_fin", "Cellule illisible.")],
)


@functools.cache
def _base(engine: str) -> tuple[Connection, Actor, Actor]:
    """One base per engine for every example: comptes, contacts (one of another compte), users
    (one inactive, two of the same name), an étape and a code no longer offered."""
    con = new_base()
    boss = admin(con)
    societe = make_compte(con, "Société Générale")
    make_contact(con, societe, "Dupont", prenom="Jean")
    make_contact(con, make_compte(con, "Autre Compte"), "Curie", prenom="Marie")
    alice = make_user(con, Role.COMMERCIAL, "Commercial Alice")
    bob = make_user(con, Role.COMMERCIAL, "Bob Retraité")
    update_user(con, boss, bob.id, nom="Bob Retraité", email=None, role="commercial", actif=False)
    make_user(con, Role.COMMERCIAL, "Homonyme")
    make_user(con, Role.COMMERCIAL, "Homonyme")
    save_value(con, boss, "etape", "Ancienne étape", actif=False, ordre=9, reussite_defaut=30)
    save_value(con, boss, "code_cloture", "Ancien code", actif=False, categorie="interne")
    return con, boss, get_actor(con, alice.login)


def _amount(cents: int) -> str:
    """An amount in French (-1 234,56 €)."""
    euros = f"{abs(cents) // 100:,}".replace(",", "\u00a0")
    return f"{'-' if cents < 0 else ''}{euros},{abs(cents) % 100:02d} €"


def _cells(pool: dict[str, tuple[str, ...]], cents: int) -> st.SearchStrategy[dict[str, str]]:
    """Rows of cells drawn from pool, amounts also of any size from -cents to cents."""
    amount = st.integers(-cents if pool is CELLS else 0, cents).map(_amount)
    if pool is CELLS:
        amount = st.one_of(st.sampled_from(AMOUNTS), amount)
    optional: dict[str, st.SearchStrategy[str]] = {
        name: st.sampled_from(texts) for name, texts in pool.items() if name != "nom"
    }
    optional.update({name: amount for name in ("ca_potentiel", "ca_attendu", "total_ht")})
    return st.fixed_dictionaries({"nom": st.sampled_from(pool["nom"])}, optional=optional)


def _rows() -> st.SearchStrategy[list[SourceRow]]:
    clean = st.tuples(
        st.tuples(_cells(CLEAN, 10**10), st.sampled_from(COMPTES), st.sampled_from(CLOSINGS)).map(
            lambda parts: {**parts[0], "compte_id": parts[1], **parts[2]}
        ),
        st.just([]),
    )
    row = st.one_of(clean, st.tuples(_cells(CELLS, 10**15), st.sampled_from(PROBLEMS)))
    return st.lists(row, min_size=1, max_size=12).map(
        lambda drawn: [
            SourceRow(line, dict(values), list(problems))
            for line, (values, problems) in enumerate(drawn, start=2)
        ]
    )


def _each(
    cur: Connection, actor: Actor, rows: list[SourceRow]
) -> list[tuple[Any, list[tuple[str, str]]]]:
    """validate row by row, as the import did before its set validation."""
    names = load_names(cur)
    lookups = import_lookups(cur, names)
    verdicts = []
    for row in rows:
        values, typing = typed_values(row, names)
        aff, found = validate(values, lookups, actor, today=TODAY)
        problems = row_problems(typing, found)
        verdicts.append((None if problems else aff, problems))
    return verdicts


def _as_set(
    cur: Connection, actor: Actor, rows: list[SourceRow]
) -> list[tuple[Any, list[tuple[str, str]]]]:
    report = ImportReport()
    valid, _ = validate_rows(cur, actor, rows, {}, report, None, TODAY)
    affaires = iter(aff for aff, _ in valid)
    by_line: dict[int, list[tuple[str, str]]] = {}
    for error in report.errors:
        by_line.setdefault(error.line, []).append((error.column, error.message))
    return [
        (None, by_line[row.line]) if row.line in by_line else (next(affaires), []) for row in rows
    ]


def _labelled(
    verdicts: list[tuple[Any, list[tuple[str, str]]]],
) -> list[tuple[Any, list[tuple[str, str]]]]:
    return [
        (aff, [(field_label(name, {}) if name else "", m) for name, m in problems])
        for aff, problems in verdicts
    ]


def test_set_validation_gives_validates_verdicts_messages_and_affaires(engine: str) -> None:
    con, boss, alice = _base(engine)
    # PostgreSQL answers each example in a few statements over the network: fewer examples.
    examples = 60 if engine == engines.DUCKDB else 15

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=_rows(), manager=st.booleans())
    def same_verdicts(rows: list[SourceRow], manager: bool) -> None:
        actor = boss if manager else alice
        with transaction(con) as cur:
            expected = _labelled(_each(cur, actor, rows))
            found = _as_set(cur, actor, rows)
        assert found == expected

    same_verdicts()
