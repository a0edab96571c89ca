"""Every drill-down lists exactly the affaires its figure counts (on a random base)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from crm_data.affaires_list import list_totals
from crm_data.analyses import drill as analyses_drill
from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import Filters
from crm_data.model import Actor
from crm_data.store.db import Connection
from crm_data.users import get_actor, local_admin
from tests import engines
from tests.analyses_factory import D, new_affaire, new_base, new_named_user
from tests.random_base import random_base

PERIOD = Filters(
    du=dt.date(2024, 2, 10), au=dt.date(2025, 3, 20), familles=("Logiciel", "Matériel")
)


@pytest.fixture(scope="module", params=engines.ENGINES)
def base(request: pytest.FixtureRequest) -> Iterator[tuple[Connection, Actor, Actor]]:
    target = engines.module_target(request.param)
    con = random_base(5_000, seed=11, path=target)
    yield con, local_admin(con), get_actor(con, "com1")
    con.close()
    engines.drop_target(target)


def _count(con: Connection, actor: Actor, filters: object) -> int:
    return list_totals(con, actor, filters).nombre  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["admin", "commercial"])
def test_pipe_and_forecast_drill_downs_count_what_the_bars_show(
    base: tuple[Connection, Actor, Actor], who: str
) -> None:
    con, admin, commercial = base
    actor = admin if who == "admin" else commercial
    for row in analyses.pipe_by_etape(con, actor, PERIOD).itertuples():
        assert _count(con, actor, analyses_drill.open_at_etape(PERIOD, row.etape)) == row.nombre
    for row in analyses.forecast(con, actor, PERIOD).itertuples():
        assert _count(con, actor, analyses_drill.forecast_bucket(PERIOD, row.mois)) == row.nombre


def test_sales_drill_downs_count_what_the_bars_and_cells_show(
    base: tuple[Connection, Actor, Actor],
) -> None:
    con, admin, _ = base
    for row in analyses.results_by_type(con, admin, PERIOD).itertuples():
        for statut, figure in (
            ("Gagnée", row.gagnees),
            ("Perdue", row.perdues),
            ("Abandonnée", row.abandonnees),
        ):
            drill = analyses_drill.closed_in_period(PERIOD, statut, type=row.type)
            assert _count(con, admin, drill) == figure
    for row in analyses.losses_by_code(con, admin, PERIOD).itertuples():
        drill = analyses_drill.closed_in_period(PERIOD, "Perdue", code_cloture=row.code_cloture)
        assert _count(con, admin, drill) == row.nombre
    matrix = analyses.losses_matrix(con, admin, PERIOD).set_index("etape")
    for etape, line in matrix.iterrows():
        for code, figure in line.items():
            drill = analyses_drill.closed_in_period(
                PERIOD, "Perdue", code_cloture=str(code), etape=str(etape)
            )
            assert _count(con, admin, drill) == figure
    for row in analyses.monthly_revenue(con, admin, PERIOD).itertuples():
        assert _count(con, admin, analyses_drill.signed_in_month(PERIOD, row.mois)) == row.nombre


def test_commercial_and_quality_drill_downs_count_what_the_lines_show(
    base: tuple[Connection, Actor, Actor],
) -> None:
    con, admin, _ = base
    for row in analyses.commercial_figures(con, admin, PERIOD).itertuples():
        user_id = int(row.gestion_par_id)
        drill = analyses_drill.open_of_user(PERIOD, user_id)
        assert _count(con, admin, drill) == row.nombre_ouvertes
        won = analyses_drill.closed_in_period(PERIOD, "Gagnée", gestion_par=user_id)
        assert _count(con, admin, won) == row.gagnees
    quality = analyses.data_quality(con, admin, PERIOD)
    for key, figure in zip(analyses.QUALITY_CHECKS, quality["nombre"], strict=True):
        assert _count(con, admin, analyses_drill.quality_check(PERIOD, key)) == figure


@pytest.mark.parametrize("by", ["type", "famille_article", "gestion_par"])
def test_a_broken_down_month_drills_to_its_value(
    base: tuple[Connection, Actor, Actor], by: str
) -> None:
    con, admin, _ = base
    frame = analyses.monthly_revenue(con, admin, PERIOD, by=by)
    assert not frame.empty
    for row in frame.itertuples():
        key = str(row.gestion_par_id) if by == "gestion_par" else getattr(row, by)
        drill = analyses_drill.signed_in_month(PERIOD, row.mois, by, key)
        assert _count(con, admin, drill) == row.nombre


@pytest.mark.usefixtures("engine")
def test_the_empty_famille_bar_drills_into_the_affaires_without_famille() -> None:
    con, admin = new_base()
    for famille in (None, None, "Logiciel"):
        new_affaire(con, statut="Gagnée", date_signature=D("2026-01-15"), famille_article=famille)
    period = Filters(du=D("2026-01-01"), au=D("2026-03-31"))
    frame = analyses.monthly_revenue(con, admin, period, by="famille_article")
    empty = frame[frame["famille_article"] == ""].iloc[0]
    drill = analyses_drill.signed_in_month(period, "2026-01", "famille_article", "")
    assert _count(con, admin, drill) == empty["nombre"] == 2


@pytest.mark.usefixtures("engine")
def test_a_user_bar_drills_into_that_users_affaires_when_two_share_a_name() -> None:
    con, admin = new_base()
    first = new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    new_affaire(con, statut="Gagnée", date_signature=D("2026-01-15"), gestion_par=first.id)
    for _ in range(2):
        new_affaire(con, statut="Gagnée", date_signature=D("2026-01-16"), gestion_par=second.id)
    period = Filters(du=D("2026-01-01"), au=D("2026-03-31"))
    frame = analyses.monthly_revenue(con, admin, period, by="gestion_par")
    for row in frame.itertuples():
        drill = analyses_drill.signed_in_month(
            period, row.mois, "gestion_par", str(row.gestion_par_id)
        )
        assert _count(con, admin, drill) == row.nombre
    assert frame["nombre"].tolist() == [1, 2]
