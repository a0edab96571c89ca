"""Benchmark of PostgreSQL against DuckDB on the same base (issue 16, « Measure »): each list
interaction, the board, each analysis and the analyses' cache key, timed on both engines in the
same run and reported as PostgreSQL / DuckDB ratios; each pair of frames is checked equal.

    python -m bench.bench_postgres [--affaires 1000000] [--source bench/out/pg_source.duckdb]

The DuckDB base is built once with `python -m crm_data demo` and reused from --source; it is
then copied into a durable throwaway PostgreSQL (fsync on: crm_data.store.pg_server) through
CSV files and COPY, table by table, and analysed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
from crm_data.model import Actor  # noqa: E402
from crm_data.store import db  # noqa: E402
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
)
"""What the list, the board and the analyses read, parents first, with the order they are
copied in (so that ids and ties come out the same on both engines)."""

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
        pg.execute("VACUUM ANALYZE")
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


def _analysis(analysis: analyses.Analysis, con: db.Connection, actor: Actor) -> object:
    return analysis(con, actor, PERIOD)


INTERACTIONS: dict[str, Callable[[db.Connection, Actor], object]] = {
    "liste : première page": _list(Filters()),
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
}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affaires", type=int, default=1_000_000)
    parser.add_argument("--source", type=Path, default=ROOT / "bench/out/pg_source.duckdb")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.source.exists():
        start = time.perf_counter()
        build_source(args.source, args.affaires)
        print(f"demo DuckDB de {args.affaires:_} affaires : {time.perf_counter() - start:.1f} s")
    server = PgServer(durable=True)
    try:
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE crm")
        url = server.database_url("crm")
        copied = copy_to_postgresql(args.source, url)
        for table, seconds in copied.items():
            print(f"copie {table:<16} {seconds:7.1f} s")
        duck = db.open_base(args.source)
        pg = db.open_base(url)
        count = duck.execute("SELECT count(*) FROM affaire").fetchone()
        print(f"{count[0] if count else 0:_} affaires, best of {args.runs} runs\n")
        print(f"{'mesure':<38} {'DuckDB ms':>10} {'PostgreSQL ms':>14} {'ratio':>7}  frames")
        for label, run in INTERACTIONS.items():
            results = {}
            times = {}
            for name, con in (("duckdb", duck), ("postgresql", pg)):
                actor = local_admin(con)
                results[name] = run(con, actor)
                times[name] = best_of(partial(run, con, actor), args.runs)
            ratio = times["postgresql"] / times["duckdb"]
            same = _same(results["duckdb"], results["postgresql"])
            print(
                f"{label:<38} {times['duckdb'] * 1000:10.1f} {times['postgresql'] * 1000:14.1f}"
                f" {ratio:7.1f}  {same}"
            )
        duck.close()
        pg.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
