"""The Fiche affaire's amounts and réussite as French text: `45 000,00` shown and read back,
`60 %` accepted, and a value out of bounds refused next to its field with nothing saved and
the typed text kept."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from crm_data import affaires
from crm_data.store import db
from tests.factories import admin, make_affaire, make_compte
from tests.pages import run_app, shown, texts, widget

NEW = "fiche.nouvelle."


def _new_form(path: Path, nom: str = "Parc serveurs") -> tuple[db.Connection, object]:
    con = db.shared_connection(path)
    cid = make_compte(con, "Boulangerie Dupont")
    at = run_app(affaire="nouvelle")
    widget(at, NEW + "nom").input(nom)
    widget(at, NEW + "compte_search").input("dupont").run()
    widget(at, NEW + "compte_select").select(cid).run()
    return con, at


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("ca_potentiel", "-5000", "Le montant ne peut pas être négatif."),
        ("ca_attendu", "-0,01", "Le montant ne peut pas être négatif."),
        (
            "ca_potentiel",
            "beaucoup",
            "Montant invalide : saisissez un nombre, par exemple 45 000,00.",
        ),
        ("reussite", "150", "La réussite est un pourcentage de 0 à 100."),
        ("reussite", "-5 %", "La réussite est un pourcentage de 0 à 100."),
        (
            "reussite",
            "soixante",
            "La réussite est un pourcentage entier de 0 à 100, par exemple 60 %.",
        ),
    ],
)
def test_a_value_out_of_bounds_keeps_the_form_unsaved_with_its_text(
    _isolated_base: Path, name: str, typed: str, message: str
) -> None:
    con, at = _new_form(_isolated_base)
    widget(at, NEW + name).input(typed)
    widget(at, NEW + "save").click().run()
    assert not at.exception
    assert message in texts(at, "error")
    assert not any("créée" in t for t in texts(at, "toast"))
    assert widget(at, NEW + name).value == typed
    assert con.execute("SELECT count(*) FROM affaire").fetchone() == (0,)


def test_the_message_sits_right_under_its_field(_isolated_base: Path) -> None:
    _, at = _new_form(_isolated_base)
    widget(at, NEW + "ca_potentiel").input("-5000")
    widget(at, NEW + "save").click().run()
    column = next(c for c in at.columns if any(t.key == NEW + "ca_potentiel" for t in c.text_input))
    assert [shown(e.value) for e in column.error] == ["Le montant ne peut pas être négatif."]


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("45 000,50", Decimal("45000.50")),
        ("45000.50", Decimal("45000.50")),
        ("45 000 €", Decimal("45000.00")),
        ("45\u00a0000,5", Decimal("45000.50")),
    ],
)
def test_french_amounts_round_trip_through_the_form(
    _isolated_base: Path, typed: str, saved: Decimal
) -> None:
    con, at = _new_form(_isolated_base)
    widget(at, NEW + "ca_potentiel").input(typed)
    widget(at, NEW + "save").click().run()
    assert not at.exception
    new_id = int(str(at.query_params["affaire"]).strip("[]'"))
    assert affaires.get_affaire(con, admin(con), new_id).ca_potentiel == saved
    shown = f"{saved:,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert widget(at, f"fiche.{new_id}.ca_potentiel").value == shown


def test_an_opened_record_shows_its_amounts_in_french(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con, ca_potentiel="1234567.8", ca_attendu=None)
    at = run_app(affaire=str(aid))
    assert widget(at, f"fiche.{aid}.ca_potentiel").value == "1\u00a0234\u00a0567,80"
    assert widget(at, f"fiche.{aid}.ca_attendu").value == ""


def test_a_reussite_with_a_percent_sign_is_saved(_isolated_base: Path) -> None:
    con, at = _new_form(_isolated_base)
    widget(at, NEW + "reussite").input("35 %")
    widget(at, NEW + "save").click().run()
    new_id = int(str(at.query_params["affaire"]).strip("[]'"))
    assert affaires.get_affaire(con, admin(con), new_id).reussite == 35
    assert widget(at, f"fiche.{new_id}.reussite").value == "35"


def test_no_number_input_is_left_on_the_record(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    at = run_app(affaire=str(aid))
    assert list(at.number_input) == []


def _document_form(path: Path) -> tuple[db.Connection, int, object, str]:
    con = db.shared_connection(path)
    aid = make_affaire(con)
    at = run_app(affaire=str(aid))
    key = f"document.{aid}.new."
    widget(at, key + "numero").input("D-1")
    return con, aid, at, key


def test_a_document_amount_typed_in_french_is_saved(_isolated_base: Path) -> None:
    con, aid, at, key = _document_form(_isolated_base)
    widget(at, key + "montant_ht").input("45 000,50")
    at.button(key="FormSubmitter:" + key + "form-Ajouter le document").click().run()
    saved = con.execute("SELECT montant_ht FROM document WHERE affaire_id = ?", [aid]).fetchall()
    assert saved == [(Decimal("45000.50"),)]


def test_a_negative_document_amount_is_refused_with_its_text_kept(_isolated_base: Path) -> None:
    con, _, at, key = _document_form(_isolated_base)
    widget(at, key + "montant_ht").input("-12,50")
    at.button(key="FormSubmitter:" + key + "form-Ajouter le document").click().run()
    assert "Le montant ne peut pas être négatif." in texts(at, "error")
    assert widget(at, key + "montant_ht").value == "-12,50"
    assert con.execute("SELECT count(*) FROM document").fetchone() == (0,)


def test_a_name_too_long_is_kept_whole_with_the_french_message(_isolated_base: Path) -> None:
    con, at = _new_form(_isolated_base, nom="x" * 205)
    widget(at, NEW + "save").click().run()
    assert "200 caractères au plus (205 saisis)." in texts(at, "error")
    assert widget(at, NEW + "nom").value == "x" * 205
    assert con.execute("SELECT count(*) FROM affaire").fetchone() == (0,)
