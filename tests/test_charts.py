"""Every chart builder of crm_ui.analysis.charts drawn from real analyses, with every breakdown
and on an empty base, through Plotly's own validation (to_json); names typed by users are drawn
escaped."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable

import plotly.graph_objects as go
import pytest

from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import BREAKDOWNS, Filters
from crm_data.model import Actor
from crm_data.store.db import Connection
from crm_ui.analysis import charts
from tests.analyses_factory import D, new_affaire, new_base, new_named_user, new_version

PERIOD = Filters(du=D("2026-01-01"), au=D("2026-12-31"), today=D("2026-06-15"))
HOSTILE_LINK = '<a href="https://evil">x</a>'
HOSTILE_BOLD = "<b>Gras</b> & co"

Builder = Callable[[Connection, Actor], go.Figure | None]
BUILDERS: dict[str, Builder] = {
    "pipe_chart": lambda con, a: charts.pipe_chart(analyses.pipe_by_etape(con, a, PERIOD), "T"),
    "forecast_chart": lambda con, a: charts.forecast_chart(analyses.forecast(con, a, PERIOD), "T"),
    "results_chart": lambda con, a: charts.results_chart(
        analyses.results_by_type(con, a, PERIOD), "T"
    ),
    "pareto_chart": lambda con, a: charts.pareto_chart(
        analyses.losses_by_code(con, a, PERIOD), "T"
    ),
    "monthly_chart": lambda con, a: charts.monthly_chart(
        analyses.monthly_revenue(con, a, PERIOD), "T"
    ),
    **{
        f"monthly_chart by {by}": (
            lambda con, a, by=by: charts.monthly_chart(
                analyses.monthly_revenue(con, a, PERIOD, by=by), "T", by
            )
        )
        for by in BREAKDOWNS
    },
    "conversion_chart": lambda con, a: charts.conversion_chart(
        analyses.conversion(con, a, PERIOD), "T"
    ),
}


def test_every_builder_of_the_module_is_drawn_here() -> None:
    builders = {
        name
        for name, value in inspect.getmembers(charts, inspect.isfunction)
        if name.endswith("_chart") and value.__module__ == charts.__name__
    }
    assert builders == {name.split(" ")[0] for name in BUILDERS}


def _hostile_base() -> tuple[Connection, Actor]:
    """One affaire of each kind, whose étape, famille, code clôture and user carry HTML."""
    con, admin = new_base()
    con.execute("INSERT INTO etape (nom, ordre, reussite_defaut) VALUES (?, 9, 50)", [HOSTILE_LINK])
    con.execute("INSERT INTO famille_article (nom) VALUES (?)", [HOSTILE_BOLD])
    con.execute("INSERT INTO code_cloture (nom, categorie) VALUES (?, 'interne')", [HOSTILE_LINK])
    user = new_named_user(con, "evil", HOSTILE_BOLD)
    common = {"gestion_par": user.id, "famille_article": HOSTILE_BOLD, "etape": HOSTILE_LINK}
    opened = new_affaire(con, ca_potentiel=100, reussite=50, date_fin=D("2026-07-01"), **common)
    new_version(con, opened, "2026-02-01")
    new_affaire(con, statut="Gagnée", date_signature=D("2026-02-03"), total_ht=10, **common)
    new_affaire(con, statut="Gagnée", date_signature=D("2026-02-04"), total_ht=5)
    new_affaire(con, statut="Gagnée", date_signature=D("2025-02-04"), total_ht=5)
    new_affaire(
        con, statut="Perdue", code_cloture=HOSTILE_LINK, date_cloture=D("2026-03-01"), **common
    )
    return con, admin


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_builder_draws_a_figure_plotly_accepts(name: str) -> None:
    con, admin = _hostile_base()
    fig = BUILDERS[name](con, admin)
    assert fig is not None
    assert json.loads(fig.to_json())["data"]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_builder_draws_nothing_on_an_empty_base(name: str) -> None:
    con, admin = new_base()
    assert BUILDERS[name](con, admin) is None


USER_TEXT = [
    "pipe_chart",
    "pareto_chart",
    "monthly_chart by famille_article",
    "monthly_chart by gestion_par",
    "conversion_chart",
]
"""The builders whose labels or trace names come from names users typed."""


@pytest.mark.parametrize("name", USER_TEXT)
def test_a_builder_hands_plotly_no_raw_html_from_the_data(name: str) -> None:
    con, admin = _hostile_base()
    fig = BUILDERS[name](con, admin)
    assert fig is not None
    drawn = json.dumps(
        [
            {k: trace.get(k) for k in ("x", "name", "hovertemplate", "text")}
            for trace in fig.to_plotly_json()["data"]
        ]
        + [fig.to_plotly_json()["layout"].get("xaxis", {}).get("categoryarray")]
    )
    assert "<a " not in drawn
    assert "<b>" not in drawn
    assert "&lt;" in drawn


def test_escaped_labels_show_the_text_as_written() -> None:
    assert charts.escape_label(HOSTILE_LINK) == '&lt;a href="https://evil"&gt;x&lt;/a&gt;'
    assert charts.escape_label("R&D") == "R&amp;D"


def test_a_broken_down_bar_is_clicked_back_to_its_raw_value() -> None:
    con, admin = _hostile_base()
    frame = analyses.monthly_revenue(con, admin, PERIOD, by="famille_article")
    fig = charts.monthly_chart(frame, "T", "famille_article")
    assert fig is not None
    names = [trace.name for trace in fig.data]
    assert names[:2] == ["(vide)", "&lt;b&gt;Gras&lt;/b&gt; &amp; co"]
    point = {"customdata": "2026-02", "curve_number": 1}
    assert charts.clicked({"selection": {"points": [point]}}, fig) == ("2026-02", HOSTILE_BOLD)
    point = {"customdata": "2026-02", "curve_number": 0}
    assert charts.clicked({"selection": {"points": [point]}}, fig) == ("2026-02", "")


def test_a_user_bar_is_clicked_back_to_the_users_id() -> None:
    con, admin = _hostile_base()
    frame = analyses.monthly_revenue(con, admin, PERIOD, by="gestion_par")
    fig = charts.monthly_chart(frame, "T", "gestion_par")
    assert fig is not None
    ids = {trace.name: trace.meta for trace in fig.data if trace.type == "bar"}
    evil = int(frame.loc[frame["gestion_par"] == HOSTILE_BOLD, "gestion_par_id"].iloc[0])
    assert ids["&lt;b&gt;Gras&lt;/b&gt; &amp; co"] == str(evil)
