"""A Salesforce-like or Maven-like export through its shipped mapping, against read_csv.

Run: python -m bench.bench_mapping_import [--rows 100000 1000000] [--shape maven]. For each
size it writes an Opportunity.csv (with an Account.csv of 2,000 accounts beside it), or with
--shape maven a sales_pipeline.csv cycled from Maven's (its companions beside it), then in
separate processes (so that each peak memory is its own): read_csv of the file into a table
(the floor), the import through the mapping into a fresh base, and the export of the imported
affaires to CSV. Prints seconds, the ratio to read_csv and the peak resident memory of each
step; --memory-limit 300MB caps DuckDB's buffer pool to show what the steps need. With
--reimport, a last step imports the file into a fresh base then, in the same process, imports it
again with one row in ten given another amount (every row known by its source id) and times
that second run only; with --pg SERVER_URL too, that step works in a new database of that
PostgreSQL server instead of a DuckDB file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
PROBABILITIES = (10, 10, 20, 75, 90, 100, 0)


def write_files(folder: Path, rows: int) -> Path:
    """Opportunity.csv and Account.csv in folder, as Salesforce's Data Loader writes them."""
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT '001' || lpad(CAST(i AS VARCHAR), 15, '0') AS Id,
                   'Compte ' || i AS Name,
                   ['Retail', 'Finance', 'Education', 'Healthcare'][i % 4 + 1] AS Industry
            FROM range(2000) AS t(i)
        ) TO '{folder / "Account.csv"}' (HEADER, DELIMITER ',')
        """
    )
    stages = ", ".join(f"'{s}'" for s in STAGES)
    rates = ", ".join(str(p) for p in PROBABILITIES)
    con.execute(
        f"""
        COPY (
            SELECT '006' || lpad(CAST(i AS VARCHAR), 15, '0') AS Id,
                   '' AS IsDeleted,
                   '001' || lpad(CAST(hash(i) % 2000 AS VARCHAR), 15, '0') AS AccountId,
                   'Opportunité ' || i AS Name,
                   '' AS Description,
                   [{stages}][s + 1] AS StageName,
                   round(1000 + (hash(i * 7) % 100000000) / 1000.0, 2) AS Amount,
                   [{rates}][s + 1] AS Probability,
                   strftime(DATE '2024-01-01' + CAST(i % 700 AS INTEGER), '%Y-%m-%d')
                       AS CloseDate,
                   ['New Business', 'Existing Business'][i % 2 + 1] AS Type,
                   'Web' AS LeadSource,
                   strftime(TIMESTAMP '2023-06-01 10:00:00' + to_days(CAST(i % 200 AS INTEGER)),
                            '%Y-%m-%dT%H:%M:%S.000+0000') AS CreatedDate
            FROM (SELECT i, CAST(hash(i * 13) % 7 AS BIGINT) AS s FROM range({rows}) AS t(i))
        ) TO '{folder / "Opportunity.csv"}' (HEADER, DELIMITER ',')
        """
    )
    return folder / "Opportunity.csv"


MAVEN = Path("/work/shared/data/maven_crm")
MAPPING = "MAPPING"


def write_maven(folder: Path, rows: int) -> Path:
    """sales_pipeline.csv of rows deals cycled from Maven's own (each with a new opportunity
    id), with Maven's accounts, products and teams beside it: the shipped maven mapping's input."""
    for name in ("accounts.csv", "products.csv", "sales_teams.csv"):
        shutil.copy(MAVEN / name, folder / name)
    with (MAVEN / "sales_pipeline.csv").open(encoding="utf-8", newline="") as handle:
        header, *deals = list(csv.reader(handle))
    path = folder / "sales_pipeline.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(rows):
            deal = deals[n % len(deals)]
            writer.writerow([f"M{n:09d}", *deal[1:]])
    return path


MEMORY_LIMIT = "MEMORY_LIMIT"


def _limit(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB's buffer pool takes up to 80 % of the machine by default; a limit shows whether
    # the step really needs more memory for more rows.
    limit = os.environ.get(MEMORY_LIMIT)
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")


def step_read_csv(path: Path, _: Path) -> int:
    con = duckdb.connect()
    _limit(con)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
    row = con.execute("SELECT count(*) FROM t").fetchone()
    return int(row[0]) if row else 0


def step_import(path: Path, base: Path | str) -> int:
    from crm_data.imports.mapped import import_mapped_file
    from crm_data.mapping.store import load_mapping
    from crm_data.store.db import open_base
    from crm_data.users import local_admin

    con = open_base(base)
    _limit(con)
    mapping = load_mapping(con, os.environ.get(MAPPING, "salesforce"))
    report = import_mapped_file(con, local_admin(con), path, mapping)
    if report.errors or not report.written:
        raise SystemExit(f"import refused: {report.summary()} {report.errors[:3]}")
    con.close()
    return report.created


def step_export(_: Path, base: Path) -> int:
    from crm_data.files.export import export_affaires
    from crm_data.store.db import open_base
    from crm_data.users import local_admin

    con = open_base(base)
    _limit(con)
    return export_affaires(con, local_admin(con), base.with_suffix(".csv"))


AMOUNT_COLUMNS = ("Amount", "close_value")
"""The amount column of either shape: the re-import changes it on one row in ten."""


def write_changed(path: Path) -> None:
    """Rewrite path with one row in ten given another amount (other rows as they were)."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    amount = next(i for i, name in enumerate(header) if name in AMOUNT_COLUMNS)
    for n in range(0, len(rows), 10):
        rows[n][amount] = f"{float(rows[n][amount] or 0) + 1:.2f}"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *rows])


