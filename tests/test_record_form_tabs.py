"""The record draws only its open tab: the others' tables and forms are neither read nor sent
to the browser until opened, and a save keeps the tab that was open."""

from __future__ import annotations

from pathlib import Path

from crm_data.store import db
from tests.factories import make_affaire
from tests.pages import open_tab, run_app, widget


def test_only_the_open_tab_is_drawn(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    at = run_app(affaire=str(aid))
    keys = {str(e.key) for e in at.text_input}
    assert f"document.{aid}.new.numero" in keys
    assert f"action.{aid}.new.objet" not in keys
    at = open_tab(at, aid, "Action")
    keys = {str(e.key) for e in at.text_input}
    assert f"action.{aid}.new.objet" in keys
    assert f"document.{aid}.new.numero" not in keys


def test_a_save_keeps_the_open_tab(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    aid = make_affaire(con)
    at = open_tab(run_app(affaire=str(aid)), aid, "Historique")
    widget(at, f"fiche.{aid}.nom").input("Renommée")
    widget(at, f"fiche.{aid}.save").click().run()
    assert [list(d.value.columns) for d in at.dataframe] == [
        ["Quand", "Qui", "Champ", "Avant", "Après"]
    ]
