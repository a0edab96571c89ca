"""The frame runs every registered page through dashboard.py, on an empty and a filled base."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm_data import db
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
