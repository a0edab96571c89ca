"""A lone surrogate (not valid Unicode, refused by DuckDB) typed anywhere becomes U+FFFD: the
user's text is stored or searched, never a raw InvalidInputException."""

from __future__ import annotations

import dataclasses

import pytest

from crm_data import affaires
from crm_data.affaires_list import list_affaires
from crm_data.filters import Filters
from tests.factories import admin, make_affaire, make_compte, new_base

pytestmark = pytest.mark.usefixtures("engine")

LIST_FILTERS = ["statuts", "etapes", "types", "familles", "codes_cloture"]


def test_a_lone_surrogate_in_a_name_is_saved_by_create_affaire() -> None:
    con = new_base()
    affaire_id = affaires.create_affaire(
        con, admin(con), {"nom": "Devis \ud83d", "compte_id": make_compte(con)}
    )
    assert affaires.get_affaire(con, admin(con), affaire_id).nom == "Devis \ufffd"


def test_a_lone_surrogate_in_the_search_finds_what_was_stored() -> None:
    con = new_base()
    affaire_id = make_affaire(con, nom="Devis \ud83d")
    found = list_affaires(con, admin(con), Filters(search="devis \udc00"))
    assert found["id"].tolist() == [affaire_id]


@pytest.mark.parametrize("name", LIST_FILTERS)
def test_a_lone_surrogate_in_a_list_filter_matches_nothing(name: str) -> None:
    con = new_base()
    make_affaire(con)
    filters = dataclasses.replace(Filters(), **{name: ["\ud800"]})
    assert list_affaires(con, admin(con), filters).empty
