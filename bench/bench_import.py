"""The canonical import against DuckDB's own read_csv of the same file, with peak memory.

Run: python -m bench.bench_import [--rows 100000 1000000] [--engine postgresql]. For each size
it writes a canonical French CSV (~2,000 comptes), then in separate processes (each peak memory
its own, read by wait4): read_csv of the file into a table (the floor), and the streamed import
into a fresh base of the engine (PostgreSQL: a durable throwaway server, fsync on). Prints
seconds, the ratio to read_csv, rows/s and peak resident MB (of the Python process only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from crm_data.store.db import open_base
from crm_data.store.db import target as db_target
from crm_data.store.pg_server import PgServer
from crm_data.users import add_user

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "Nom;Date de début;Date fin;Compte;Contact;Gestion par;Statut;Etape;Type;"
    "Famille d'article;Notes;CA potentiel;Réussite;CA attendu;Code clôture;"
    "Date de signature;Total HT;Date de clôture"
)
USERS = [f"Commercial {n}" for n in ("Alice", "Bruno", "Chloé", "Denis", "Élodie", "Fabien")]
ETAPES = ("Qualification", "Analyse des besoins", "Proposition commerciale", "Négociation")
CODES = ("Prix", "Concurrent", "Projet annulé", "Pas de budget")
FAMILLES = ("Logiciel", "Matériel", "Prestation", "Formation", "Maintenance")
PRENOMS = ("Jean", "Marie", "Luc", "Anne", "Hélène", "Paul", "Sophie", "Éric")


def _amount(value: float) -> str:
    return f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",") + " €"


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A canonical CSV of rows affaires in French formats over about 2,000 comptes."""
    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            compte = f"Société {rng.randrange(2000):04d} SARL"
            contact = f"{rng.choice(PRENOMS)} Nom{rng.randrange(3)}"
            debut = start + dt.timedelta(days=rng.randrange(1000))
            fin = debut + dt.timedelta(days=rng.randrange(30, 200))
            ca = rng.uniform(1000, 200000)
            draw = rng.random()
            statut, code, signature, total, cloture = "En cours", "", "", "", ""
            if draw < 0.2:
                statut, signature, total = "Gagnée", fin.strftime("%d/%m/%Y"), _amount(ca * 0.9)
            elif draw < 0.35:
                statut, code, cloture = "Perdue", rng.choice(CODES), fin.strftime("%d/%m/%Y")
            elif draw < 0.4:
                statut, cloture = "Abandonnée", fin.strftime("%d/%m/%Y")
            cells = [
                f"Affaire {n}",
                debut.strftime("%d/%m/%Y"),
                fin.isoformat(),
                compte,
                contact,
                rng.choice(USERS),
                statut,
                rng.choice(ETAPES),
                rng.choice(("Nouveau", "Récurrent", "Mise à jour")),
                rng.choice(FAMILLES),
                "",
                _amount(ca),
                f"{rng.randrange(0, 101)} %",
                _amount(ca * 0.5),
                code,
                signature,
                total,
                cloture,
            ]
            out.write(";".join(cells) + "\n")


def _base(target: str) -> str:
    """A fresh base at target: a DuckDB file path, or a PostgreSQL URL (its tables emptied by
    a new database: bench_import makes one per run)."""
    con = open_base(db_target(target))
    for n, nom in enumerate(USERS):
        add_user(con, None, f"user{n}", "commercial", nom=nom)
    con.close()
    return target


def step_read_csv(source: Path, target: str) -> int:
    con = duckdb.connect(target)
    con.execute(
        "CREATE TABLE affaire AS SELECT * FROM read_csv($path, delim = ';', header = true)",
        {"path": str(source)},
    )
    found = con.execute("SELECT count(*) FROM affaire").fetchone()
    con.close()
    return int(found[0]) if found else 0


def step_import(source: Path, target: str) -> int:
    from crm_data.imports.canonical import import_file
    from crm_data.users import local_admin

    con = open_base(db_target(target))
    report = import_file(con, local_admin(con), source)
    con.close()
    if not report.written:
        raise SystemExit(f"import refused: {[str(e) for e in report.errors[:3]]}")
    return len(report.affaire_ids)


STEPS = {"read_csv": step_read_csv, "import": step_import}


def run_step(name: str, source: Path, target: str) -> dict[str, float]:
    """One step in a fresh process: its seconds and rows, and its peak resident memory (MB)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_import", "--step", name, str(source), target],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"step {name} failed")
    return {**json.loads(output.strip().splitlines()[-1]), "peak_mb": usage.ru_maxrss / 1024}


def child(name: str, source: Path, target: str) -> None:
    start = time.perf_counter()
    rows = STEPS[name](source, target)
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engine", choices=("duckdb", "postgresql"), default="duckdb")
    parser.add_argument("--step", nargs=3, metavar=("NAME", "FILE", "BASE"))
    args = parser.parse_args()
    if args.step:
        child(args.step[0], Path(args.step[1]), args.step[2])
        return
    server = PgServer(durable=True) if args.engine == "postgresql" else None
    print(f"engine {args.engine}")
    print(f"{'rows':>9} {'step':<9} {'seconds':>8} {'x read_csv':>10} {'rows/s':>9} {'peak MB':>8}")
    try:
        for rows in args.rows:
            with tempfile.TemporaryDirectory() as folder:
                work = Path(folder)
                source = work / "affaires.csv"
                write_csv(source, rows)
                target = str(work / "crm.duckdb")
                if server is not None:
                    target = _pg_database(server.url, f"bench_import_{rows}")
                _base(target)
                floor = run_step("read_csv", source, str(work / "floor.duckdb"))
                result = run_step("import", source, target)
                for name, measured in (("read_csv", floor), ("import", result)):
                    seconds = measured["seconds"]
                    print(
                        f"{rows:>9} {name:<9} {seconds:>8.2f} {seconds / floor['seconds']:>10.1f}"
                        f" {measured['rows'] / seconds:>9.0f} {measured['peak_mb']:>8.0f}",
                        flush=True,
                    )
    finally:
        if server is not None:
            server.stop()


def _pg_database(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rpartition("/")[0] + "/" + name


if __name__ == "__main__":
    main()