def step_reimport(path: Path, base: Path) -> int:
    """Import path, change it, and return the rows updated by its re-import; only that second
    import is timed (the child restarts its clock through REIMPORT_CLOCK)."""
    from crm_data.imports.mapped import import_mapped_file
    from crm_data.mapping.store import load_mapping
    from crm_data.store.db import open_base
    from crm_data.users import local_admin

    target = os.environ.get(PG_BASE) or base.with_name("re.duckdb")
    step_import(path, target)
    write_changed(path)
    con = open_base(target)
    _limit(con)
    mapping = load_mapping(con, os.environ.get(MAPPING, "salesforce"))
    CLOCK["start"] = time.perf_counter()
    report = import_mapped_file(con, local_admin(con), path, mapping)
    if report.errors or not report.written or report.created:
        raise SystemExit(f"re-import refused: {report.summary()} {report.errors[:3]}")
    con.close()
    return report.updated + report.unchanged


PG_BASE = "PG_BASE"
"""The URL of the PostgreSQL database the re-import step works in, when given."""


def new_pg_database(server: str, rows: int) -> str:
    """A new, empty database on the PostgreSQL server at server; its URL."""
    import psycopg

    name = f"bench_reimport_{rows}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


CLOCK: dict[str, float] = {}
"""When the timed part of a step began, if not at the step's start."""

STEPS = {"read_csv": step_read_csv, "import": step_import, "export": step_export}


def run_step(name: str, path: Path, base: Path) -> dict[str, float]:
    """Run one step in a fresh process; its seconds, rows and peak resident memory (MB)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_mapping_import", "--step", name, str(path), str(base)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def child(name: str, path: Path, base: Path) -> None:
    CLOCK["start"] = time.perf_counter()
    rows = {**STEPS, "reimport": step_reimport}[name](path, base)
    seconds = time.perf_counter() - CLOCK["start"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--step", nargs=3, metavar=("NAME", "FILE", "BASE"))
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for every step, e.g. 300MB")
    parser.add_argument("--shape", choices=("salesforce", "maven"), default="salesforce")
    parser.add_argument("--reimport", action="store_true", help="time a re-import too")
    parser.add_argument("--pg", metavar="SERVER_URL", help="re-import on this PostgreSQL server")
    args = parser.parse_args()
    if args.memory_limit:
        os.environ[MEMORY_LIMIT] = args.memory_limit
    if args.step:
        # The step's mapping is its parent's --shape, passed on by the environment.
        child(args.step[0], Path(args.step[1]), Path(args.step[2]))
        return
    os.environ[MAPPING] = args.shape
    print(f"{'rows':>9} {'step':<9} {'seconds':>8} {'x read_csv':>10} {'rows/s':>9} {'peak MB':>8}")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            writer = write_maven if args.shape == "maven" else write_files
            path = writer(Path(folder), rows)
            base = Path(folder) / "crm.duckdb"
            floor = None
            if args.pg:
                os.environ[PG_BASE] = new_pg_database(args.pg, rows)
            for name in [*STEPS, "reimport"] if args.reimport else STEPS:
                result = run_step(name, path, base)
                floor = floor or result["seconds"]
                seconds = result["seconds"]
                print(
                    f"{rows:>9} {name:<9} {seconds:>8.2f} {seconds / floor:>10.1f} "
                    f"{result['rows'] / seconds:>9.0f} {result['peak_mb']:>8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
