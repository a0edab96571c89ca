"""The Pipe and Ventes screens under AppTest through dashboard.py: they run on an empty and a
filled base, show the `analyse` command's figures, drill down, and refresh after a write."""

from __future__ import annotations

import argparse
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crm_data.affaires_list import list_totals
from crm_data.cli import analyse as cli_analyse
from crm_data.demo import generate as demo
from crm_data.filters import Filters
from crm_data.store import db
from crm_data.users import local_admin
from crm_ui.analysis import columns as shown_columns
from tests.analyses_factory import new_affaire, new_compte
from tests.factories import make_affaire

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGES = ("app_pages/pipe.py", "app_pages/ventes.py")


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def command(path: Path, *argv: str) -> pd.DataFrame:
    parser = argparse.ArgumentParser()
    cli_analyse.add_parser(parser.add_subparsers())
    args = parser.parse_args(["analyse", *argv, "--db", str(path)])
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert cli_analyse.run(args) == 0
    return pd.read_csv(io.StringIO(out.getvalue()), keep_default_na=False, na_values=[""])


@pytest.fixture
def filled(_isolated_base: Path) -> Path:
    """A demo base (crm_data.demo.generate) of a few thousand affaires."""
    con = db.open_base(_isolated_base)
    demo.generate(con, affaires=3_000, seed=5)
    con.close()
    return _isolated_base


