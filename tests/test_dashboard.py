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
    assert any("Aucune affaire" in i.value for i in at.info)


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
