"""The Affaires list opened by a click, left by the sidebar or « ← Retour à la liste », its
default columns, the board (sums equal the list's, a stale move refused, Relancer), and the
dormant affaires of Mes actions."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm_data import actions, affaires
from crm_data.affaires_list import list_totals
from crm_data.filters import Filters
from crm_data.model import Role
from crm_data.store import db
from crm_ui import formatting
from tests.factories import admin, make_affaire, make_compte, make_contact, make_user
from tests.pages import run_app, texts, widget

LIST = "app_pages/affaires.py"


def base(path: Path) -> db.Connection:
    return db.shared_connection(path)


def click_cell(at: AppTest, row: int, column: str) -> AppTest:
    key = next(str(d.key) for d in at.dataframe if str(d.key).startswith("affaires_table"))
    at.session_state[key] = {"selection": {"rows": [], "columns": [], "cells": [[row, column]]}}
    return at.run()


def on_record(at: AppTest, affaire_id: int) -> bool:
    return any(f"Affaire n° {affaire_id}" in str(s.value) for s in at.subheader)


def age(con: db.Connection, affaire_id: int, days: int) -> None:
    """Make an affaire look last saved days ago (dormancy is measured from the last save)."""
    con.execute(
        "UPDATE affaire SET updated_at = now() - to_days(CAST($d AS INTEGER)) WHERE id = $id",
        {"d": days, "id": affaire_id},
    )


def test_clicking_a_name_opens_the_record(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    make_affaire(con, nom="Autre")
    aid = make_affaire(con, nom="Parc serveurs")
    at = click_cell(run_app(), 0, "nom")
    assert not at.exception, at.exception
    assert on_record(at, aid)
    assert widget(at, f"fiche.{aid}.nom").value == "Parc serveurs"


def test_the_sidebar_affaires_leaves_the_record_for_the_list(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Parc serveurs")
    at = run_app(affaire=str(aid))
    assert on_record(at, aid)
    at.switch_page(LIST).run()  # what the sidebar's « Affaires » does (the query string kept)
    assert not at.exception, at.exception
    assert not on_record(at, aid)
    assert "affaire" not in at.query_params
    assert any(str(t.value) == "Affaires" for t in at.title)


def test_a_deep_link_still_opens_the_record_after_leaving_another(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    first = make_affaire(con, nom="Première")
    second = make_affaire(con, nom="Seconde")
    at = run_app(affaire=str(first))
    at.switch_page(LIST).run()
    at.query_params["affaire"] = str(second)
    at.run()
    assert on_record(at, second)


def test_retour_a_la_liste_leaves_the_record(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Parc serveurs")
    at = run_app(affaire=str(aid))
    widget(at, "fiche_back").click().run()
    assert not at.exception, at.exception
    assert not on_record(at, aid)
    assert "affaire" not in at.query_params


def test_the_list_shows_the_scanned_columns_and_a_chooser_adds_others(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    make_affaire(con, nom="Parc serveurs")
    at = run_app()
    shown = list(at.dataframe[0].value.columns)
    assert shown == [
        "id",
        "alerte",
        "nom",
        "compte",
        "etape",
        "statut",
        "ca_potentiel",
        "reussite",
        "date_fin",
        "gestion_par",
    ]
    widget(at, "affaires_columns").select("total_ht").run()
    assert "total_ht" in list(at.dataframe[0].value.columns)


def board_app(view: str = "Tableau") -> AppTest:
    at = run_app()
    at.session_state["affaires_view"] = view
    return at.run()


def test_the_board_sums_equal_the_list(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    compte = make_compte(con, "Acme")
    for etape, amount, rate in [
        ("Qualification", "1000.01", 10),
        ("Qualification", "3.01", 50),
        ("Négociation", "2500", 80),
    ]:
        make_affaire(con, compte_id=compte, etape=etape, ca_potentiel=amount, reussite=rate)
    at = board_app()
    assert not at.exception, at.exception
    heads = texts(at, "caption")
    for etape in ("Qualification", "Analyse des besoins", "Négociation"):
        totals = list_totals(con, admin(con), Filters(etapes=[etape], statuts=["En cours"]))
        expected = (
            f"CA potentiel {formatting.euro(totals.ca_potentiel, 0)}  \n"
            f"CA pondéré {formatting.euro(totals.ca_pondere, 0)}"
        )
        assert expected in heads, (etape, heads)
        assert f"**{etape}** · {totals.nombre}" in texts(at, "markdown")


def test_a_card_move_saves_the_etape(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Parc")
    at = board_app()
    widget(at, f"board_next_{aid}").click().run()
    assert not at.exception, at.exception
    assert affaires.get_affaire(con, admin(con), aid).etape == "Analyse des besoins"


def test_a_stale_card_move_gets_the_conflict_message(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Parc")
    at = board_app()
    other = make_user(con, Role.MANAGER, nom="Claire Martin")
    # Saved after the board was drawn, the card staying in its column.
    affaires.update_affaire(con, other, aid, {"ca_potentiel": "5000"}, 1)
    widget(at, f"board_next_{aid}").click().run()
    assert not at.exception, at.exception
    assert any("Claire Martin a enregistré cette fiche" in e for e in texts(at, "error")), texts(
        at, "error"
    )
    assert affaires.get_affaire(con, admin(con), aid).etape == "Qualification"


def test_relancer_on_a_dormant_card_creates_a_relance(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Oubliée")
    age(con, aid, 30)
    at = board_app()
    widget(at, f"board_relance_{aid}").click().run()
    assert not at.exception, at.exception
    assert actions.dormant_affaires(con, admin(con)).empty
    assert list(actions.actions_of_affaire(con, admin(con), aid)["type"]) == ["Relance"]


def test_mes_actions_shows_a_newcomer_the_team_dormant_affaires(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    seller = make_user(con, Role.COMMERCIAL)
    aid = make_affaire(con, seller, nom="Chez le commercial")
    age(con, aid, 30)
    at = run_app("app_pages/mes_actions.py")
    assert any("Affaires dormantes de l'équipe" in s for s in texts(at, "subheader"))
    assert any("Chez le commercial" in m for m in texts(at, "markdown"))
    widget(at, f"mes_actions.relance.{aid}").click().run()
    assert not at.exception, at.exception
    assert list(actions.actions_of_affaire(con, admin(con), aid)["type"]) == ["Relance"]


def test_empty_cells_are_blank_in_contacts_and_a_comptes_tables(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    compte = make_compte(con, "Acme")
    make_contact(con, compte, nom="Durand")  # no prénom, fonction, e-mail or téléphone
    make_affaire(con, compte_id=compte, nom="Sans montant")
    at = run_app("app_pages/contacts.py")
    contacts_shown = at.dataframe[0].value
    assert contacts_shown["fonction"].tolist() == [""]
    assert contacts_shown["email"].tolist() == [""]
    at = run_app("app_pages/comptes.py", compte=str(compte))
    for table in at.dataframe:
        frame = table.value
        text_columns = [c for c in frame.columns if frame[c].dtype == object]
        assert not frame[text_columns].isna().any().any(), frame
    affaires_shown = at.dataframe[-1].value
    assert affaires_shown["total_ht"].isna().all()  # a number column: blank in the grid


def test_the_board_says_it_shows_open_affaires_when_the_statut_filter_excludes_them(
    _isolated_base: Path,
) -> None:
    con = base(_isolated_base)
    make_affaire(con, nom="Parc")
    at = run_app()
    widget(at, "affaires_statuts").select("Perdue").run()
    at.session_state["affaires_view"] = "Tableau"
    at.run()
    assert any("affaires en cours" in i for i in texts(at, "info"))
