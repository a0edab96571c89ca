"""The same random base on DuckDB and on PostgreSQL gives identical frames (values and dtypes) for
every analysis of the registry, their extra views, the list (every sort, pages, marks, totals)
and the board; on PostgreSQL the analyses' cache key is the change stamp, moved by writes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_data import affaires, affaires_list, board
from crm_data.analyses import objectifs as objectifs_analysis
from crm_data.analyses import registry as analyses
from crm_data.analyses.common import base_state
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store import pg_versions
from crm_data.store.db import Connection, open_base
from crm_data.users import get_actor, local_admin
from tests import engines
from tests.factories import make_affaire
from tests.random_base import ETAPES, random_base

D = dt.date.fromisoformat
N = 4_000

CASES: dict[str, tuple[str, Filters]] = {
    "admin_2025": ("admin", Filters(du=D("2025-01-01"), au=D("2025-12-31"), today=D("2025-03-15"))),
    "admin_as_on_a_day": (
        "admin",
        Filters(du=D("2024-06-01"), au=D("2025-05-31"), today=D("2025-01-20"), le=D("2024-11-30")),
    ),
    "commercial_filtered": (
        "com2",
        Filters(
            du=D("2024-03-15"),
            au=D("2025-02-10"),
            types=["Nouveau", "Récurrent"],
            familles=["Logiciel", "Prestation"],
            sans_famille=True,
            today=D("2025-01-20"),
        ),
    ),
    "manager_etapes_users": (
        "admin",
        Filters(
            du=D("2024-01-01"),
            au=D("2026-06-30"),
            etapes=["Analyse des besoins", "Négociation"],
            gestion_par=[3, 5],
            search="affaire 1",
            today=D("2024-12-31"),
        ),
    ),
}


def _monthly_by(con: Connection, actor: Actor, filters: Filters, by: str) -> pd.DataFrame:
    return analyses.monthly_revenue(con, actor, filters, by=by)


EXTRA: dict[str, Callable[[Connection, Actor, Filters], pd.DataFrame]] = {
    "pertes-matrice": analyses.losses_matrix,
    "bloquees": analyses.stuck_affaires,
    "commerciaux-ids": analyses.commercial_figures,
    "ventes-entete": analyses.sales_summary,
    "velocite": analyses.velocity,
    "glissements-10": lambda c, a, f: analyses.slipping(c, a, f, limit=10),
    "mouvements-pondere-fenetre": lambda c, a, f: analyses.movements(
        c, a, f, valeur="ca_pondere", fenetre=(D("2024-06-01"), D("2025-06-30"))
    ),
    "mouvements-affaires": analyses.movement_affaires,
    "mouvements-gagnees": lambda c, a, f: analyses.movement_affaires(c, a, f, "gagnees"),
    "fiabilite-par-commercial": lambda c, a, f: analyses.forecast_reliability(
        c, a, f, by="gestion_par"
    ),
    "objectifs-detail": objectifs_analysis.objectifs_detail,
    "couverture": objectifs_analysis.coverage,
    **{f"ca-mensuel-par-{by}": partial(_monthly_by, by=by) for by in analyses.BREAKDOWNS},
}

LIST_FILTERS: dict[str, Filters] = {
    "all": Filters(),
    "open_late_or_dormant": Filters(statuts=["En cours"], dormantes=True, today=D("2025-06-01")),
    "search_closed": Filters(
        search="affaire 2", statuts=["Gagnée", "Perdue"], cloture_du=D("2024-06-01")
    ),
    "slipped_no_contact": Filters(reports_min=1, sans_contact=True),
    "codes_dates": Filters(
        codes_cloture=["Prix", "Concurrent"],
        date_debut_du=D("2024-01-01"),
        date_fin_au=D("2025-12-31"),
    ),
    "by_ids": Filters(affaire_ids=list(range(1, 400, 7)), sans_ca_potentiel=False),
}


def _objectifs(con: Connection) -> None:
    """The same objectifs on both engines: most commerciaux and months of 2024-2026."""
    rng = np.random.default_rng(11)
    users = [int(i) for i in con.execute("SELECT id FROM utilisateur ORDER BY id").df()["id"]]
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    grid = pd.MultiIndex.from_product([users[1:], months], names=["utilisateur_id", "mois"])
    frame = grid.to_frame(index=False)
    frame["montant"] = rng.integers(0, 20_000_000, len(frame)) / 100
    frame = frame[rng.random(len(frame)) < 0.7]
    cur = con.cursor()
    try:
        cur.register("targets", frame)
        cur.execute(
            "INSERT INTO objectif (utilisateur_id, mois, montant) "
            "SELECT utilisateur_id, CAST(mois AS DATE), CAST(montant AS DECIMAL(14, 2)) "
            "FROM targets"
        )
        cur.unregister("targets")
    finally:
        cur.close()


@pytest.fixture(scope="module")
def bases() -> Iterator[dict[str, Connection]]:
    url = engines.kept_pg_url()
    made = {
        engines.DUCKDB: random_base(N, path=":memory:"),
        engines.POSTGRESQL: random_base(N, path=url),
    }
    for con in made.values():
        _objectifs(con)
    yield made
    made[engines.DUCKDB].close()
    engines.drop_pg_url(url)


def _actor(con: Connection, who: str) -> Actor:
    return local_admin(con) if who == "admin" else get_actor(con, who)


def _both(
    bases: dict[str, Connection], run: Callable[[Connection], pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return run(bases[engines.DUCKDB]), run(bases[engines.POSTGRESQL])


@pytest.mark.parametrize("table", ["affaire", "affaire_version", "action", "objectif"])
def test_the_random_bases_hold_the_same_rows(bases: dict[str, Connection], table: str) -> None:
    order = {"affaire_version": "affaire_id, version", "objectif": "utilisateur_id, mois"}
    # The instants a row was written at differ between the two bases, nothing else; the
    # columns PostgreSQL derives are its own (tests/test_pg_versions.py checks them).
    written = ["created_at", "updated_at", *pg_versions.DERIVED.get(table, ())]
    frames = [
        con.execute(f"SELECT * FROM {table} ORDER BY {order.get(table, 'id')}")
        .df()
        .drop(columns=written, errors="ignore")
        for con in bases.values()
    ]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert len(frames[0]) > 0


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", [*analyses.REGISTRY, *EXTRA])
def test_every_analysis_gives_the_same_frame(
    bases: dict[str, Connection], name: str, case: str
) -> None:
    who, filters = CASES[case]
    analysis = analyses.REGISTRY.get(name) or EXTRA[name]
    duck, pg = _both(bases, lambda con: analysis(con, _actor(con, who), filters))
    pd.testing.assert_frame_equal(duck, pg)


@pytest.mark.parametrize("case", list(CASES))
def test_the_drill_down_ids_of_the_pipe_are_the_same(
    bases: dict[str, Connection], case: str
) -> None:
    who, filters = CASES[case]
    for etape in [None, *ETAPES]:
        found = [
            analyses.open_ids_at(con, _actor(con, who), filters, etape=etape, mois=mois)
            for con in bases.values()
            for mois in (None, analyses.EN_RETARD, "2025-02")
        ]
        assert found[:3] == found[3:]


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("sort", list(affaires_list.SORTABLE))
def test_every_sort_of_the_list_gives_the_same_pages(
    bases: dict[str, Connection], sort: str, descending: bool
) -> None:
    for offset in (0, 50, 3_950):
        page = partial(
            affaires_list.list_affaires,
            filters=Filters(),
            sort=sort,
            descending=descending,
            offset=offset,
            today=D("2025-06-01"),
            reports=True,
        )
        duck, pg = _both(bases, lambda con: page(con, local_admin(con)))  # noqa: B023
        pd.testing.assert_frame_equal(duck, pg)


@pytest.mark.parametrize("who", ["admin", "com1"])
@pytest.mark.parametrize("name", list(LIST_FILTERS))
def test_every_filter_of_the_list_gives_the_same_page_totals_and_ids(
    bases: dict[str, Connection], name: str, who: str
) -> None:
    filters = LIST_FILTERS[name]
    duck, pg = _both(
        bases,
        lambda con: affaires_list.list_affaires(
            con, _actor(con, who), filters, sort="date_fin", limit=200, today=D("2025-06-01")
        ),
    )
    pd.testing.assert_frame_equal(duck, pg)
    totals = [affaires_list.list_totals(con, _actor(con, who), filters) for con in bases.values()]
    ids = [affaires_list.affaire_ids(con, _actor(con, who), filters) for con in bases.values()]
    assert totals[0] == totals[1]
    assert ids[0] == ids[1]


def test_the_dormant_days_of_each_affaire_are_the_same(bases: dict[str, Connection]) -> None:
    days = [
        [
            affaires_list.dormant_days(con, local_admin(con), i, today=D("2025-06-01"))
            for i in range(1, 300)
        ]
        for con in bases.values()
    ]
    assert days[0] == days[1]
    assert any(d is not None for d in days[0])


@pytest.mark.parametrize("who", ["admin", "com3"])
def test_the_board_is_the_same(bases: dict[str, Connection], who: str) -> None:
    columns = [
        board.board(con, _actor(con, who), Filters(types=["Nouveau"]), today=D("2025-06-01"))
        for con in bases.values()
    ]
    assert len(columns[0]) == len(columns[1]) > 0
    for duck, pg in zip(*columns, strict=True):
        assert asdict(replace(duck, cards=None)) == asdict(replace(pg, cards=None))
        pd.testing.assert_frame_equal(duck.cards, pg.cards)


@pytest.fixture
def pg_base() -> Iterator[Connection]:
    url = engines.kept_pg_url()
    con = open_base(url)
    yield con
    engines.drop_pg_url(url)


def test_on_postgresql_a_write_changes_the_cache_key(pg_base: Connection) -> None:
    before = base_state(pg_base)
    affaire_id = make_affaire(pg_base, ca_potentiel=1000)
    created = base_state(pg_base)
    version = affaires.get_affaire(pg_base, local_admin(pg_base), affaire_id).version
    affaires.update_affaire(pg_base, local_admin(pg_base), affaire_id, {"reussite": 40}, version)
    updated = base_state(pg_base)
    assert len({before, created, updated}) == 3


def test_on_postgresql_reads_leave_the_cache_key(pg_base: Connection) -> None:
    make_affaire(pg_base, ca_potentiel=1000)
    before = base_state(pg_base)
    admin = local_admin(pg_base)
    for analysis in analyses.REGISTRY.values():
        analysis(pg_base, admin, Filters())
    affaires_list.list_affaires(pg_base, admin, Filters())
    board.board(pg_base, admin, Filters())
    assert base_state(pg_base) == before


def test_on_duckdb_the_cache_key_still_reads_the_data(tmp_path: Path) -> None:
    con = open_base(tmp_path / "crm.duckdb")
    before = base_state(con)
    make_affaire(con)
    after = base_state(con)
    assert before != after
    assert after[0] == 1, "DuckDB's key counts the affaires, as before"
    con.close()
