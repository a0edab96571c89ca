"""The Fiche affaire's réussite follows the étape (and the statut) on screen as crm_data's rule
does on save: a default one takes the new default, a hand-typed one stays and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_data import affaires
from crm_data.store import db
from tests.factories import admin, make_affaire
from tests.pages import run_app, texts, widget


def _open(path: Path, **values: object) -> tuple[db.Connection, int, object]:
    con = db.shared_connection(path)
    aid = make_affaire(con, etape="Qualification", **values)
    return con, aid, run_app(affaire=str(aid))


def test_a_default_reussite_follows_the_etape_and_is_saved(_isolated_base: Path) -> None:
    con, aid, at = _open(_isolated_base)
    key = f"fiche.{aid}."
    widget(at, key + "etape").select("Proposition commerciale").run()
    assert widget(at, key + "reussite").value == "60"
    assert "Taux par défaut de l'étape : suit l'étape." in texts(at, "caption")
    widget(at, key + "save").click().run()
    assert affaires.get_affaire(con, admin(con), aid).reussite == 60


def test_a_hand_typed_reussite_stays_and_is_shown_as_such(_isolated_base: Path) -> None:
    con, aid, at = _open(_isolated_base)
    key = f"fiche.{aid}."
    widget(at, key + "reussite").input("35").run()
    widget(at, key + "etape").select("Négociation").run()
    assert widget(at, key + "reussite").value == "35"
    assert "Saisie à la main (défaut de l'étape : 80\u00a0%) : reste si l'étape change." in texts(
        at, "caption"
    )
    widget(at, key + "save").click().run()
    assert affaires.get_affaire(con, admin(con), aid).reussite == 35


def test_a_saved_hand_typed_reussite_stays_when_reopened_and_moved(_isolated_base: Path) -> None:
    con, aid, at = _open(_isolated_base, reussite=45)
    key = f"fiche.{aid}."
    widget(at, key + "etape").select("Analyse des besoins").run()
    assert widget(at, key + "reussite").value == "45"
    widget(at, key + "save").click().run()
    assert affaires.get_affaire(con, admin(con), aid).reussite == 45


@pytest.mark.parametrize(
    ("statut", "shown"), [("Gagnée", "100"), ("Perdue", "0"), ("Abandonnée", "0")]
)
def test_closing_sets_the_fixed_reussite(_isolated_base: Path, statut: str, shown: str) -> None:
    _, aid, at = _open(_isolated_base, reussite=45)
    key = f"fiche.{aid}."
    widget(at, key + "statut").select(statut).run()
    assert widget(at, key + "reussite").value == shown
    assert widget(at, key + "reussite").disabled


def test_a_new_affaire_follows_the_chosen_etape(_isolated_base: Path) -> None:
    db.shared_connection(_isolated_base)
    at = run_app(affaire="nouvelle")
    widget(at, "fiche.nouvelle.etape").select("Analyse des besoins").run()
    assert widget(at, "fiche.nouvelle.reussite").value == "40"
