"""Benchmark of the pipe through time at a million affaires with about 3.5 versions each: A10 on a
past day and A11 between two days, each against its floor (the hand-written DuckDB query over
affaire_version giving the same figures, timed in the same run), and the Pipe screen's full
server-side run on a past day under AppTest, cold and cached.

    python -m bench.bench_timeline [--affaires 1000000] [--db bench/out/timeline-demo.duckdb]

The base is built once with `python -m crm_data demo`; until the demo writes versions, this
bench derives them with SQL (3 or 4 per affaire ending on the affaire's current row).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_analyses import _timed, best_of, build, paired  # noqa: E402
from crm_data.analyses import registry as analyses  # noqa: E402
from crm_data.analyses.common import end_of_day  # noqa: E402
from crm_data.analyses.registry import Filters  # noqa: E402
from crm_data.store import db  # noqa: E402
from crm_data.users import local_admin  # noqa: E402

TODAY = dt.date.today()
PAST = TODAY - dt.timedelta(days=90)
D1 = TODAY - dt.timedelta(days=120)

COLUMNS = (
    "nom, date_debut, date_fin, compte_id, contact_id, gestion_par, statut, etape, type,"
    " famille_article, notes, ca_potentiel, reussite, ca_attendu, code_cloture, date_signature,"
    " total_ht, date_cloture"
)


def _step(fraction: str) -> str:
    return (
        f"make_timestamp(CAST(epoch_us(t1) + (epoch_us(tl) - epoch_us(t1)) * {fraction} AS BIGINT))"
    )


def fill_versions(con: db.Connection) -> None:
    """Derive each affaire's versions from its row: opened in Qualification at 90 % of its
    amount with a date fin 15 days earlier, then its étape and amount, then (one in two) its
    date fin pushed by 30 days, then the row as it is now, at its last update."""
    open_state = (
        "a.nom, a.date_debut, {date_fin}, a.compte_id, a.contact_id, a.gestion_par, 'En cours',"
        " {etape}, a.type, a.famille_article, NULL, {montant}, {reussite}, a.ca_attendu, NULL,"
        " NULL, NULL, NULL"
    )
    first = open_state.format(
        date_fin="a.date_fin - 45",
        etape="'Qualification'",
        montant="round(a.ca_potentiel * 0.9, 2)",
        reussite="20",
    )
    middle = open_state.format(
        date_fin="a.date_fin - 30",
        etape="CASE WHEN a.statut = 'En cours' THEN a.etape ELSE 'Proposition commerciale' END",
        montant="a.ca_potentiel",
        reussite="CASE WHEN a.statut = 'En cours' THEN a.reussite ELSE 60 END",
    )
    pushed = middle.replace("a.date_fin - 30", "a.date_fin")
    con.execute(
        f"""
        INSERT INTO affaire_version (affaire_id, version, valid_from, written_by, {COLUMNS})
        WITH t AS (
            SELECT a.*,
                   CAST(a.date_debut AS TIMESTAMP) + INTERVAL 9 HOUR AS t1,
                   least(
                       greatest(a.updated_at, CAST(a.date_debut AS TIMESTAMP) + INTERVAL 4 DAY),
                       CAST(now() AS TIMESTAMP) - INTERVAL 1 MINUTE
                   ) AS tl
            FROM affaire AS a
        )
        SELECT a.id, 1, t1, 1, {first} FROM t AS a
        UNION ALL
        SELECT a.id, 2, {_step("0.33")}, 1, {middle} FROM t AS a
        UNION ALL
        SELECT a.id, 3, {_step("0.66")}, 1, {pushed} FROM t AS a WHERE a.id % 2 = 0
        UNION ALL
        SELECT a.id, 4, tl, 1, {COLUMNS}
        FROM t AS a
        """
    )


FLOOR_STATES = """
    SELECT *
    FROM affaire_version
    WHERE valid_from < $fin
    QUALIFY row_number() OVER (PARTITION BY affaire_id ORDER BY valid_from DESC) = 1
"""

FLOOR_PIPE = f"""
    SELECT etape, count(*) AS nombre, sum(ca_potentiel), sum(ca_potentiel * reussite) / 100,
           sum(ca_attendu)
    FROM ({FLOOR_STATES})
    WHERE statut = 'En cours'
    GROUP BY etape
