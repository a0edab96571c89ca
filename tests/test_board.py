"""The board's data: per-étape figures over every matching open affaire, capped cards, late and
dormant marks, a card move saved as a normal change, and the relance of a dormant affaire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm_data import actions, history
from crm_data.affaires_list import list_affaires, list_totals
from crm_data.board import board, board_filters, move_card
from crm_data.filters import Filters
from crm_data.model import ConflictError, Role
from tests.factories import admin, make_affaire, make_compte, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")

FUTURE = dt.date.today() + dt.timedelta(days=60)


def test_column_sums_equal_the_list_totals_of_the_same_filters() -> None:
    con = new_base()
    compte = make_compte(con, "Acme")
    for i, (etape, amount, rate) in enumerate(
        [
            ("Qualification", "1000.01", 10),
            ("Qualification", "3.01", 50),
            ("Négociation", "2500", 80),
            ("Négociation", None, 80),
        ]
    ):
        make_affaire(
            con, nom=f"A{i}", compte_id=compte, etape=etape, ca_potentiel=amount, reussite=rate
        )
    make_affaire(
        con,
        nom="Gagnée",
        compte_id=compte,
        statut="Gagnée",
        date_debut="2026-01-01",
        date_signature="2026-01-02",
        total_ht="900",
    )
    columns = board(con, admin(con), Filters())
    assert [c.etape for c in columns] == [
        "Qualification",
        "Analyse des besoins",
        "Proposition commerciale",
        "Négociation",
    ]
    totals = list_totals(con, admin(con), board_filters(Filters()))
    assert sum(c.nombre for c in columns) == totals.nombre == 4
    assert sum(c.ca_potentiel for c in columns) == totals.ca_potentiel
    assert sum(c.ca_pondere for c in columns) == totals.ca_pondere
    by_etape = {c.etape: c for c in columns}
    assert by_etape["Qualification"].ca_pondere == Decimal(
        "101.51"
    )  # 100.001 + 1.505, rounded once
    assert by_etape["Analyse des besoins"].nombre == 0
    assert by_etape["Analyse des besoins"].cards.empty


def test_cards_are_capped_but_the_figures_cover_every_affaire() -> None:
    con = new_base()
    compte = make_compte(con)
    for i in range(7):
        make_affaire(
            con,
            nom=f"A{i}",
            compte_id=compte,
            ca_potentiel="100",
            date_debut="2025-01-01",
            date_fin=f"2026-0{i + 1}-01",
        )
    first = board(con, admin(con), Filters(), cards_per_column=3)[0]
    assert first.nombre == 7
    assert first.ca_potentiel == Decimal("700.00")
    assert list(first.cards["nom"]) == ["A0", "A1", "A2"]  # soonest date fin first


def test_the_board_takes_the_list_filters_and_rights() -> None:
    con = new_base()
    seller = make_user(con, Role.COMMERCIAL)
    make_affaire(con, seller, nom="Serveurs Lyon")
    make_affaire(con, seller, nom="Imprimantes")
    make_affaire(con, nom="Serveurs Paris")
    assert sum(c.nombre for c in board(con, admin(con), Filters(search="serveurs"))) == 2
    assert sum(c.nombre for c in board(con, seller, Filters(search="serveurs"))) == 1


def test_late_and_dormant_cards_are_marked() -> None:
    con = new_base()
    make_affaire(
        con, nom="En retard", date_debut="2019-01-01", date_fin="2020-01-01", etape="Négociation"
    )
    make_affaire(con, nom="À jour", date_fin=str(FUTURE + dt.timedelta(days=30)))
    today = {c.etape: c for c in board(con, admin(con), Filters())}
    late = today["Négociation"].cards.iloc[0]
    assert bool(late["en_retard"]) and not bool(late["dormante"])
    later = {c.etape: c for c in board(con, admin(con), Filters(), today=FUTURE)}
    assert bool(later["Négociation"].cards.iloc[0]["dormante"])  # 60 days > 14
    assert bool(later["Qualification"].cards.iloc[0]["dormante"])
    page = list_affaires(con, admin(con), Filters(), sort="nom", descending=False, today=FUTURE)
    assert list(page["dormante"]) == [True, True]
    assert list(page["en_retard"]) == [True, False]  # « En retard », then « À jour »


def test_a_card_move_is_a_normal_save_with_history() -> None:
    con = new_base()
    aid = make_affaire(con, nom="Parc")
    saved = move_card(con, admin(con), aid, "Proposition commerciale", 1)
    assert saved.etape == "Proposition commerciale"
    assert saved.version == 2
    changes = history.affaire_history(con, admin(con), aid)
    assert "Étape" in set(changes["champ"])


def test_a_stale_card_move_is_refused() -> None:
    con = new_base()
    aid = make_affaire(con, nom="Parc")
    move_card(con, admin(con), aid, "Négociation", 1)
    with pytest.raises(ConflictError):
        move_card(con, admin(con), aid, "Analyse des besoins", 1)


def test_relancer_creates_a_relance_and_the_affaire_leaves_the_dormant_list() -> None:
    con = new_base()
    me = admin(con)
    aid = make_affaire(con, nom="Dormante")
    assert list(actions.dormant_affaires(con, me, today=FUTURE)["id"]) == [aid]
    action_id = actions.create_relance(con, me, aid, today=FUTURE)
    action = actions.get_action(con, me, action_id)
    assert action["type"] == "Relance"
    assert action["echeance"] == FUTURE
    assert not action["fait"]
    assert actions.dormant_affaires(con, me, today=FUTURE).empty


def test_dormant_affaires_of_the_team_for_those_who_see_everything() -> None:
    con = new_base()
    seller = make_user(con, Role.COMMERCIAL)
    aid = make_affaire(con, seller, nom="Chez le commercial")
    assert actions.dormant_affaires(con, admin(con), today=FUTURE).empty
    assert list(actions.dormant_affaires(con, admin(con), everyone=True, today=FUTURE)["id"]) == [
        aid
    ]
    assert actions.dormant_affaires(con, seller, everyone=True, today=dt.date.today()).empty
