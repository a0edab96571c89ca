"""The affaires list: filters, search as plain text, sort allow-list, pages and totals."""

from __future__ import annotations

import pytest

from crm_data.affaires_list import list_affaires, list_totals
from crm_data.filters import Filters
from crm_data.store.db import Connection
from tests.factories import admin, make_affaire, make_compte, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


def test_filters_combine_and_totals_follow_them(con: Connection) -> None:
    make_affaire(con, nom="A", etape="Négociation", ca_potentiel=1000)
    make_affaire(con, nom="B", etape="Négociation", ca_potentiel=500, type="Récurrent")
    make_affaire(con, nom="C", etape="Qualification", ca_potentiel=100)
    filters = Filters(etapes=["Négociation"], types=["Nouveau"])
    assert list(list_affaires(con, admin(con), filters)["nom"]) == ["A"]
    totals = list_totals(con, admin(con), Filters(etapes=["Négociation"]))
    assert (totals.nombre, totals.ca_potentiel, totals.ca_pondere) == (2, 1500.0, 1200.0)


@pytest.mark.parametrize("text", ["'; DROP TABLE affaire; --", "100%", "a_b", "\\", "<script>"])
def test_search_is_plain_text(con: Connection, text: str) -> None:
    make_affaire(con, nom=f"Offre {text} spéciale")
    make_affaire(con, nom="Offre 1000 axb")
    found = list_affaires(con, admin(con), Filters(search=text))
    assert list(found["nom"]) == [f"Offre {text} spéciale"]


def test_search_finds_compte_and_contact_names(con: Connection) -> None:
    make_affaire(con, nom="Sans rapport", compte_id=make_compte(con, "Boulangeries Martin"))
    assert len(list_affaires(con, admin(con), Filters(search="boulangeries"))) == 1


def test_unknown_sort_key_falls_back_instead_of_reaching_sql(con: Connection) -> None:
    make_affaire(con)
    frame = list_affaires(con, admin(con), Filters(), sort="nom; DROP TABLE affaire")
    assert len(frame) == 1


def test_pages_cover_every_row_once(con: Connection) -> None:
    compte_id = make_compte(con)
    for i in range(7):
        make_affaire(con, nom=f"N{i}", compte_id=compte_id)
    seen = [
        name
        for offset in range(0, 7, 3)
        for name in list_affaires(
            con, admin(con), Filters(), sort="nom", descending=False, limit=3, offset=offset
        )["nom"]
    ]
    assert seen == [f"N{i}" for i in range(7)]


def test_commercial_lists_only_their_own(con: Connection) -> None:
    alice, bob = make_user(con), make_user(con)
    make_affaire(con, alice, nom="Alice")
    make_affaire(con, bob, nom="Bob")
    assert list(list_affaires(con, alice, Filters())["nom"]) == ["Alice"]
    assert list_totals(con, alice, Filters()).nombre == 1
    assert list_totals(con, admin(con), Filters()).nombre == 2
