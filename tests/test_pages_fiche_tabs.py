"""The record's tabs through dashboard.py: documents with their sums, projets, actions (overdue,
mark done), deletion after confirmation, and the history in French formats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from crm_data import actions, documents, projets
from crm_data.store import db
from tests.factories import admin, make_affaire
from tests.pages import open_tab, run_app, select_row, texts, widget


def opened(
    path: Path, tab: str = "Documents", **values: object
) -> tuple[db.Connection, int, object]:
    con = db.shared_connection(path)
    aid = make_affaire(con, **values)
    return con, aid, open_tab(run_app(affaire=str(aid)), aid, tab)


def test_adding_an_action_from_the_tab(_isolated_base: Path) -> None:
    con, aid, at = opened(_isolated_base, "Action")
    key = f"action.{aid}.new."
    widget(at, key + "objet").input("Rappeler le client")
    widget(at, key + "echeance").set_value(dt.date.today() + dt.timedelta(days=3))
    at.button(key="FormSubmitter:" + key + "form-Ajouter l'action").click().run()
    frame = actions.actions_of_affaire(con, admin(con), aid)
    assert frame["objet"].tolist() == ["Rappeler le client"]
    assert widget(at, key + "objet").value == ""


def test_an_action_without_objet_is_refused_next_to_the_field(_isolated_base: Path) -> None:
    _, aid, at = opened(_isolated_base, "Action")
    key = f"action.{aid}.new."
    widget(at, key + "description").input("Sans objet")
    at.button(key="FormSubmitter:" + key + "form-Ajouter l'action").click().run()
    assert "L'objet de l'action est obligatoire." in texts(at, "error")
    assert widget(at, key + "description").value == "Sans objet"


def test_overdue_action_stands_out_and_can_be_marked_done(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    action_id = actions.create_action(
        con, admin(con), aid, {"type": "Relance", "objet": "Relancer", "echeance": yesterday}
    )
    at = open_tab(run_app(affaire=str(aid)), aid, "Action")
    assert "1 action en retard." in texts(at, "warning")
    at = select_row(at, f"action.{aid}.table", 0)
    widget(at, f"action.{aid}.{action_id}.done").click().run()
    assert bool(actions.get_action(con, admin(con), action_id)["fait"])
    assert "1 action en retard." not in texts(at, "warning")


def test_adding_a_devis_updates_the_sums(_isolated_base: Path) -> None:
    con, aid, at = opened(_isolated_base)
    key = f"document.{aid}.new."
    widget(at, key + "numero").input("D-2026-001")
    widget(at, key + "montant_ht").set_value("1 234,50")
    at.button(key="FormSubmitter:" + key + "form-Ajouter le document").click().run()
    assert documents.documents_of_affaire(con, admin(con), aid)["numero"].tolist() == ["D-2026-001"]
    sums = {m.label: m.value for m in at.metric}
    assert sums["Total des devis (1)"] == "1\u00a0234,50\u00a0€"
    assert sums["Total des factures (0)"] == "0,00\u00a0€"


def test_a_half_cent_typed_in_the_document_form_rounds_up(_isolated_base: Path) -> None:
    # 1.005 is 1.00499999… in binary: rounding the float, as the form did, gave 1.00.
    con, aid, at = opened(_isolated_base)
    key = f"document.{aid}.new."
    widget(at, key + "numero").input("D-2026-002")
    widget(at, key + "montant_ht").set_value("1,005")
    at.button(key="FormSubmitter:" + key + "form-Ajouter le document").click().run()
    saved = con.execute("SELECT montant_ht FROM document WHERE affaire_id = ?", [aid]).fetchall()
    assert saved == [(Decimal("1.01"),)]


def test_a_facture_offers_the_facture_statuts(_isolated_base: Path) -> None:
    _, aid, at = opened(_isolated_base)
    key = f"document.{aid}.new."
    at.button_group(key=key + "type").set_value("Facture").run()
    assert widget(at, key + "statut").options == ["Émise", "Payée"]


def test_deleting_a_projet_after_confirmation(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    projet_id = projets.create_projet(con, admin(con), aid, {"nom": "Installation"})
    at = select_row(open_tab(run_app(affaire=str(aid)), aid, "Projet"), f"projet.{aid}.table", 0)
    widget(at, f"projet.{aid}.{projet_id}.delete").click().run()
    assert projets.projets_of_affaire(con, admin(con), aid).empty


def test_editing_a_projet_keeps_the_version_it_opened(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    projet_id = projets.create_projet(con, admin(con), aid, {"nom": "Installation"})
    at = select_row(open_tab(run_app(affaire=str(aid)), aid, "Projet"), f"projet.{aid}.table", 0)
    key = f"projet.{aid}.{projet_id}."
    projets.update_projet(con, admin(con), projet_id, {"nom": "Renommé ailleurs"}, 1)
    widget(at, key + "nom").input("Ma version")
    at.button(key="FormSubmitter:" + key + "form-Enregistrer le projet").click().run()
    assert any("après que vous l'avez ouverte" in e for e in texts(at, "error"))
    assert projets.get_projet(con, admin(con), projet_id)["nom"] == "Renommé ailleurs"


def test_history_shows_french_formats(_isolated_base: Path) -> None:
    _, _, at = opened(_isolated_base, "Historique", ca_potentiel="1500", date_fin="2026-12-31")
    history = at.dataframe[-1].value
    assert "1\u00a0500,00\u00a0€" in history["Après"].tolist()
    assert "31/12/2026" in history["Après"].tolist()