@pytest.mark.parametrize("page", PAGES)
def test_screen_runs_on_an_empty_base_and_says_there_is_nothing(page: str) -> None:
    at = open_page(page)
    assert any("Aucune" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_screen_runs_on_a_filled_base(page: str, filled: Path) -> None:
    at = open_page(page)
    assert len(at.dataframe) >= 2


@pytest.mark.parametrize("filled_base", [False, True])
@pytest.mark.parametrize("tab", ["Pertes", "CA signé", "Conversion", "Qualité des données"])
def test_every_ventes_tab_runs_on_empty_and_filled_bases(
    tab: str, filled_base: bool, _isolated_base: Path
) -> None:
    if filled_base:
        con = db.open_base(_isolated_base)
        demo.generate(con, affaires=500, seed=9)
        con.close()
    at = open_page("app_pages/ventes.py")
    at.session_state["ventes_tab"] = tab
    at.run()
    assert not at.exception
    columns = {str(d.value.columns[0]) for d in at.dataframe}
    if tab == "Qualité des données":
        assert len([b for b in at.button if b.key and b.key.startswith("qualite_")]) == 6
    elif tab == "Pertes" and not filled_base:
        assert any("Aucune affaire perdue" in i.value for i in at.info)
    else:
        expected = {"Pertes": "Code clôture", "CA signé": "Mois", "Conversion": "Étape"}[tab]
        assert expected in columns


def test_pipe_screen_shows_the_commands_figures(filled: Path) -> None:
    at = open_page("app_pages/pipe.py")
    expected = command(filled, "pipe")
    shown = at.dataframe[0].value
    pd.testing.assert_frame_equal(
        shown.iloc[:-1].reset_index(drop=True), shown_columns.display(expected), check_dtype=False
    )
    total = f"{expected['nombre'].sum():,}".replace(",", "\u00a0")
    assert shown.iloc[-1]["Nombre"] == total
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires en cours"] == total
    pd.testing.assert_frame_equal(
        at.dataframe[1].value,
        shown_columns.display(command(filled, "prevision")),
        check_dtype=False,
    )


def test_ventes_screen_shows_the_commands_figures_for_the_chosen_period(filled: Path) -> None:
    at = open_page("app_pages/ventes.py")
    at.segmented_control(key="ventes_preset").set_value("Personnalisée").run()
    at.date_input(key="ventes_du").set_value(dt.date(2024, 1, 1)).run()
    at.date_input(key="ventes_au").set_value(dt.date(2024, 12, 31)).run()
    assert not at.exception
    period = ("--du", "2024-01-01", "--au", "2024-12-31")
    tabs = {
        "resultats-type": "Résultats par type",
        "objectif": "Résultats par type",
        "pertes-code": "Pertes",
        "ca-mensuel": "CA signé",
        "conversion": "Conversion",
    }
    for name, tab in tabs.items():
        at.session_state["ventes_tab"] = tab
        at.run()
        assert not at.exception
        tables = {tuple(d.value.columns): d.value for d in at.dataframe}
        expected = shown_columns.display(command(filled, name, *period))
        assert not expected.empty
        shown = tables[tuple(expected.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(shown, expected, check_dtype=False)
    results = command(filled, "resultats-type", *period)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires gagnées"] == f"{results['gagnees'].sum():,}".replace(",", "\u00a0")


def test_selecting_a_commercial_opens_their_open_affaires(filled: Path) -> None:
    at = open_page("app_pages/pipe.py")
    commerciaux = at.dataframe[2].value
    at.session_state["commerciaux_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    filters = at.session_state["affaires_filters"]
    assert isinstance(filters, Filters)
    assert filters.statuts == ["En cours"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires"] == commerciaux.iloc[0]["Ouvertes"]


def test_a_quality_line_leads_to_the_affaires_it_counts(filled: Path) -> None:
    at = open_page("app_pages/ventes.py")
    at.session_state["ventes_tab"] = "Qualité des données"
    at.run()
    count = int(command(filled, "qualite")["nombre"].iloc[1])
    at.button(key="qualite_sans_contact").click().run()
    assert at.session_state["affaires_filters"].sans_contact
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires"] == f"{count:,}".replace(",", "\u00a0")
    assert any("Filtres venant d'une analyse" in i.value for i in at.info)


def test_a_write_makes_the_next_view_fresh(_isolated_base: Path) -> None:
    at = open_page("app_pages/pipe.py")
    assert {m.label: m.value for m in at.metric}["Affaires en cours"] == "0"
    make_affaire(db.shared_connection(_isolated_base), ca_potentiel="1000", etape="Négociation")
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires en cours"] == "1"
    assert metrics["CA pondéré"] == "800\u00a0€"


@pytest.mark.parametrize("by", ["famille_article", "gestion_par", "type"])
def test_ca_signe_draws_every_breakdown(by: str, filled: Path) -> None:
    at = open_page("app_pages/ventes.py")
    at.session_state["ventes_tab"] = "CA signé"
    at.run()
    at.selectbox(key="ventes_by").set_value(by).run()
    assert not at.exception, [e.value for e in at.exception]
    columns = [list(d.value.columns) for d in at.dataframe]
    expected = ["mois", by, "ca_signe", "nombre", "ca_signe_annee_precedente"]
    assert [shown_columns.header(c) for c in expected] in columns


def test_the_stuck_count_is_every_stuck_affaire_not_the_display_cap(_isolated_base: Path) -> None:
    con = db.open_base(_isolated_base)
    compte = new_compte(con)
    long_ago = dt.date.today() - dt.timedelta(days=400)
    for _ in range(732):
        new_affaire(con, compte_id=compte, date_debut=long_ago)
    con.close()
    at = open_page("app_pages/ventes.py")
    at.session_state["ventes_tab"] = "Conversion"
    at.run()
    heading = next(m.value for m in at.markdown if "Affaires en cours depuis plus" in m.value)
    assert "(732)" in heading
    assert any("Le tableau montre les 500 affaires" in c.value for c in at.caption)


def test_a_drill_to_affaires_without_famille_ticks_the_sans_famille_box(filled: Path) -> None:
    at = open_page("app_pages/ventes.py")
    at.session_state["affaires_filters"] = Filters(sans_famille=True)
    at.switch_page("app_pages/affaires.py").run()
    assert not at.exception
    assert at.checkbox(key="affaires_sans_famille").value
    con = db.shared_connection(filled)
    count = list_totals(con, local_admin(con), Filters(sans_famille=True)).nombre
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Affaires"] == f"{count:,}".replace(",", "\u00a0")


def test_the_drill_banner_speaks_french(filled: Path) -> None:
    at = open_page("app_pages/ventes.py")
    target = Filters(statuts=["Gagnée"], cloture_du=dt.date(2024, 1, 1))
    at.session_state["affaires_filters"] = target
    at.switch_page("app_pages/affaires.py").run()
    banner = next(i.value for i in at.info if "Filtres venant d'une analyse" in i.value)
    assert "Clôturée à partir du : 01/01/2024" in banner
    assert "cloture_du" not in banner


def test_the_pipe_period_sits_with_the_figures_per_commercial(filled: Path) -> None:
    at = open_page("app_pages/pipe.py")
    before = [d.value for d in at.dataframe[:2]]
    at.segmented_control(key="pipe_preset").set_value("Ce mois").run()
    assert not at.exception
    for shown, earlier in zip(at.dataframe[:2], before, strict=True):
        pd.testing.assert_frame_equal(shown.value, earlier)
    subheaders = [s.value for s in at.subheader]
    # The period's picker is drawn in « Par commercial », after the pipe and the forecast.
    assert subheaders[:3] == ["Pipe par étape", "Prévision", "Par commercial"]
    assert all(m.help for m in at.metric)


def test_ventes_figures_each_say_what_they_are_and_this_year_shows_one_comparison(
    filled: Path,
) -> None:
    at = open_page("app_pages/ventes.py")
    helps = [m.help for m in at.metric][:5]
    assert len(set(helps)) == 5
    assert not any(h == "Comparé à la période précédente" for h in helps)
    assert not any("Précédente" in c.value for c in at.caption)
    at.segmented_control(key="ventes_preset").set_value("Ce trimestre").run()
    assert any("Précédente" in c.value for c in at.caption)
    assert not any(m.value == "None" for m in at.metric)


def test_an_unchanged_figure_gets_a_neutral_mark(_isolated_base: Path) -> None:
    con = db.open_base(_isolated_base)
    today = dt.date.today()
    for year in (today.year - 1, today.year):
        day = dt.date(year, 1, 1)
        new_affaire(con, statut="Gagnée", date_debut=day, date_signature=day, total_ht=1000)
    con.close()
    at = open_page("app_pages/ventes.py")
    metric = next(m for m in at.metric if m.label == "CA signé")
    assert metric.delta == "stable"
    assert metric.proto.color == metric.proto.GRAY
