"""Mes actions and Paramètres through dashboard.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm_data import actions, affaires, referentiels
from crm_data.model import Role
from crm_data.store import db
from tests.factories import admin, make_affaire, make_user
from tests.pages import DASHBOARD, run_app, select_row, texts, widget

MES_ACTIONS = "app_pages/mes_actions.py"
PARAMETRES = "app_pages/parametres.py"


def test_my_actions_are_grouped_by_due_date(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    me = admin(con)
    aid = make_affaire(con, nom="Suivi")
    today = dt.date.today()
    for objet, days in (("Retard", -2), ("Jour", 0), ("Bientôt", 3), ("Lointain", 60)):
        actions.create_action(
            con, me, aid, {"type": "Tâche", "objet": objet, "echeance": today + dt.timedelta(days)}
        )
    at = run_app(MES_ACTIONS)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"En retard": "1", "Aujourd'hui": "1", "À venir": "1"}
    assert not any("Lointain" in m.value for m in at.markdown)
    assert len(at.get("page_link")) == 3


def test_marking_an_action_done_from_my_actions(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    action_id = actions.create_action(
        con, admin(con), aid, {"type": "Mail", "objet": "Envoyer", "echeance": dt.date.today()}
    )
    at = run_app(MES_ACTIONS)
    widget(at, f"mes_actions.done.{action_id}").click().run()
    assert bool(actions.get_action(con, admin(con), action_id)["fait"])
    assert any("Aucune action" in i for i in texts(at, "info"))


def test_adding_an_etape(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    at = run_app(PARAMETRES)
    key = "ref.etape.new."
    widget(at, key + "nom").input("Closing")
    widget(at, key + "reussite_defaut").set_value(90)
    at.button(key="FormSubmitter:" + key + "form-Ajouter").click().run()
    etapes = {e.nom: e for e in referentiels.list_etapes(con)}
    assert etapes["Closing"].reussite_defaut == 90
    assert etapes["Closing"].ordre == 5


def test_renaming_a_famille_keeps_its_affaires(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con, famille_article="Logiciel")
    at = run_app(PARAMETRES)
    names = referentiels.names(con, "famille_article", active_only=False)
    at = select_row(at, "ref.famille_article.table", names.index("Logiciel"))
    key = "ref.famille_article.Logiciel."
    widget(at, key + "nom").input("Logiciels SaaS")
    at.button(key="FormSubmitter:" + key + "form-Enregistrer").click().run()
    assert affaires.get_affaire(con, admin(con), aid).famille_article == "Logiciels SaaS"


def test_deleting_a_value_in_use_is_refused(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    make_affaire(con, famille_article="Matériel")
    at = run_app(PARAMETRES)
    names = referentiels.names(con, "famille_article", active_only=False)
    at = select_row(at, "ref.famille_article.table", names.index("Matériel"))
    widget(at, "ref.famille_article.Matériel.delete").click().run()
    assert any("désactivez-le" in e for e in texts(at, "error"))
    assert "Matériel" in referentiels.names(con, "famille_article", active_only=False)


def test_parametres_are_refused_to_a_commercial(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    seller = make_user(con, Role.COMMERCIAL)
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.session_state["actor"] = seller
    at.run()
    at.switch_page(PARAMETRES).run()
    assert any("Accès refusé" in text for text in texts(at, "error"))


def test_an_admin_sets_an_etapes_days_without_activity(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    at = run_app(PARAMETRES)
    select_row(at, "ref.etape.table", 1)
    key = "ref.etape.Analyse des besoins."
    assert widget(at, key + "jours_sans_activite").value == 21
    widget(at, key + "jours_sans_activite").set_value(45)
    at.button(key="FormSubmitter:" + key + "form-Enregistrer").click().run()
    assert not at.exception
    etapes = {e.nom: e for e in referentiels.list_etapes(con)}
    assert etapes["Analyse des besoins"].jours_sans_activite == 45
    assert etapes["Analyse des besoins"].reussite_defaut == 40


def test_a_new_etape_gets_days_without_activity(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    at = run_app(PARAMETRES)
    key = "ref.etape.new."
    widget(at, key + "nom").input("Closing")
    widget(at, key + "jours_sans_activite").set_value(7)
    at.button(key="FormSubmitter:" + key + "form-Ajouter").click().run()
    assert {e.nom: e for e in referentiels.list_etapes(con)}["Closing"].jours_sans_activite == 7
