"""Any field values end in a saved affaire or a listed French error: no crash, no half write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data import affaires
from crm_data.model import AFFAIRE_FIELDS, Affaire, ValidationError
from crm_data.store.db import Connection
from tests.factories import admin, make_compte, new_base

ANYTHING = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(
        [
            "En cours",
            "Gagnée",
            "Perdue",
            "Abandonnée",
            "Prix",
            "Négociation",
            "1",
            "2026-01-01",
            "-1",
        ]
    ),
)

pytestmark = pytest.mark.usefixtures("engine")

# Hypothesis runs every example of a test on the test's one base: each example compares counts
# before and after itself, so what earlier examples saved does not matter.
ONE_BASE = HealthCheck.function_scoped_fixture


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


@pytest.fixture
def compte(con: Connection) -> int:
    return make_compte(con, "Compte hypothèse")


def _count(con: Connection) -> int:
    row = con.execute("SELECT count(*) FROM affaire").fetchone()
    history = con.execute("SELECT count(*) FROM affaire_version").fetchone()
    assert row is not None and history is not None
    return int(row[0]) * 1_000_000 + int(history[0])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, ONE_BASE])
@given(st.dictionaries(st.sampled_from(AFFAIRE_FIELDS), ANYTHING, max_size=10))
def test_any_values_end_in_a_saved_affaire_or_a_french_error(
    con: Connection, compte: int, values: dict[str, Any]
) -> None:
    values = {"nom": "Propriété", "compte_id": compte} | values
    predicted, problems = affaires.preview(con, admin(con), values)
    before = _count(con)
    try:
        affaire_id = affaires.create_affaire(con, admin(con), values)
    except ValidationError as exc:
        assert exc.errors == problems != []
        assert all(field in AFFAIRE_FIELDS and message for field, message in exc.errors)
        assert _count(con) == before
        return
    assert problems == []
    saved = affaires.get_affaire(con, admin(con), affaire_id)
    assert _fields(saved) == _fields(predicted)
    assert saved.nom.strip()
    assert isinstance(saved.date_debut, dt.date)
    assert saved.ca_potentiel is None or saved.ca_potentiel >= Decimal(0)
    assert saved.reussite is None or 0 <= saved.reussite <= 100


def _fields(aff: Affaire) -> dict[str, Any]:
    return {name: getattr(aff, name) for name in AFFAIRE_FIELDS}


@settings(max_examples=100, deadline=None, suppress_health_check=[ONE_BASE])
@given(st.dictionaries(st.sampled_from(AFFAIRE_FIELDS), ANYTHING, max_size=6))
def test_any_update_saves_what_validation_predicted_or_changes_nothing(
    con: Connection, compte: int, values: dict[str, Any]
) -> None:
    affaire_id = affaires.create_affaire(con, admin(con), {"nom": "Base", "compte_id": compte})
    opened = affaires.get_affaire(con, admin(con), affaire_id)
    predicted, problems = affaires.preview(con, admin(con), values, old=opened)
    before = _count(con)
    try:
        returned = affaires.update_affaire(con, admin(con), affaire_id, values, opened.version)
    except ValidationError as exc:
        assert exc.errors == problems
        assert all(field in AFFAIRE_FIELDS and message for field, message in exc.errors)
        assert affaires.get_affaire(con, admin(con), affaire_id) == opened
        assert _count(con) == before
        return
    assert problems == []
    saved = affaires.get_affaire(con, admin(con), affaire_id)
    assert saved == returned
    assert _fields(saved) == _fields(predicted)
    # A save that changes nothing writes nothing: no new version, no history line.
    changed = _fields(saved) != _fields(opened)
    assert saved.version == opened.version + changed
    assert (_count(con) != before) == changed
