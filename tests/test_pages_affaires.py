"""The Affaires page through dashboard.py: the list, opening and creating records, the form's
rules, stale saves, the deep link and the filters kept across a record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from crm_data import affaires
from crm_data.model import Role, Statut
from crm_data.store import db
from tests.factories import admin, make_affaire, make_compte, make_contact, make_user
from tests.pages import open_tab, run_app, select_row, texts, widget


def base(path: Path) -> db.Connection:
    return db.shared_connection(path)


def test_selecting_a_row_opens_its_record(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Parc serveurs")
    at = select_row(run_app(), "affaires_table", 0)
    assert at.query_params["affaire"] == [str(aid)] or at.query_params["affaire"] == str(aid)
    assert widget(at, f"fiche.{aid}.nom").value == "Parc serveurs"
    assert f"Affaire n° {aid}" in at.subheader[0].value


def test_deep_link_opens_the_record(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    make_affaire(con, nom="Autre")
    aid = make_affaire(con, nom="Lien direct")
    at = run_app(affaire=str(aid))
    assert widget(at, f"fiche.{aid}.nom").value == "Lien direct"


def test_deep_link_to_a_missing_affaire_says_so(_isolated_base: Path) -> None:
    base(_isolated_base)
    at = run_app(affaire="999")
    assert any("introuvable" in e for e in texts(at, "error"))


def test_new_affaire_has_the_defaults_filled(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    me = admin(con)
    at = run_app()
    widget(at, "affaires_new").click().run()
    key = "fiche.nouvelle."
    assert widget(at, key + "date_debut").value == dt.date.today()
    assert widget(at, key + "gestion_par").value == me.id
    assert widget(at, key + "statut").value == "En cours"
    assert widget(at, key + "etape").value == "Qualification"
    assert widget(at, key + "type").value == "Nouveau"
    assert widget(at, key + "reussite").value == "20"


def test_creating_an_affaire_through_the_form(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    cid = make_compte(con, "Boulangerie Dupont", ville="Lyon")
    at = run_app(affaire="nouvelle")
    key = "fiche.nouvelle."
    widget(at, key + "nom").input("Four à pain")
    widget(at, key + "compte_search").input("dupont").run()
    widget(at, key + "compte_select").select(cid).run()
    widget(at, key + "etape").select("Négociation").run()
    assert widget(at, key + "reussite").value == "80"
    widget(at, key + "ca_potentiel").input("12 500,50")
    widget(at, key + "save").click().run()
    assert not at.exception
    new_id = int(str(at.query_params["affaire"]).strip("[]'"))
    saved = affaires.get_affaire(con, admin(con), new_id)
    assert (saved.nom, saved.compte_id, saved.etape, saved.reussite) == (
        "Four à pain",
        cid,
        "Négociation",
        80,
    )
    assert saved.ca_potentiel == Decimal("12500.50")
    assert widget(at, f"fiche.{new_id}.nom").value == "Four à pain"


def test_a_rejected_form_keeps_its_values_and_shows_the_messages(_isolated_base: Path) -> None:
    base(_isolated_base)
    at = run_app(affaire="nouvelle")
    key = "fiche.nouvelle."
    widget(at, key + "nom").input("Sans compte")
    widget(at, key + "ca_potentiel").input("900")
    widget(at, key + "date_fin").set_value(dt.date(2020, 1, 1))
    widget(at, key + "save").click().run()
    errors = texts(at, "error")
    assert "Une affaire est obligatoirement liée à un compte." in errors
    assert "La date de fin ne peut pas précéder la date de début." in errors
    assert widget(at, key + "nom").value == "Sans compte"
    assert widget(at, key + "ca_potentiel").value == "900"
    assert at.query_params.get("affaire") in ("nouvelle", ["nouvelle"])


def test_creating_a_compte_on_the_spot(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    make_compte(con, "Garage Martin")
    at = run_app(affaire="nouvelle")
    key = "fiche.nouvelle."
    widget(at, key + "compte_search").input("Menuiserie Leroy").run()
    widget(at, key + "compte_create").click().run()
    compte_id = widget(at, key + "compte_select").value
    assert compte_id is not None
    assert widget(at, key + "compte_select").format_func(compte_id) == "Menuiserie Leroy"


def test_contact_is_limited_to_the_comptes_contacts(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    mine = make_compte(con, "Mine")
    other = make_compte(con, "Autre")
    julie = make_contact(con, mine, "Martin", prenom="Julie")
    make_contact(con, other, "Bernard")
    aid = make_affaire(con, compte_id=mine)
    at = run_app(affaire=str(aid))
    picker = widget(at, f"fiche.{aid}.contact_id")
    assert picker.options == ["Julie Martin"]
    picker.select(julie).run()
    assert widget(at, f"fiche.{aid}.contact_id").value == julie


def test_changing_the_etape_is_saved_with_its_history(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Étape")
    at = run_app(affaire=str(aid))
    widget(at, f"fiche.{aid}.etape").select("Proposition commerciale").run()
    widget(at, f"fiche.{aid}.save").click().run()
    assert affaires.get_affaire(con, admin(con), aid).etape == "Proposition commerciale"
    history = open_tab(at, aid, "Historique").dataframe[-1].value
    assert "Qualification" in history["Avant"].tolist()
    assert "Proposition commerciale" in history["Après"].tolist()


def test_marking_perdue_asks_for_a_code_cloture(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Perdue")
    key = f"fiche.{aid}."
    at = run_app(affaire=str(aid))
    widget(at, key + "statut").select("Perdue").run()
    assert "Une affaire perdue demande un code clôture." in texts(at, "warning")
    widget(at, key + "save").click().run()
    assert any("code clôture" in e for e in texts(at, "error"))
    assert affaires.get_affaire(con, admin(con), aid).statut == Statut.EN_COURS
    widget(at, key + "code_cloture").select("Concurrent").run()
    widget(at, key + "save").click().run()
    saved = affaires.get_affaire(con, admin(con), aid)
    assert (saved.statut, saved.code_cloture, saved.date_cloture) == (
        "Perdue",
        "Concurrent",
        dt.date.today(),
    )


def test_marking_gagnee_prefills_signature_and_total(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Gagnée", ca_potentiel="4200")
    key = f"fiche.{aid}."
    at = run_app(affaire=str(aid))
    widget(at, key + "statut").select("Gagnée").run()
    assert widget(at, key + "date_signature").value == dt.date.today()
    assert widget(at, key + "total_ht").value == "4\u00a0200,00"
    widget(at, key + "save").click().run()
    saved = affaires.get_affaire(con, admin(con), aid)
    assert (saved.statut, saved.total_ht) == ("Gagnée", Decimal("4200.00"))


def test_a_stale_save_names_who_saved_and_overwrites_nothing(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Version 1")
    at = run_app(affaire=str(aid))
    other = make_user(con, Role.MANAGER, nom="Claire Dubois")
    affaires.update_affaire(con, other, aid, {"nom": "Version de Claire"}, 1)
    widget(at, f"fiche.{aid}.nom").input("Ma version")
    widget(at, f"fiche.{aid}.save").click().run()
    assert any("Claire Dubois" in e for e in texts(at, "error"))
    assert affaires.get_affaire(con, admin(con), aid).nom == "Version de Claire"
    widget(at, f"fiche.{aid}.reload").click().run()
    assert widget(at, f"fiche.{aid}.nom").value == "Version de Claire"


def test_filters_survive_opening_and_closing_a_record(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    make_affaire(con, nom="Alpha")
    make_affaire(con, nom="Beta")
    at = run_app()
    widget(at, "affaires_search").input("Beta").run()
    assert at.dataframe[0].value["nom"].tolist() == ["Beta"]
    at = select_row(at, "affaires_table", 0)
    aid = int(str(at.query_params["affaire"]).strip("[]'"))
    widget(at, f"fiche.{aid}.close").click().run()
    assert "affaire" not in at.query_params
    assert widget(at, "affaires_search").value == "Beta"
    assert at.dataframe[0].value["nom"].tolist() == ["Beta"]


def test_date_range_filter_narrows_the_list(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    make_affaire(con, nom="Ancienne", date_debut="2024-01-10")
    make_affaire(con, nom="Récente", date_debut="2026-06-01")
    at = run_app()
    widget(at, "affaires_date_debut").set_value((dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    at.run()
    assert at.dataframe[0].value["nom"].tolist() == ["Récente"]


def test_next_page_shows_the_following_affaires(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    cid = make_compte(con)
    for n in range(55):
        make_affaire(con, nom=f"A{n:02d}", compte_id=cid)
    at = run_app()
    widget(at, "affaires_sort").select("nom").run()
    widget(at, "affaires_desc").set_value(False).run()
    widget(at, "affaires_next").click().run()
    assert at.dataframe[0].value["nom"].tolist() == [f"A{n:02d}" for n in range(50, 55)]


def test_notes_are_kept_as_plain_text(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    notes = "<script>alert('x')</script> **gras** <b>html</b>"
    aid = make_affaire(con, nom="Notes", notes=notes)
    at = run_app(affaire=str(aid))
    assert widget(at, f"fiche.{aid}.notes").value == notes
    assert not any("<script>" in m.value for m in at.markdown)


def test_the_count_follows_a_creation_made_from_the_list(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    cid = make_compte(con, "Compte compté")
    make_affaire(con, compte_id=cid)
    at = run_app()
    assert {m.label: m.value for m in at.metric}["Affaires"] == "1"
    make_affaire(con, compte_id=cid)
    widget(at, "affaires_sort").select("nom").run()
    widget(at, "affaires_new").click().run()
    widget(at, "fiche.nouvelle.close").click().run()
    assert {m.label: m.value for m in at.metric}["Affaires"] == "2"


# 1.005 is 1.00499999… in binary: rounding a float, as the form once did, gave 1.00.
@pytest.mark.parametrize(("typed", "saved"), [("10,005", "10.01"), ("1.005", "1.01")])
def test_a_half_cent_typed_in_the_form_rounds_up(
    _isolated_base: Path, typed: str, saved: str
) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Demi-centime")
    key = f"fiche.{aid}."
    at = run_app(affaire=str(aid))
    widget(at, key + "ca_potentiel").input(typed)
    widget(at, key + "save").click().run()
    assert not at.exception
    assert affaires.get_affaire(con, admin(con), aid).ca_potentiel == Decimal(saved)


def test_a_gagnee_offers_no_editable_closing_date(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Signée", ca_potentiel="100")
    key = f"fiche.{aid}."
    at = run_app(affaire=str(aid))
    widget(at, key + "statut").select("Gagnée").run()
    assert key + "date_cloture" not in [e.key for e in at.date_input]
    shown = [e for e in at.text_input if e.label == "Date de clôture"]
    assert [(e.value, e.disabled) for e in shown] == [(dt.date.today().strftime("%d/%m/%Y"), True)]
    widget(at, key + "save").click().run()
    saved = affaires.get_affaire(con, admin(con), aid)
    assert saved.date_cloture == saved.date_signature == dt.date.today()


def test_a_signature_before_the_start_is_refused_under_its_field(_isolated_base: Path) -> None:
    con = base(_isolated_base)
    aid = make_affaire(con, nom="Trop tôt", date_debut="2026-03-01", ca_potentiel="100")
    key = f"fiche.{aid}."
    at = run_app(affaire=str(aid))
    widget(at, key + "statut").select("Gagnée").run()
    widget(at, key + "date_signature").set_value(dt.date(2026, 1, 1)).run()
    widget(at, key + "save").click().run()
    assert (
        "La date de signature (01/01/2026) ne peut pas précéder la date de début (01/03/2026)."
        in texts(at, "error")
    )
    assert affaires.get_affaire(con, admin(con), aid).statut == Statut.EN_COURS
