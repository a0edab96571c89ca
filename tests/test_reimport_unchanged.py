"""A re-import's rows found unchanged for a whole chunk at once (reimport.unchanged_rows) are
rows that validate, given the stored affaire, would neither refuse nor change: on random rows
mixing each affaire's own values, other values and unreadable ones. And a row that only repeats
its affaire is found unchanged (the check is not vacuous)."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data import history
from crm_data.files.canonical import SourceRow
from crm_data.imports.names import load_names, row_problems, typed_values
from crm_data.imports.reimport import unchanged_rows
from crm_data.model import AFFAIRE_FIELDS, Actor, Affaire
from crm_data.store.db import Connection, transaction
from crm_data.validation import load_lookups, validate
from tests import engines
from tests.files_helpers import varied_base
from tests.test_import_set_validation import CELLS

pytestmark = pytest.mark.usefixtures("engine")

TODAY = dt.date(2026, 6, 15)


@functools.cache
def _base(engine: str) -> tuple[Connection, Actor, list[tuple[Affaire, dict[str, str]]]]:
    """A base of affaires of every statut, each with its fields written as a file would; one
    Gagnée closed on another day than its signature (as an older base may hold)."""
    con, admin = varied_base()
    con.execute(
        """
        UPDATE affaire
        SET date_cloture = date_signature + 1
        WHERE statut = 'Gagnée'
        """
    )
    affaires = [
        Affaire(**dict(zip(("id", *AFFAIRE_FIELDS), row, strict=True)))
        for row in con.execute(
            f"""
            SELECT id, {", ".join(AFFAIRE_FIELDS)}
            FROM affaire
            ORDER BY id
            """
        ).fetchall()
    ]
    return con, admin, [(aff, _as_cells(con, aff)) for aff in affaires]


def _as_cells(con: Connection, aff: Affaire) -> dict[str, str]:
    """The affaire's fields as a file's cells: French dates and amounts, names for links."""

    def name(sql: str, key: int | None) -> str:
        if key is None:
            return ""
        return str(con.execute(sql, {"id": key}).fetchall()[0][0])

    cells: dict[str, str] = {}
    for field in AFFAIRE_FIELDS:
        value = getattr(aff, field)
        if value is None:
            cells[field] = ""
        elif isinstance(value, dt.date):
            cells[field] = value.strftime("%d/%m/%Y")
        elif isinstance(value, Decimal):
            cells[field] = f"{value:.2f}".replace(".", ",")
        else:
            cells[field] = str(value)
    cells["compte_id"] = name("SELECT nom FROM compte WHERE id = $id", aff.compte_id)
    cells["contact_id"] = name(
        "SELECT trim(coalesce(prenom, '') || ' ' || nom) FROM contact WHERE id = $id",
        aff.contact_id,
    )
    cells["gestion_par"] = name("SELECT nom FROM utilisateur WHERE id = $id", aff.gestion_par)
    return cells


def _rows(count: int) -> st.SearchStrategy[list[tuple[int, dict[str, Any]]]]:
    """Rows naming an affaire (by position) with, for each field, no cell, the affaire's own
    value, or one of the set validation test's cells (valid, other, unreadable)."""
    choice = st.sampled_from(["absent", "own", "own", "own", "other"])
    others = {name: st.sampled_from(texts) for name, texts in CELLS.items()}
    row = st.tuples(
        st.integers(0, count - 1),
        st.fixed_dictionaries(
            {name: st.tuples(choice, others.get(name, st.just(""))) for name in AFFAIRE_FIELDS}
        ),
    )
    return st.lists(row, min_size=1, max_size=8)


def _source_rows(
    affaires: list[tuple[Affaire, dict[str, str]]], drawn: list[tuple[int, dict[str, Any]]]
) -> list[tuple[SourceRow, int]]:
    rows = []
    for line, (position, choices) in enumerate(drawn, start=2):
        aff, own = affaires[position]
        values = {
            name: own[name] if how == "own" else other
            for name, (how, other) in choices.items()
            if how != "absent"
        }
        assert aff.id is not None
        rows.append((SourceRow(line, values), aff.id))
    return rows


def _validate_says_unchanged(
    cur: Connection, actor: Actor, rows: list[tuple[SourceRow, int]], olds: dict[int, Affaire]
) -> set[int]:
    """The rows validate neither refuses nor changes, as update_existing calls it."""
    names = load_names(cur)
    lookups = load_lookups(cur)
    known = set(names.comptes.values())
    lookups.compte_exists = lambda i: i < 0 or i in known
    owners = {i: compte for (compte, _), i in names.contacts.items()}
    lookups.contact_compte = lambda i: owners.get(i, names.contact_owner.get(i))
    same = set()
    for index, (row, affaire_id) in enumerate(rows):
        old = olds[affaire_id]
        values, typing = typed_values(row, names)
        new, found = validate(values, lookups, actor, old=old, today=TODAY)
        if not row_problems(typing, found) and not history.changes(old, new):
            same.add(index)
    return same


def test_rows_found_unchanged_are_rows_validate_would_leave_as_they_are(engine: str) -> None:
    con, admin, affaires = _base(engine)
    olds = {aff.id: aff for aff, _ in affaires if aff.id is not None}
    examples = 150 if engine == engines.DUCKDB else 30

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=_rows(len(affaires)))
    def found_within_validate(drawn: list[tuple[int, dict[str, Any]]]) -> None:
        rows = _source_rows(affaires, drawn)
        with transaction(con) as cur:
            found = unchanged_rows(cur, rows, load_lookups(cur))
            expected = _validate_says_unchanged(cur, admin, rows, olds)
        assert found <= expected

    found_within_validate()


def test_a_row_repeating_its_affaire_is_found_unchanged(engine: str) -> None:
    # A base of its own: the cached one is the other test's, dropped at its end on PostgreSQL.
    con, _, affaires = _base.__wrapped__(engine)
    rows = [(SourceRow(n, dict(cells)), aff.id or 0) for n, (aff, cells) in enumerate(affaires)]
    with transaction(con) as cur:
        found = unchanged_rows(cur, rows, load_lookups(cur))
    gagnee = [n for n, (aff, _) in enumerate(affaires) if aff.statut == "Gagnée"]
    assert gagnee
    assert found == set(range(len(rows))) - set(gagnee)
