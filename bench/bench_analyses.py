"""Benchmark of the analyses at a million affaires: each analysis against its floor (one
hand-written DuckDB query yielding the same figures, timed in the same run), each screen's full
server-side run under AppTest cold and cached, and the process's peak memory.

    python -m bench.bench_analyses [--affaires 1000000] [--db bench/out/analyses.duckdb]

The base is built once with `python -m crm_data demo` and reused from --db.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_objectifs import A14_FLOOR  # noqa: E402
from crm_data.analyses import registry as analyses  # noqa: E402
from crm_data.analyses.registry import Filters  # noqa: E402
from crm_data.store import db  # noqa: E402
from crm_data.users import local_admin  # noqa: E402

TODAY = dt.date.today()
PERIOD = Filters(du=dt.date(TODAY.year, 1, 1), au=TODAY, today=TODAY)
BOUNDS = {"du": PERIOD.du, "au": PERIOD.au, "today": PERIOD.today}
CLOSING = "CASE WHEN statut = 'Gagnée' THEN date_signature ELSE date_cloture END"

# Each floor: the one query a person would write for the figures, and the column whose total
# must equal the analysis's (checked, so a floor cannot drift from what it is compared with).
FLOORS: dict[str, tuple[str, str, str]] = {
    "pipe": (
        """
        SELECT e.nom, count(a.id) AS nombre, sum(a.ca_potentiel),
               sum(a.ca_potentiel * a.reussite) / 100, sum(a.ca_attendu)
        FROM etape AS e
        LEFT JOIN affaire AS a ON a.etape = e.nom AND a.statut = 'En cours'
        GROUP BY e.nom, e.ordre
        ORDER BY e.ordre
        """,
        "nombre",
        "nombre",
    ),
    "prevision": (
        """
        SELECT CASE WHEN date_fin IS NULL THEN 'Sans date' WHEN date_fin < $today
                    THEN 'En retard' ELSE strftime(date_fin, '%Y-%m') END AS mois,
               count(*) AS nombre, sum(ca_attendu), sum(ca_potentiel * reussite) / 100,
               sum(ca_potentiel)
        FROM affaire
        WHERE statut = 'En cours'
        GROUP BY 1
        """,
        "nombre",
        "nombre",
    ),
    "resultats-type": (
        f"""
        SELECT type, count(*) FILTER (WHERE statut = 'Gagnée') AS gagnees,
               count(*) FILTER (WHERE statut = 'Perdue'),
               count(*) FILTER (WHERE statut = 'Abandonnée'),
               sum(total_ht), avg(date_signature - date_debut)
        FROM affaire
        WHERE statut <> 'En cours'
          AND {CLOSING} BETWEEN $du AND $au
        GROUP BY type
        """,
        "gagnees",
        "gagnees",
    ),
    "pertes-code": (
        """
        SELECT code_cloture, count(*) AS nombre, sum(ca_potentiel)
        FROM affaire
        WHERE statut = 'Perdue'
          AND date_cloture BETWEEN $du AND $au
        GROUP BY code_cloture
        """,
        "nombre",
        "nombre",
    ),
    "ca-mensuel": (
        """
        SELECT strftime(date_signature, '%m') AS m,
               count(*) FILTER (WHERE date_signature >= $du) AS nombre,
               sum(total_ht) FILTER (WHERE date_signature >= $du),
               sum(total_ht) FILTER (WHERE date_signature < $du)
        FROM affaire
        WHERE statut = 'Gagnée'
          AND date_signature BETWEEN $du - INTERVAL 1 YEAR AND $au
        GROUP BY 1
        """,
        "nombre",
        "nombre",
    ),
    "objectif": (
        """
        SELECT sum(total_ht) AS ca_signe, sum(ca_attendu), sum(ca_potentiel)
        FROM affaire
        WHERE statut = 'Gagnée'
          AND date_signature BETWEEN $du AND $au
        """,
        "ca_signe",
        "ca_signe",
    ),
    "commerciaux": (
        f"""
        WITH f AS (
            SELECT gestion_par AS u,
                   count(*) FILTER (WHERE statut = 'En cours') AS nombre_ouvertes,
                   sum(ca_potentiel * reussite) FILTER (WHERE statut = 'En cours') / 100,
                   count(*) FILTER (WHERE statut = 'Gagnée' AND {CLOSING} BETWEEN $du AND $au),
                   count(*) FILTER (WHERE statut = 'Perdue' AND {CLOSING} BETWEEN $du AND $au),
                   sum(total_ht) FILTER (WHERE statut = 'Gagnée' AND {CLOSING} BETWEEN $du AND $au)
            FROM affaire
            GROUP BY gestion_par
        ),
        t AS (
            SELECT utilisateur_id AS u, count(*) AS actions_faites
            FROM action
            WHERE fait
              AND coalesce(fait_le, date_action) BETWEEN $du AND $au
            GROUP BY utilisateur_id
        )
        SELECT *
        FROM f
        FULL JOIN t USING (u)
        """,
        "nombre_ouvertes",
        "nombre_ouvertes",
    ),
    "conversion": (
        """
        WITH v AS (
            SELECT affaire_id, etape, valid_from,
                   etape IS DISTINCT FROM lag(etape) OVER w AS entree
            FROM affaire_version
            WINDOW w AS (PARTITION BY affaire_id ORDER BY valid_from, version)
        ),
        e AS (
            SELECT affaire_id, etape, valid_from,
                   lead(valid_from) OVER (PARTITION BY affaire_id ORDER BY valid_from) AS nxt
            FROM v
            WHERE entree
        )
        SELECT etape, count(DISTINCT affaire_id) AS entrees,
               median(date_diff('day', CAST(valid_from AS DATE), CAST(nxt AS DATE)))
        FROM e
        WHERE CAST(valid_from AS DATE) BETWEEN $du AND $au
        GROUP BY etape
        """,
        "entrees",
        "entrees",
    ),
    "qualite": (
        """
        SELECT count(*) FILTER (WHERE date_fin < $today) AS a,
               count(*) FILTER (WHERE contact_id IS NULL),
               count(*) FILTER (
                   WHERE date_diff('day', greatest(CAST(updated_at AS DATE),
                                                   coalesce(d.fait, CAST(updated_at AS DATE))),
                                   $today) > e.jours_sans_activite
               ),
               count(*) FILTER (WHERE ca_potentiel IS NULL), 0
        FROM affaire
        JOIN etape AS e ON e.nom = affaire.etape
        LEFT JOIN (
            SELECT affaire_id, max(coalesce(fait_le, date_action)) AS fait
            FROM action
            WHERE fait
            GROUP BY affaire_id
        ) AS d ON d.affaire_id = affaire.id
        WHERE statut = 'En cours'
        """,
        "a",
        "nombre",
    ),
    "objectifs": (A14_FLOOR, "ca_signe", "ca_signe"),
}


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(fn: Callable[[], object], runs: int = 7) -> float:
    """Fastest seconds of fn over runs, after one warm-up run (the least disturbed run: the
    machine may be shared)."""
    fn()
    return min(_timed(fn) for _ in range(runs))


def paired(a: Callable[[], object], b: Callable[[], object], runs: int = 9) -> tuple[float, float]:
    """Fastest seconds of a and of b, run alternately so that both meet the same load."""
    a()
    b()
    times = [(_timed(a), _timed(b)) for _ in range(runs)]
    return min(t[0] for t in times), min(t[1] for t in times)


def build(path: Path, n: int) -> None:
    """Build the demo base in a child process, so that its memory stays out of the peak below."""
    command = [sys.executable, "-m", "crm_data", "--db", str(path), "demo", "--affaires", str(n)]
    subprocess.run(command, check=True, cwd=ROOT)


def bench_analyses(con: db.Connection) -> list[tuple[str, float, float]]:
    actor = local_admin(con)
    rows = []
    # A10–A13 read affaire_version: bench/bench_timeline.py measures them.
    for name, analysis in analyses.REGISTRY.items():
        if name not in FLOORS:
            continue
        sql, floor_col, analysis_col = FLOORS[name]
        values = {k: v for k, v in BOUNDS.items() if f"${k}" in sql}

        def floor(sql: str = sql, values: dict[str, object] = values) -> object:
            with db.read(con) as cur:
                return cur.execute(sql, values).df()

        floor_frame = floor()
        frame = analysis(con, actor, PERIOD)
        expected = float(floor_frame[floor_col].sum())
        got = float(
            frame[analysis_col].iloc[:1].sum() if name == "qualite" else frame[analysis_col].sum()
        )
        if abs(expected - got) > 0.01:
            raise AssertionError(f"{name}: floor {expected} != analysis {got}")
        took, floor_took = paired(lambda a=analysis: a(con, actor, PERIOD), floor)  # type: ignore[misc]
        rows.append((name, took, floor_took))
    return rows


SCREENS = [
    ("app_pages/pipe.py", None),
    ("app_pages/ventes.py", None),
    ("app_pages/ventes.py", "Pertes"),
    ("app_pages/ventes.py", "CA signé"),
    ("app_pages/ventes.py", "Conversion"),
    ("app_pages/ventes.py", "Qualité des données"),
]


def bench_screens(path: Path) -> list[tuple[str, float, float]]:
    """Each screen (and each Ventes tab) run whole through dashboard.py: cold (empty analysis
    cache, base already open) and cached (the same view again)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # A server imports Plotly and xlsxwriter once, at its first analysis view: not a per-view cost.
    import crm_ui.analysis.charts
    import crm_ui.analysis.excel  # noqa: F401

    os.environ["CRM_DB"] = str(path)
    rows = []
    for page, tab in SCREENS:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
        at.run()
        at.switch_page(page)
        if tab:
            at.session_state["ventes_tab"] = tab
        st.cache_data.clear()
        cold = _timed(at.run)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        label = Path(page).stem + (f" / {tab}" if tab else "")
        rows.append((label, cold, best_of(at.run, runs=5)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affaires", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "analyses-demo.duckdb")
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build(args.db, args.affaires)
        print(f"base built in {time.perf_counter() - start:.0f} s: {args.db}")
    con = db.shared_connection(args.db)
    with db.read(con) as cur:
        count = cur.execute("SELECT count(*) FROM affaire").fetchone()
    print(f"affaires: {count[0] if count else 0:,}".replace(",", " "))
    print(f"\n{'analysis':<16}{'ms':>9}{'floor ms':>10}{'ratio':>8}")
    for name, took, floor in bench_analyses(con):
        print(f"{name:<16}{took * 1000:>9.1f}{floor * 1000:>10.1f}{took / floor:>8.2f}")
    state = best_of(lambda: analyses.base_state(con))
    print(f"{'base_state':<16}{state * 1000:>9.1f}")
    print(f"\n{'screen':<30}{'cold ms':>9}{'cached ms':>11}")
    for page, cold, cached in bench_screens(args.db):
        print(f"{page:<30}{cold * 1000:>9.0f}{cached * 1000:>11.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process (base open, analyses and screens served): {peak:.0f} MB")


if __name__ == "__main__":
    main()