"""

FLOOR_MOVEMENTS = f"""
    WITH s1 AS ({FLOOR_STATES.replace("$fin", "$fin1")}),
    s2 AS ({FLOOR_STATES.replace("$fin", "$fin2")}),
    j AS (
        SELECT s1.statut = 'En cours' AS p1, s2.statut = 'En cours' AS p2,
               s1.affaire_id IS NOT NULL AS e1, s2.statut AS st2,
               coalesce(s1.ca_potentiel, 0) AS v1, coalesce(s2.ca_potentiel, 0) AS v2
        FROM s1
        FULL JOIN s2 ON s1.affaire_id = s2.affaire_id
    )
    SELECT CASE
               WHEN p1 AND p2 THEN CASE WHEN v2 > v1 THEN 'h' WHEN v2 < v1 THEN 'b' END
               WHEN p1 THEN st2
               WHEN p2 THEN CASE WHEN e1 THEN 'e' ELSE 'n' END
           END AS categorie,
           count(*) AS nombre,
           sum(CASE WHEN p1 AND p2 THEN v2 - v1 WHEN p1 THEN -v1 ELSE v2 END) AS montant,
           sum(v1) FILTER (WHERE p1) AS debut
    FROM j
    WHERE p1 OR p2
    GROUP BY 1
"""


def bench_queries(con: db.Connection) -> list[tuple[str, float, float]]:
    actor = local_admin(con)
    past = Filters(le=PAST)
    period = Filters(du=D1, au=PAST)

    def floor(sql: str, values: dict[str, object]) -> object:
        with db.read(con) as cur:
            return cur.execute(sql, values).df()

    pipe_values = {"fin": end_of_day(PAST)}
    moves_values = {"fin1": end_of_day(D1), "fin2": end_of_day(PAST)}
    expected = floor(FLOOR_PIPE, pipe_values)["nombre"].sum()  # type: ignore[index]
    got = analyses.pipe_by_etape(con, actor, past)["nombre"].sum()
    if expected != got:
        raise AssertionError(f"A10: floor {expected} != analysis {got}")
    moved = floor(FLOOR_MOVEMENTS, moves_values)
    waterfall = analyses.movements(con, actor, period)
    if abs(float(moved["montant"].sum()) - float(waterfall["montant"].iloc[1:-1].sum())) > 0.01:  # type: ignore[index]
        raise AssertionError("A11: floor and analysis differ")
    rows = []
    took, floor_took = paired(
        lambda: analyses.pipe_by_etape(con, actor, past),
        lambda: floor(FLOOR_PIPE, pipe_values),
        runs=5,
    )
    rows.append((f"A10 pipe au {PAST:%d/%m/%Y}", took, floor_took))
    took, floor_took = paired(
        lambda: analyses.movements(con, actor, period),
        lambda: floor(FLOOR_MOVEMENTS, moves_values),
        runs=5,
    )
    rows.append((f"A11 {D1:%d/%m} → {PAST:%d/%m}", took, floor_took))
    for name, run in (
        ("A12 fiabilite (year)", lambda: analyses.forecast_reliability(con, actor, Filters())),
        ("A13 glissements top 200", lambda: analyses.slipping(con, actor, Filters(), limit=200)),
    ):
        rows.append((name, best_of(run, runs=3), float("nan")))
    return rows


def bench_screen(path: Path) -> tuple[float, float]:
    """The Pipe screen on a past day (A1, A2, A7 as on that day and the movements tab) run
    whole through dashboard.py: cold (empty caches, base open) and cached."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import crm_ui.analysis.charts
    import crm_ui.analysis.excel  # noqa: F401

    os.environ["CRM_DB"] = str(path)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/pipe.py").run()
    key = next(w for w in at.date_input if w.key == "pipe_le")
    key.set_value(PAST)
    st.cache_data.clear()
    cold = _timed(at.run)
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return cold, best_of(at.run, runs=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affaires", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "timeline-demo.duckdb")
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.affaires)
    con = db.shared_connection(args.db)
    with db.read(con) as cur:
        versions = cur.execute("SELECT count(*) FROM affaire_version").fetchone()
    if not versions or versions[0] == 0:
        start = time.perf_counter()
        fill_versions(con)
        con.execute("CHECKPOINT")
        print(f"versions derived in {time.perf_counter() - start:.0f} s")
    with db.read(con) as cur:
        counts = cur.execute(
            "SELECT (SELECT count(*) FROM affaire), (SELECT count(*) FROM affaire_version)"
        ).fetchone()
    assert counts is not None
    print(f"affaires: {counts[0]:,}  versions: {counts[1]:,}".replace(",", " "))
    print(f"\n{'analysis':<28}{'ms':>9}{'floor ms':>10}{'ratio':>8}")
    for name, took, floor in bench_queries(con):
        print(f"{name:<28}{took * 1000:>9.1f}{floor * 1000:>10.1f}{took / floor:>8.2f}")
    cold, cached = bench_screen(args.db)
    print(f"\nPipe screen on {PAST:%d/%m/%Y}: cold {cold * 1000:.0f} ms", end="")
    print(f", cached {cached * 1000:.0f} ms")


if __name__ == "__main__":
    main()
