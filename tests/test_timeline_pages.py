"""The pipe through time on the Pipe screen under AppTest through dashboard.py: « Pipe au » a
past day shows A10, the movements drill down to their affaires, the other tabs run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crm_data.analyses.registry import Filters, pipe_by_etape
from crm_data.store import db
from crm_data.users import local_admin
from crm_ui import formatting
from tests.analyses_factory import new_affaire
from tests.pages import widget
from tests.test_analysis_pages import open_page
from tests.versions_factory import create, save

TODAY = dt.date.today()
PAST = TODAY - dt.timedelta(days=20)


def _at(days_ago: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour))


@pytest.fixture
def history(_isolated_base: Path) -> dict[str, int]:
    """Three affaires 40 days ago; 10 days ago one is won, one goes up, one is new."""
    con = db.open_base(_isolated_base)
    fin = {"date_fin": TODAY + dt.timedelta(days=30)}
    won = create(con, _at(40), ca_potentiel=1000, reussite=20, **fin)
    up = create(con, _at(40), ca_potentiel=500, reussite=40, etape="Négociation", **fin)
    for _ in range(3):
        slipping = create(con, _at(40), ca_potentiel=100, reussite=20)
    for i in range(3):
        save(con, slipping, _at(30 - i), date_fin=TODAY + dt.timedelta(days=10 * (i + 1)))
    save(con, won, _at(10), statut="Gagnée", total_ht=900)
    save(con, up, _at(10), ca_potentiel=800)
    new = create(con, _at(5), ca_potentiel=300, reussite=20, **fin)
    new_affaire(con, nom="Sans historique")
    con.close()
    return {"won": won, "up": up, "new": new, "slipping": slipping}


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The frame of the first table drawn with this column (AppTest does not keep their keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_pipe_on_a_past_day_shows_that_day_s_pipe(
    history: dict[str, int], _isolated_base: Path
) -> None:
    at = open_page("app_pages/pipe.py")
    widget(at, "pipe_le").set_value(PAST).run()
    assert not at.exception
    con = db.open_base(_isolated_base)
    expected = pipe_by_etape(con, local_admin(con), Filters(le=PAST))
    con.close()
    shown = at.dataframe[0].value
    # The table is the screen's French text (crm_ui.analysis.columns.display).
    assert shown.iloc[:-1]["Nombre"].tolist() == [formatting.number(n) for n in expected["nombre"]]
    assert shown.iloc[-1]["CA potentiel"] == formatting.euro(1800)
    assert any(PAST.strftime("%d/%m/%Y") in i.value for i in at.info)


def test_a_movement_opens_its_affaires_in_the_list(history: dict[str, int]) -> None:
    at = open_page("app_pages/pipe.py")
    widget(at, "mouvements_preset").set_value("Personnalisée").run()
    widget(at, "mouvements_dates").set_value((PAST, TODAY)).run()
    table = _table(at, "montant")
    assert table["categorie"].tolist()[:2] == ["Début", "Nouvelles"]
    assert table.set_index("categorie").loc["Gagnées", "montant"] == -1000.0
    widget(at, "mouvements_detail").set_value("gagnees").run()
    detail = _table(at, "valeur_debut")
    assert detail[["id", "valeur_debut", "statut_fin"]].values.tolist() == [
        [history["won"], 1000.0, "Gagnée"]
    ]
    at.button(key="mouvements_ouvrir").click().run()
    filters = at.session_state["affaires_filters"]
    assert filters.affaire_ids == [history["won"]]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires"] == "1"


def test_reliability_and_slipping_tabs_run(history: dict[str, int]) -> None:
    at = open_page("app_pages/pipe.py")
    at.session_state["pipe_historique_tab"] = "Fiabilité de la prévision"
    at.run()
    assert not at.exception
    assert list(_table(at, "prevu").columns) == [
        "mois",
        "prevu",
        "prevu_haut",
        "signe",
        "realisation",
    ]
    at.session_state["pipe_historique_tab"] = "Glissements"
    at.run()
    assert not at.exception
    table = _table(at, "reports")
    assert table[["id", "reports"]].values.tolist() == [[history["slipping"], 2]]


def test_ventes_shows_the_sales_velocity(history: dict[str, int]) -> None:
    at = open_page("app_pages/ventes.py")
    metrics = {m.label: m.value for m in at.metric}
    assert (
        metrics["Vélocité des ventes"].endswith("€ / jour") or metrics["Vélocité des ventes"] == "—"
    )
    assert any(c.value.startswith("Leviers : ") for c in at.caption)
