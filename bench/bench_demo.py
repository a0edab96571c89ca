"""Loading demo data at scale: wall time, base file size and peak memory, against DuckDB alone.

The demo's past is its affaire_version table (every write of an affaire, about 3.9 versions per
affaire); the base before versions, with one history row per changed field, was 672 MB at a
million affaires. The figures also give the mean number of versions per affaire.

Each measure runs in its own process so that its peak RSS and CPU time are its own (CPU time
tells the work apart from a busy machine's waits). The references write tables of random rows
with similar column types into a fresh file with CREATE TABLE AS SELECT: first one affaire-like
table of the same row count, then every table at the demo's row counts. With --postgresql the
demo also loads into a durable throwaway PostgreSQL server (register() is COPY there); that
server's own CPU is not in the child's figures.

    python bench/bench_demo.py --affaires 1000000 [--postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# An affaire's state, as the affaire and each of its versions hold it.
_STATE = """\
               'Renouvellement contrat ' || (random() * 1e6)::INTEGER || ' — Compte '
                   || (random() * 1e5)::INTEGER AS nom,
               DATE '2023-01-01' + (random() * 1000)::INTEGER AS date_debut,
               DATE '2023-03-01' + (random() * 1000)::INTEGER AS date_fin,
               (random() * 125000)::BIGINT AS compte_id,
               (random() * 300000)::BIGINT AS contact_id,
               (random() * 10)::BIGINT AS gestion_par,
               ['En cours', 'Gagnée', 'Perdue', 'Abandonnée'][1 + (random() * 3.99)::INTEGER]
                   AS statut,
               ['Qualification', 'Négociation'][1 + (random() * 0.99)::INTEGER] AS etape,
               ['Nouveau', 'Récurrent'][1 + (random() * 0.99)::INTEGER] AS type,
               ['Logiciel', 'Matériel'][1 + (random() * 0.99)::INTEGER] AS famille_article,
               CASE WHEN random() < 0.2 THEN 'Attente du retour du service achats.' END AS notes,
               (random() * 500000)::DECIMAL(14, 2) AS ca_potentiel,
               (random() * 100)::INTEGER AS reussite,
               (random() * 400000)::DECIMAL(14, 2) AS ca_attendu,
               CASE WHEN random() < 0.4 THEN 'Prix' END AS code_cloture,
               DATE '2023-06-01' + (random() * 1000)::INTEGER AS date_signature,
               (random() * 400000)::DECIMAL(14, 2) AS total_ht,
               DATE '2023-06-01' + (random() * 1000)::INTEGER AS date_cloture"""

# Column types close to the real tables: ids, dates, short and long text, decimals, integers.
REFERENCE_TABLES = {
    "affaire": f"""
        SELECT range AS id,
{_STATE},
               TIMESTAMP '2023-01-01' + to_seconds((random() * 9e7)::BIGINT) AS created_at,
               (random() * 10)::BIGINT AS created_by,
               TIMESTAMP '2023-01-01' + to_seconds((random() * 9e7)::BIGINT) AS updated_at,
               (random() * 10)::BIGINT AS updated_by,
               (random() * 5)::INTEGER AS version
        FROM range(?)
    """,
    "affaire_version": f"""
        SELECT (random() * 1e6)::BIGINT AS affaire_id,
               (1 + random() * 4)::INTEGER AS version,
               TIMESTAMP '2023-01-01' + to_seconds((random() * 9e7)::BIGINT) AS valid_from,
               (random() * 10)::BIGINT AS written_by,
{_STATE}
        FROM range(?)
    """,
    "action": """
        SELECT range AS id,
               (random() * 1e6)::BIGINT AS affaire_id,
               ['Mail', 'Téléphone', 'Relance'][1 + (random() * 2.99)::INTEGER] AS type,
               DATE '2023-01-01' + (random() * 1000)::INTEGER AS date_action,
               'Point d''avancement ' || (random() * 100)::INTEGER AS objet,
               CASE WHEN random() < 0.3 THEN 'Rappeler après la réunion.' END AS description,
               DATE '2023-01-01' + (random() * 1000)::INTEGER AS echeance,
               random() < 0.8 AS fait,
               DATE '2023-01-01' + (random() * 1000)::INTEGER AS fait_le,
               (random() * 10)::BIGINT AS utilisateur_id,
               TIMESTAMP '2023-01-01' + to_seconds((random() * 9e7)::BIGINT) AS created_at
        FROM range(?)
    """,
    "document": """
        SELECT range AS id,
               (random() * 1e6)::BIGINT AS affaire_id,
               ['Devis', 'Facture'][1 + (random() * 0.99)::INTEGER] AS type,
               'DEV-2025-' || lpad(range::VARCHAR, 6, '0') AS numero,
               DATE '2023-01-01' + (random() * 1000)::INTEGER AS date_document,
               (random() * 500000)::DECIMAL(14, 2) AS montant_ht,
               ['Envoyé', 'Accepté'][1 + (random() * 0.99)::INTEGER] AS statut
        FROM range(?)
    """,
}


def child_demo(db: str, affaires: int, today: dt.date, memory: str) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from crm_data.demo import generate as demo
    from crm_data.store.db import is_url, open_base, target

    start = time.perf_counter()
    con = open_base(target(db))
    if not is_url(db):
        con.execute("SET enable_progress_bar = false")
    if memory:
        con.execute("SET memory_limit = ?", [memory])
    counts = demo.generate(con, affaires=affaires, seed=1, today=today)
    con.close()
    return {"seconds": time.perf_counter() - start, "counts": counts}


def child_reference(db: str, sizes: dict[str, int]) -> dict[str, object]:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(db)
    con.execute("SET enable_progress_bar = false")
    for name, rows in sizes.items():
        con.execute(f"CREATE TABLE {name} AS {REFERENCE_TABLES[name]}", [rows])
    con.close()
    return {"seconds": time.perf_counter() - start}


def measure(args: list[str], db: Path | str) -> tuple[dict[str, object], float, int, float]:
    """Run one measure in a child process: its JSON result, wall time, peak RSS in bytes and CPU
    seconds (user and system)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"measure {args} failed with status {proc.returncode}")
    return json.loads(output), wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def _seconds(result: dict[str, object]) -> float:
    seconds = result["seconds"]
    assert isinstance(seconds, float)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--affaires", type=int, default=100_000)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 29))
    parser.add_argument("--child", choices=["demo", "reference"])
    parser.add_argument("--db")
    parser.add_argument(
        "--memory-limit", default="", help="DuckDB memory_limit for the demo load, e.g. 1GB"
    )
    parser.add_argument("--sizes", type=json.loads, default={})
    parser.add_argument(
        "--postgresql", action="store_true", help="also load the demo into PostgreSQL"
    )
    args = parser.parse_args()
    if args.child == "demo":
        print(json.dumps(child_demo(args.db, args.affaires, args.today, args.memory_limit)))
        return
    if args.child == "reference":
        print(json.dumps(child_reference(args.db, args.sizes)))
        return

    rows: list[tuple[str, float, float, float, Path | None, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        demo_db = Path(tmp) / "demo.duckdb"
        demo_args = ["demo", "--affaires", str(args.affaires), "--today", args.today.isoformat()]
        result, wall, rss, cpu = measure([*demo_args, "--memory-limit", args.memory_limit], demo_db)
        counts: dict[str, int] = result["counts"]  # type: ignore[assignment]
        rows.append(("demo.generate", _seconds(result), wall, cpu, demo_db, rss))
        references = {
            "DuckDB seul, table affaire": {"affaire": args.affaires},
            "DuckDB seul, mêmes volumes": {t: counts[t] for t in REFERENCE_TABLES},
        }
        for label, sizes in references.items():
            ref_db = Path(tmp) / f"ref{len(rows)}.duckdb"
            result, wall, rss, cpu = measure(["reference", "--sizes", json.dumps(sizes)], ref_db)
            rows.append((label, _seconds(result), wall, cpu, ref_db, rss))
        if args.postgresql:
            sys.path.insert(0, str(ROOT))
            from crm_data.store.pg_server import PgServer

            server = PgServer(durable=True)
            try:
                result, wall, rss, cpu = measure(demo_args, server.url)
                rows.append(("demo.generate PostgreSQL", _seconds(result), wall, cpu, None, rss))
            finally:
                server.stop()
        total_rows = sum(counts.values())
        print(f"{args.affaires:,} affaires, {total_rows:,} rows in all: {counts}")
        mean = counts.get("affaire_version", 0) / max(counts["affaire"], 1)
        print(f"{mean:.2f} versions per affaire")
        header = ("measure", "work s", "wall s", "cpu s", "file MB", "peak MB", "x/demo cpu")
        print(f"{header[0]:<30}" + "".join(f"{h:>11}" for h in header[1:]))
        for label, seconds, wall, cpu, path, rss in rows:
            size = path.stat().st_size / 1e6 if path else float("nan")
            ratio = cpu / rows[0][3]
            print(
                f"{label:<30} {seconds:10.1f} {wall:10.1f} {cpu:10.1f} {size:10.0f}"
                f" {rss / 1e6:10.0f} {ratio:10.2f}"
            )


if __name__ == "__main__":
    main()
