"""SPEC §1 réussite: it follows the étape unless typed by hand, 100 when Gagnée, 0 when Perdue or
Abandonnée, on every write path (API, import, re-import), and `60 %` reads as 60."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_data import affaires
from crm_data.files.canonical import read_canonical_bytes
from crm_data.imports.canonical import import_rows
from crm_data.model import ValidationError
from crm_data.money import parse_percent
from crm_data.store.db import Connection
from tests.factories import admin, make_affaire, make_compte, new_base
from tests.files_helpers import csv_bytes

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


def _update(con: Connection, affaire_id: int, **values: Any) -> int | None:
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    return affaires.update_affaire(con, admin(con), affaire_id, values, aff.version).reussite


def test_a_default_reussite_follows_the_new_etape(con: Connection) -> None:
    affaire_id = make_affaire(con, etape="Qualification")
    assert _update(con, affaire_id, etape="Proposition commerciale") == 60


def test_a_caller_resending_the_old_default_still_follows_the_etape(con: Connection) -> None:
    # A client that posts every field back unchanged but the étape has not typed the réussite.
    affaire_id = make_affaire(con, etape="Qualification")
    assert _update(con, affaire_id, etape="Négociation", reussite=20) == 80


def test_a_hand_typed_reussite_stays_when_the_etape_changes(con: Connection) -> None:
    affaire_id = make_affaire(con, etape="Qualification", reussite=35)
    assert _update(con, affaire_id, etape="Proposition commerciale") == 35


def test_a_reussite_typed_in_the_same_save_as_the_etape_wins(con: Connection) -> None:
    affaire_id = make_affaire(con, etape="Qualification")
    assert _update(con, affaire_id, etape="Négociation", reussite=55) == 55


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"statut": "Gagnée", "total_ht": 100}, 100),
        ({"statut": "Perdue", "code_cloture": "Prix"}, 0),
        ({"statut": "Abandonnée"}, 0),
    ],
)
def test_closing_fixes_the_reussite(con: Connection, values: dict[str, Any], expected: int) -> None:
    affaire_id = make_affaire(con, etape="Négociation", reussite=65)
    assert _update(con, affaire_id, **values, reussite=65) == expected


def test_a_closed_affaire_is_created_with_its_fixed_reussite(con: Connection) -> None:
    values = {"nom": "ERP", "compte_id": make_compte(con), "statut": "Gagnée", "total_ht": 10}
    affaire_id = affaires.create_affaire(con, admin(con), values | {"reussite": 40})
    assert affaires.get_affaire(con, admin(con), affaire_id).reussite == 100


def test_reopening_a_lost_affaire_takes_its_etape_default(con: Connection) -> None:
    affaire_id = make_affaire(con, etape="Analyse des besoins")
    _update(con, affaire_id, statut="Perdue", code_cloture="Prix")
    assert _update(con, affaire_id, statut="En cours") == 40


def test_an_out_of_bounds_reussite_on_a_closing_is_refused_not_replaced(con: Connection) -> None:
    affaire_id = make_affaire(con)
    with pytest.raises(ValidationError) as caught:
        _update(con, affaire_id, statut="Abandonnée", reussite=150)
    assert caught.value.errors == [("reussite", "La réussite est un pourcentage de 0 à 100.")]


def test_an_imported_won_affaire_gets_100_whatever_its_file_says(con: Connection) -> None:
    make_compte(con, "Client")
    line = "Import;2026-01-05;;Client;;;Gagnée;Négociation;Nouveau;;;10;70 %;;;2026-02-01;10;"
    source = read_canonical_bytes(csv_bytes(line), "f.csv")
    report = import_rows(con, admin(con), source.rows, headers=source.headers)
    assert report.errors == []
    assert affaires.get_affaire(con, admin(con), report.affaire_ids[0]).reussite == 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [("60", 60), ("60 %", 60), ("60\u00a0%", 60), (" 60,0 % ", 60), (60, 60), ("", None)],
)
def test_parse_percent_reads_the_typed_forms(value: object, expected: int | None) -> None:
    assert parse_percent(value) == expected


@pytest.mark.parametrize("value", ["soixante", "12,5 %", "%", True, float("nan")])
def test_parse_percent_refuses_non_percentages_in_french(value: object) -> None:
    with pytest.raises(ValueError, match="Réussite invalide"):
        parse_percent(value)


def test_reussite_typed_with_a_percent_sign_is_saved(con: Connection) -> None:
    values = {"nom": "ERP", "compte_id": make_compte(con), "reussite": "45 %"}
    affaire_id = affaires.create_affaire(con, admin(con), values)
    assert affaires.get_affaire(con, admin(con), affaire_id).reussite == 45


@given(st.text(max_size=30))
def test_parse_percent_gives_a_whole_number_or_a_french_error(text: str) -> None:
    try:
        value = parse_percent(text)
    except ValueError as exc:
        assert str(exc).startswith("Réussite invalide")
        return
    assert value is None or isinstance(value, int)
