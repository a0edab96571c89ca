"""Any field values end in a saved affaire or a listed French error: no crash, no half write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data import affaires
from crm_data.model import AFFAIRE_FIELDS, Affaire, ValidationError
from crm_data.store.db import open_base
from tests.factories import admin, make_compte

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

_CON = open_base(":memory:")
_COMPTE = make_compte(_CON, "Compte hypothèse")


def _count() -> int:
    row = _CON.execute("SELECT count(*) FROM affaire").fetchone()
    history = _CON.execute("SELECT count(*) FROM affaire_version").fetchone()
    assert row is not None and history is not None
    return int(row[0]) * 1_000_000 + int(history[0])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(AFFAIRE_FIELDS), ANYTHING, max_size=10))
def test_any_values_end_in_a_saved_affaire_or_a_french_error(values: dict[str, Any]) -> None:
    values = {"nom": "Propriété", "compte_id": _COMPTE} | values
    predicted, problems = affaires.preview(_CON, admin(_CON), values)
    before = _count()
    try:
        affaire_id = affaires.create_affaire(_CON, admin(_CON), values)
    except ValidationError as exc:
        assert exc.errors == problems != []
        assert all(field in AFFAIRE_FIELDS and message for field, message in exc.errors)
        assert _count() == before
        return
    assert problems == []
    saved = affaires.get_affaire(_CON, admin(_CON), affaire_id)
    assert _fields(saved) == _fields(predicted)
    assert saved.nom.strip()
    assert isinstance(saved.date_debut, dt.date)
    assert saved.ca_potentiel is None or saved.ca_potentiel >= Decimal(0)
    assert saved.reussite is None or 0 <= saved.reussite <= 100


def _fields(aff: Affaire) -> dict[str, Any]:
    return {name: getattr(aff, name) for name in AFFAIRE_FIELDS}


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(AFFAIRE_FIELDS), ANYTHING, max_size=6))
def test_any_update_saves_what_validation_predicted_or_changes_nothing(
    values: dict[str, Any],
) -> None:
    affaire_id = affaires.create_affaire(_CON, admin(_CON), {"nom": "Base", "compte_id": _COMPTE})
    opened = affaires.get_affaire(_CON, admin(_CON), affaire_id)
    predicted, problems = affaires.preview(_CON, admin(_CON), values, old=opened)
    before = _count()
    try:
        returned = affaires.update_affaire(_CON, admin(_CON), affaire_id, values, opened.version)
    except ValidationError as exc:
        assert exc.errors == problems
        assert all(field in AFFAIRE_FIELDS and message for field, message in exc.errors)
        assert affaires.get_affaire(_CON, admin(_CON), affaire_id) == opened
        assert _count() == before
        return
    assert problems == []
    saved = affaires.get_affaire(_CON, admin(_CON), affaire_id)
    assert saved == returned
    assert _fields(saved) == _fields(predicted)
    # A save that changes nothing writes nothing: no new version, no history line.
    changed = _fields(saved) != _fields(opened)
    assert saved.version == opened.version + changed
    assert (_count() != before) == changed
