"""The frame runs every registered page through dashboard.py, on an empty and a filled base."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm_data.store import db
from tests.factories import make_affaire

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def run_app() -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    return at


def test_empty_base_shows_what_to_do_next() -> None:
    at = run_app()
    assert not at.exception
    assert any("Créez votre première affaire, importez un fichier" in m.value for m in at.markdown)


def test_list_shows_affaires_and_totals(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    make_affaire(con, nom="Renouvellement parc", ca_potentiel="1000", etape="Négociation")
    at = run_app()
    assert not at.exception
    assert at.dataframe[0].value["nom"].tolist() == ["Renouvellement parc"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires"] == "1"
    assert metrics["CA pondéré"] == "800\u00a0€"


def test_empty_base_loads_demo_data_in_one_click(_isolated_base: Path) -> None:
    at = run_app()
    at.button(key="demo_load").click().run()
    assert not at.exception
    con = db.shared_connection(_isolated_base)
    row = con.execute("SELECT count(*) FROM affaire").fetchone()
    assert row is not None and row[0] > 1000
    assert at.dataframe, "the list shows the demo affaires after the reload"


def test_the_empty_base_is_said_once_with_its_commas() -> None:
    at = run_app()
    said = [m.value for m in at.markdown if "Votre base est vide" in m.value]
    assert len(said) == 1
    assert "importez un fichier (Administration → Import / export), ou découvrez" in said[0]
    assert "5\u00a0000 affaires fictives sur trois ans, avec leurs comptes" in said[0]
    assert not any("Aucune affaire pour l'instant" in i.value for i in at.info)


def test_the_plotly_bundle_is_preloaded_once_per_session() -> None:
    at = run_app()
    assert len(at.sidebar.get("plotly_chart")) == 1
    at.run()
    assert len(at.sidebar.get("plotly_chart")) == 0
