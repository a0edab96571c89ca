"""The affaires list at its edges: half-cent weighted amounts, affaires without famille, users
sharing a name, and the filters described in French for banners and export sheets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm_data.affaires_list import list_affaires, list_totals
from crm_data.filters import Filters
from crm_data.users import user_labels
from tests.analyses_factory import new_affaire, new_base, new_named_user

pytestmark = pytest.mark.usefixtures("engine")


def test_list_totals_weigh_half_cents_exactly_and_round_half_up_once() -> None:
    con, admin = new_base()
    new_affaire(con, ca_potentiel=3.01, reussite=50)
    for _ in range(3):
        new_affaire(con, ca_potentiel=0.67, reussite=50)
    totals = list_totals(con, admin, Filters())
    # 1.505 + 3 × 0.335 = 2.51 exactly; rounding each affaire first would give 2.53.
    assert totals.ca_pondere == Decimal("2.51")
    assert totals.ca_potentiel == Decimal("5.02")


def test_list_totals_round_a_single_half_cent_up() -> None:
    con, admin = new_base()
    new_affaire(con, ca_potentiel=3.01, reussite=50)
    assert list_totals(con, admin, Filters()).ca_pondere == Decimal("1.51")


def test_a_list_row_weighs_its_half_cent_up() -> None:
    con, admin = new_base()
    new_affaire(con, ca_potentiel=3.01, reussite=50)
    assert list_affaires(con, admin, Filters())["ca_pondere"].tolist() == [1.51]


def test_sans_famille_lists_only_the_affaires_without_famille() -> None:
    con, admin = new_base()
    new_affaire(con, nom="Sans", famille_article=None)
    new_affaire(con, nom="Logiciel", famille_article="Logiciel")
    new_affaire(con, nom="Matériel", famille_article="Matériel")
    only = list_affaires(con, admin, Filters(sans_famille=True))
    assert only["nom"].tolist() == ["Sans"]
    both = Filters(sans_famille=True, familles=["Logiciel"])
    assert sorted(list_affaires(con, admin, both)["nom"]) == ["Logiciel", "Sans"]
    assert list_totals(con, admin, both).nombre == 2


def test_users_sharing_a_name_are_told_apart_by_their_login_in_the_list() -> None:
    con, admin = new_base()
    first = new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    new_affaire(con, gestion_par=first.id)
    new_affaire(con, gestion_par=second.id)
    shown = list_affaires(con, admin, Filters(), sort="id", descending=False)
    assert shown["gestion_par"].tolist() == ["Martin Dupont (mdupont)", "Martin Dupont (mdupont2)"]
    assert user_labels(con)[1] == "Administrateur local"


def test_filters_are_described_with_french_labels_and_user_names() -> None:
    con, _ = new_base()
    first = new_named_user(con, "mdupont", "Martin Dupont")
    filters = Filters(
        gestion_par=[first.id],
        cloture_du=dt.date(2026, 1, 1),
        sans_famille=True,
        codes_cloture=["Prix"],
    )
    assert filters.describe(user_labels(con)) == {
        "Gestion par": "Martin Dupont",
        "Sans famille d'article": "oui",
        "Code clôture": "Prix",
        "Clôturée à partir du": "01/01/2026",
    }
    assert filters.describe(only=("cloture_du",)) == {"Clôturée à partir du": "01/01/2026"}
