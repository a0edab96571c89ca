"""Comptes and Contacts through dashboard.py: search, record, creation, refusals kept in place."""

from __future__ import annotations

from pathlib import Path

from crm_data import comptes, contacts
from crm_data.store import db
from tests.factories import admin, make_affaire, make_compte, make_contact
from tests.pages import run_app, select_row, texts, widget

COMPTES = "app_pages/comptes.py"
CONTACTS = "app_pages/contacts.py"


def test_creating_a_compte(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    at = run_app(COMPTES)
    widget(at, "compte.new.nom").input("Imprimerie Moreau")
    widget(at, "compte.new.ville").input("Rennes")
    at.button(key="FormSubmitter:compte.new.form-Créer le compte").click().run()
    compte_id = comptes.find_compte_id(con, "imprimerie moreau")
    assert compte_id is not None
    assert comptes.get_compte(con, compte_id).ville == "Rennes"


def test_a_duplicate_compte_is_refused_and_the_values_kept(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    make_compte(con, "Café Élysée")
    at = run_app(COMPTES)
    widget(at, "compte.new.nom").input("cafe elysee")
    widget(at, "compte.new.ville").input("Paris")
    at.button(key="FormSubmitter:compte.new.form-Créer le compte").click().run()
    assert "Le compte « Café Élysée » existe déjà." in texts(at, "error")
    assert widget(at, "compte.new.ville").value == "Paris"


def test_search_narrows_the_comptes(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    make_compte(con, "Alpha Conseil")
    make_compte(con, "Beta Industrie")
    at = run_app(COMPTES)
    widget(at, "comptes_search").input("industrie").run()
    assert at.dataframe[0].value["nom"].tolist() == ["Beta Industrie"]


def test_a_compte_shows_its_contacts_and_affaires_with_totals(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    compte_id = make_compte(con, "Garage Leroy")
    make_contact(con, compte_id, "Leroy", prenom="Anne")
    make_affaire(con, compte_id=compte_id, ca_potentiel="2000", reussite=50)
    make_affaire(con, compte_id=compte_id, ca_potentiel="1000", reussite=10)
    make_affaire(con, nom="Ailleurs")
    at = run_app(COMPTES)
    at = select_row(
        at, "comptes_table", at.dataframe[0].value["nom"].tolist().index("Garage Leroy")
    )
    assert at.query_params["compte"] in (str(compte_id), [str(compte_id)])
    headers = [s.value for s in at.subheader]
    assert "Contacts (1)" in headers
    assert "Affaires (2)" in headers
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["CA potentiel"] == "3\u00a0000\u00a0€"
    assert metrics["CA pondéré"] == "1\u00a0100\u00a0€"


def test_adding_a_contact_from_the_compte(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    compte_id = make_compte(con, "Boulangerie")
    at = run_app("app_pages/fiche_compte.py", compte=str(compte_id))
    key = f"contact.new.{compte_id}."
    widget(at, key + "nom").input("Petit")
    at.button(key="FormSubmitter:" + key + "form-Ajouter le contact").click().run()
    assert contacts.contacts_of_compte(con, compte_id)["nom"].tolist() == ["Petit"]


def test_creating_a_contact_with_the_compte_picker(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    compte_id = make_compte(con, "Menuiserie Blanc")
    at = run_app(CONTACTS)
    widget(at, "contact.new.compte_search").input("blanc").run()
    widget(at, "contact.new.compte_select").select(compte_id).run()
    widget(at, "contact.new.nom").input("Blanc")
    widget(at, "contact.new.email").input("pas-un-mail")
    at.button(key="FormSubmitter:contact.new.form-Créer le contact").click().run()
    assert "Adresse e-mail invalide : « pas-un-mail »." in texts(at, "error")
    widget(at, "contact.new.email").input("blanc@exemple.fr")
    at.button(key="FormSubmitter:contact.new.form-Créer le contact").click().run()
    assert contacts.contacts_of_compte(con, compte_id)["email"].tolist() == ["blanc@exemple.fr"]


def test_editing_a_contact_from_its_record(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    contact_id = make_contact(con, make_compte(con), "Durand")
    at = select_row(run_app(CONTACTS), "contacts_table", 0)
    assert at.query_params["contact"] in (str(contact_id), [str(contact_id)])
    at = run_app("app_pages/fiche_contact.py", contact=str(contact_id))
    key = f"contact.{contact_id}."
    widget(at, key + "fonction").input("Acheteuse")
    at.button(key="FormSubmitter:" + key + "form-Enregistrer le contact").click().run()
    assert contacts.get_contact(con, contact_id).fonction == "Acheteuse"
    assert [str(t.value) for t in at.title] == ["Durand"]  # the record stays open
    assert admin(con).sees_everything
