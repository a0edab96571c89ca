"""The Fiche compte and Fiche contact pages: opened from their list or a link, left by
« ← Retour à la liste » or the sidebar; a compte's too long name refused in French and kept;
the Fiche affaire's dormancy banner with « Relancer »; the list's « Reports de date fin »."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm_data import actions, affaires
from crm_data.store import db
from tests.factories import admin, make_affaire, make_compte, make_contact
from tests.pages import run_app, select_row, texts, widget

COMPTES = "app_pages/comptes.py"
CONTACTS = "app_pages/contacts.py"
FICHE_COMPTE = "app_pages/fiche_compte.py"
# AppTest reruns the page last given to at.switch_page: a test that acts on a record opens the
# record's page itself (in a browser, the URL names the page the script switched to).


def titles(at: AppTest) -> list[str]:
    return [str(t.value) for t in at.title] + [str(s.value) for s in at.subheader]


@pytest.mark.parametrize(
    ("list_page", "param", "list_title", "record_title"),
    [(COMPTES, "compte", "Comptes", "Garage Leroy"), (CONTACTS, "contact", "Contacts", "Leroy")],
)
def test_the_sidebar_entry_leaves_the_record_for_the_list(
    _isolated_base: Path, list_page: str, param: str, list_title: str, record_title: str
) -> None:
    con = db.shared_connection(_isolated_base)
    compte = make_compte(con, "Garage Leroy")
    make_contact(con, compte, "Leroy")
    at = select_row(run_app(list_page), f"{param}s_table", 0)
    assert record_title in titles(at)
    assert list_title not in titles(at)
    at.switch_page(list_page).run()  # what the sidebar's entry does (the query string kept)
    assert not at.exception, at.exception
    assert list_title in titles(at)
    assert param not in at.query_params


@pytest.mark.parametrize(
    ("list_page", "param", "list_title"),
    [(COMPTES, "compte", "Comptes"), (CONTACTS, "contact", "Contacts")],
)
def test_retour_a_la_liste_leaves_a_deep_linked_record(
    _isolated_base: Path, list_page: str, param: str, list_title: str
) -> None:
    con = db.shared_connection(_isolated_base)
    compte = make_compte(con, "Garage Leroy")
    record = compte if param == "compte" else make_contact(con, compte, "Leroy")
    at = run_app(list_page, **{param: str(record)})
    assert list_title not in titles(at)
    widget(at, f"fiche_{param}_back").click().run()
    assert not at.exception, at.exception
    assert list_title in titles(at)
    assert param not in at.query_params


def test_a_too_long_compte_name_is_refused_in_french_and_kept(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    compte = make_compte(con, "Garage Leroy")
    at = run_app(FICHE_COMPTE, compte=str(compte))
    long_name = "N" * 201
    widget(at, f"compte.{compte}.nom").input(long_name)
    at.button(key=f"FormSubmitter:compte.{compte}.form-Enregistrer le compte").click().run()
    assert "200 caractères au plus." in texts(at, "error")
    assert widget(at, f"compte.{compte}.nom").value == long_name
    assert "Garage Leroy" in titles(at)


def test_a_dormant_affaire_shows_since_when_and_relancer_plans_a_relance(
    _isolated_base: Path,
) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con, nom="Oubliée")
    con.execute(
        "UPDATE affaire SET updated_at = now() - INTERVAL 30 DAY WHERE id = $id", {"id": aid}
    )
    at = run_app(affaire=str(aid))
    assert "Affaire dormante depuis 30 jours." in texts(at, "warning")
    widget(at, f"fiche_relance.{aid}").click().run()
    assert not at.exception, at.exception
    assert list(actions.actions_of_affaire(con, admin(con), aid)["type"]) == ["Relance"]
    assert not any("dormante" in w for w in texts(at, "warning"))


def test_a_recent_affaire_has_no_dormancy_banner(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con, nom="Récente")
    at = run_app(affaire=str(aid))
    assert not any("dormante" in w for w in texts(at, "warning"))


def test_the_list_shows_and_sorts_by_reports_of_date_fin(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    pushed = make_affaire(con, nom="Repoussée", date_fin="2030-01-01")
    make_affaire(con, nom="Tenue", date_fin="2030-01-01")
    version = affaires.get_affaire(con, admin(con), pushed).version
    affaires.update_affaire(con, admin(con), pushed, {"date_fin": "2030-06-01"}, version)
    at = run_app()
    assert "reports" not in at.dataframe[0].value.columns
    widget(at, "affaires_columns").select("reports").run()
    widget(at, "affaires_sort").select("reports").run()
    shown = at.dataframe[0].value
    assert shown["nom"].tolist() == ["Repoussée", "Tenue"]
    assert shown["reports"].tolist() == [1, 0]
    widget(at, "affaires_desc").set_value(False).run()
    assert at.dataframe[0].value["nom"].tolist() == ["Tenue", "Repoussée"]
