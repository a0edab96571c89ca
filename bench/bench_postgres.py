"""Benchmark of PostgreSQL against DuckDB on the same base (issue 16, « Measure »): each list
interaction (as an admin, and the first page as a commercial, through the row-level security
role), the board, each analysis (and those that take a past day, thirty days ago) and the
analyses' cache key, timed on both engines in the same run and reported as PostgreSQL / DuckDB
ratios; each pair of frames is checked equal. Then each screen's full server run (dashboard.py
under AppTest, CRM_DB set to the base), cold (a new session, the analysis cache emptied, the base
already open) and warm (the same view again).

    python -m bench.bench_postgres [--affaires 1000000] [--source bench/out/pg_source.duckdb]
        [--runs 5] [--url postgresql://… (a base already loaded from the source)]
        [--screens-only] [--no-analyses] [--list-only]

The DuckDB base is built once with `python -m crm_data demo` and reused from --source; it is
then copied into a durable throwaway PostgreSQL (fsync on: crm_data.store.pg_server) through
CSV files and COPY, table by table, and analysed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm_data import affaires_list, board  # noqa: E402
from crm_data.analyses import registry as analyses  # noqa: E402
from crm_data.filters import Filters  # noqa: E402
from crm_data.model import Actor, Role  # noqa: E402
from crm_data.store import db, pg_versions  # noqa: E402
from crm_data.store.pg_server import PgServer  # noqa: E402
from crm_data.users import local_admin  # noqa: E402

TABLES = (
    ("utilisateur", "id"),
    ("etape", "nom"),
    ("code_cloture", "nom"),
    ("famille_article", "nom"),
    ("compte", "id"),
    ("contact", "id"),
    ("affaire", "id"),
    ("affaire_version", "affaire_id, version"),
    ("action", "id"),
    ("objectif", "utilisateur_id, mois"),
    ("compte_cle", "nom_cle"),
    ("document", "id"),
    ("projet", "id"),
    ("affaire_historique", "id"),
    ("objectif_historique", "id"),
)
"""What the list, the board, the analyses and the screens read, parents first, with the order
they are copied in (so that ids and ties come out the same on both engines)."""

TODAY = dt.date.today()
PERIOD = Filters(du=dt.date(TODAY.year, 1, 1), au=TODAY, today=TODAY)


def build_source(path: Path, n: int) -> None:
    """The DuckDB base: the demo's n affaires (its own generator, on DuckDB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "crm_data", "demo", "--db", str(path), "--affaires", str(n)]
    subprocess.run(command, check=True, cwd=ROOT)


def _columns(cur: db.Connection, table: str, schema: str) -> list[str]:
    rows = cur.execute(
        """
        SELECT column_name
        FROM information_schema.columns
        WHERE table_name = $table
          AND table_schema = $schema
        ORDER BY ordinal_position
        """,
        {"table": table, "schema": schema},
    ).fetchall()
    return [str(r[0]) for r in rows]


def copy_to_postgresql(source: Path, url: str) -> dict[str, float]:
    """Every table of TABLES from the DuckDB file into the PostgreSQL base (migrated, empty of
    data but its reference rows, which the source's replace): seconds per table."""
    db.open_base(url).close()
    duck = db.open_base(source)
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder, psycopg.connect(url) as pg:
        for table, _ in reversed(TABLES):
            pg.execute(f"DELETE FROM {table}")
        for table, order in TABLES:
            start = time.perf_counter()
            with db.read(duck) as cur:
                theirs = {
                    str(r[0])
                    for r in pg.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = %s AND table_schema = 'public'",
                        [table],
                    ).fetchall()
                }
                columns = [c for c in _columns(cur, table, "main") if c in theirs]
                names = ", ".join(columns)
                csv = Path(folder) / f"{table}.csv"
                cur.execute(
                    f"COPY (SELECT {names} FROM {table} ORDER BY {order})"
                    f" TO '{csv}' (FORMAT csv, HEADER false)"
                )
            with (
                pg.cursor() as cur_pg,
                cur_pg.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
                csv.open("rb") as data,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
            pg.commit()
            csv.unlink()
            seconds[table] = time.perf_counter() - start
        pg.autocommit = True
        start = time.perf_counter()
        # As crm_data's own copy does: the triggers' update of the loaded versions is compacted.
        for statement in pg_versions.COMPACT:
            pg.execute(statement)
        seconds["vacuum analyze"] = time.perf_counter() - start
    duck.close()
    return seconds


def best_of(fn: Callable[[], object], runs: int) -> float:
    """Fastest seconds of fn over runs, after one warm-up run (the machine may be shared)."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _list(filters: Filters, **kw: Any) -> Callable[[db.Connection, Actor], object]:
    """One interaction of the Affaires list: its page and its filtered totals."""

    def run(con: db.Connection, actor: Actor) -> object:
        page = affaires_list.list_affaires(con, actor, filters, today=TODAY, **kw)
        affaires_list.list_totals(con, actor, filters)
        return page

    return run


def _analysis(
    analysis: analyses.Analysis, con: db.Connection, actor: Actor, filters: Filters = PERIOD
) -> object:
    return analysis(con, actor, filters)


PAST_DAY = replace(PERIOD, le=TODAY - dt.timedelta(days=30))
"""The pipe as it was thirty days ago (A10): the analyses that take a past day read states."""


INTERACTIONS: dict[str, Callable[[db.Connection, Actor], object]] = {
    "liste : première page": _list(Filters()),
    "liste (commercial) : première page": _list(Filters()),
    "liste : filtre statut + étape": _list(
        Filters(statuts=["En cours"], etapes=["Proposition commerciale"])
    ),
    "liste : tri par CA potentiel": _list(Filters(), sort="ca_potentiel"),
    "liste : page suivante": _list(Filters(), offset=50),
    "liste : recherche": _list(Filters(search="dupont")),
    "liste : dormantes": _list(Filters(statuts=["En cours"], dormantes=True)),
    "liste : tri par reports": _list(Filters(), sort="reports"),
    "tableau (kanban)": lambda con, actor: board.board(con, actor, Filters(), today=TODAY),
    "clé du cache des analyses": lambda con, actor: analyses.base_state(con),
    **{
        f"analyse {name}": partial(_analysis, analysis)
        for name, analysis in analyses.REGISTRY.items()
    },
    **{
        f"analyse {name} (il y a 30 jours)": partial(
            _analysis, analyses.REGISTRY[name], filters=PAST_DAY
        )
        for name in analyses.AS_ON_DAY
    },
}


def _commercial(con: db.Connection) -> Actor:
    """The commercial with the most affaires (the list's worst case for one of them)."""
    row = con.execute(
        """
        SELECT u.id, u.login, u.nom
        FROM utilisateur AS u
        JOIN affaire AS a ON a.gestion_par = u.id
        WHERE u.role = 'commercial'
        GROUP BY u.id, u.login, u.nom
        ORDER BY count(*) DESC, u.id
        LIMIT 1
        """
    ).fetchone()
    assert row is not None, "the demo base has no commercial"
    return Actor(int(row[0]), str(row[1]), str(row[2]), Role.COMMERCIAL)


def _one(con: db.Connection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _same(duck: object, pg: object) -> str:
    if isinstance(duck, pd.DataFrame) and isinstance(pg, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(duck, pg)
        except AssertionError:
            return "DIFFÉRENT"
        return "identique"
    if isinstance(duck, list) and isinstance(pg, list):
        same = all(
            (a.etape, a.nombre, a.ca_potentiel, a.ca_pondere)
            == (b.etape, b.nombre, b.ca_potentiel, b.ca_pondere)
            and a.cards.equals(b.cards)
            for a, b in zip(duck, pg, strict=True)
        )
        return "identique" if same else "DIFFÉRENT"
    return "-"


SCREENS: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("Affaires : liste", "app_pages/affaires.py", "", {}),
    ("Affaires : tableau", "app_pages/affaires.py", "", {"affaires_view": "Tableau"}),
    ("Fiche affaire", "app_pages/fiche.py", "affaire", {}),
    ("Comptes", "app_pages/comptes.py", "", {}),
    ("Fiche compte", "app_pages/fiche_compte.py", "compte", {}),
    ("Contacts", "app_pages/contacts.py", "", {}),
    ("Fiche contact", "app_pages/fiche_contact.py", "contact", {}),
    ("Mes actions", "app_pages/mes_actions.py", "", {}),
    ("Pipe", "app_pages/pipe.py", "", {}),
    *(
        (f"Ventes : {tab}", "app_pages/ventes.py", "", {"ventes_tab": tab})
        for tab in ("Résultats par type", "Pertes", "CA signé", "Conversion", "Qualité des données")
    ),
    ("Objectifs", "app_pages/objectifs.py", "", {}),
    ("Import / export", "app_pages/import_export.py", "", {}),
    ("Paramètres", "app_pages/parametres.py", "", {}),
    ("Utilisateurs", "app_pages/utilisateurs.py", "", {}),
    ("Sauvegardes", "app_pages/sauvegardes.py", "", {}),
)
"""Each screen: label, page file, the query parameter of its record (or none), the widget
states it is shown with."""

ANALYSIS_PAGES = ("app_pages/pipe.py", "app_pages/ventes.py", "app_pages/objectifs.py")
"""The analyses' screens, left out by --no-analyses."""

RECORDS = {
    "affaire": (
        "SELECT affaire_id FROM action GROUP BY affaire_id ORDER BY count(*) DESC, 1 LIMIT 1"
    ),
    "compte": (
        "SELECT compte_id FROM affaire GROUP BY compte_id ORDER BY count(*) DESC, 1 LIMIT 1"
    ),
    "contact": (
        "SELECT contact_id FROM affaire WHERE contact_id IS NOT NULL"
        " GROUP BY contact_id ORDER BY count(*) DESC, 1 LIMIT 1"
    ),
}
"""The record each record screen opens: the one with the most rows hanging on it."""


def bench_screens(
    base: str, records: dict[str, str], runs: int, *, analyses: bool = True
) -> dict[str, tuple[float, float]]:
    """Each screen of SCREENS (but the analyses' unless analyses) run whole through dashboard.py
    on the base (a path or a URL): label → (cold seconds, warm seconds). Cold: a new session,
    the analysis cache emptied, the base already open (by a first session); warm: the best of
    runs reruns of the same view."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["CRM_DB"] = base
    AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600).run()
    timings = {}
    for label, page, record, states in SCREENS:
        if not analyses and page in ANALYSIS_PAGES:
            continue
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        if page != "app_pages/affaires.py" or states or record:
            # The home page (the list) ran first: the screen's own run is the next one.
            st.cache_data.clear()
            if record:
                at.query_params[record] = records[record]
            for key, value in states.items():
                at.session_state[key] = value
            at.switch_page(page)
            start = time.perf_counter()
            at.run()
        cold = time.perf_counter() - start
        if at.exception:
            raise RuntimeError(f"{label}: {at.exception[0].value}")
        timings[label] = (cold, best_of(at.run, runs))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affaires", type=int, default=1_000_000)
    parser.add_argument("--source", type=Path, default=ROOT / "bench/out/pg_source.duckdb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="a PostgreSQL base already loaded from --source")
    parser.add_argument("--screens-only", action="store_true")
    parser.add_argument(
        "--no-analyses", action="store_true", help="only the list, the board and the other screens"
    )
    parser.add_argument(
        "--list-only", action="store_true", help="only the list's interactions, no screens"
    )
    args = parser.parse_args()
    if not args.source.exists():
        start = time.perf_counter()
        build_source(args.source, args.affaires)
        print(f"demo DuckDB de {args.affaires:_} affaires : {time.perf_counter() - start:.1f} s")
    server = None if args.url else PgServer(durable=True)
    try:
        url = args.url or _loaded(server, args.source)
        if not args.screens_only:
            bench_interactions(
                args.source,
                url,
                args.runs,
                analyses=not args.no_analyses and not args.list_only,
                only_list=args.list_only,
            )
        if args.list_only:
            return
        duck = db.open_base(args.source)
        records = {name: str(_one(duck, sql)) for name, sql in RECORDS.items()}
        duck.close()
        screens = {
            name: bench_screens(
                str(base), records, max(1, args.runs // 2), analyses=not args.no_analyses
            )
            for name, base in (("duckdb", args.source), ("postgresql", url))
        }
        print(
            f"\n{'écran (AppTest)':<34} {'DuckDB froid':>12} {'chaud':>7}"
            f" {'PostgreSQL froid':>16} {'chaud':>7} {'ratio froid':>11}"
        )
        for label, (duck_cold, duck_warm) in screens["duckdb"].items():
            pg_cold, pg_warm = screens["postgresql"][label]
            print(
                f"{label:<34} {duck_cold * 1000:12.0f} {duck_warm * 1000:7.0f}"
                f" {pg_cold * 1000:16.0f} {pg_warm * 1000:7.0f} {pg_cold / duck_cold:11.1f}"
            )
    finally:
        if server is not None:
            server.stop()


def _loaded(server: PgServer | None, source: Path) -> str:
    """A new database `crm` on the server, loaded from the source: its URL."""
    assert server is not None
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE crm")
    url = server.database_url("crm")
    for table, seconds in copy_to_postgresql(source, url).items():
        print(f"copie {table:<19} {seconds:7.1f} s")
    return url


def bench_interactions(
    source: Path, url: str, runs: int, *, analyses: bool = True, only_list: bool = False
) -> None:
    """Print each interaction's best time on both engines (the analyses' too when analyses, the
    list's alone when only_list), their ratio and whether the frames are equal."""
    duck = db.open_base(source)
    pg = db.open_base(url)
    count = duck.execute("SELECT count(*) FROM affaire").fetchone()
    print(f"{count[0] if count else 0:_} affaires, best of {runs} runs\n")
    print(f"{'mesure':<38} {'DuckDB ms':>10} {'PostgreSQL ms':>14} {'ratio':>7}  frames")
    for label, run in INTERACTIONS.items():
        if not analyses and label.startswith(("analyse ", "clé du cache")):
            continue
        if only_list and not label.startswith("liste"):
            continue
        results = {}
        times = {}
        for name, con in (("duckdb", duck), ("postgresql", pg)):
            actor = _commercial(con) if "(commercial)" in label else local_admin(con)
            results[name] = run(con, actor)
            times[name] = best_of(partial(run, con, actor), runs)
        ratio = times["postgresql"] / times["duckdb"]
        same = _same(results["duckdb"], results["postgresql"])
        print(
            f"{label:<38} {times['duckdb'] * 1000:10.1f} {times['postgresql'] * 1000:14.1f}"
            f" {ratio:7.1f}  {same}"
        )
    duck.close()
    pg.close()


if __name__ == "__main__":
    main()
