"""Import throughput against DuckDB's own read_csv of the same file, and the export's time.

Run: python -m bench.bench_import [--rows N]. Writes a canonical French CSV (~2,000 comptes),
imports it with `python -m crm_data import` into a fresh base, reads it with read_csv (the floor),
exports the imported base to CSV and XLSX, and prints rows/s and ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from crm_data.store.db import open_base
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


def cli(*args: str) -> float:
    """Seconds taken by `python -m crm_data args`; raises when it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crm_data", *args], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "affaires.csv"
        write_csv(source, rows)
        db = work / "crm.duckdb"
        con = open_base(db)
        for n, nom in enumerate(USERS):
            add_user(con, None, f"user{n}", "commercial", nom=nom)
        con.close()

        floor_con = duckdb.connect(str(work / "floor.duckdb"))
        began = time.perf_counter()
        floor_con.execute(
            "CREATE TABLE affaire AS SELECT * FROM read_csv($path, delim = ';', header = true)",
            {"path": str(source)},
        )
        floor = time.perf_counter() - began
        floor_con.close()

        imported = cli("--db", str(db), "import", str(source))
        export_csv = cli("--db", str(db), "export", str(work / "export.csv"))
        export_xlsx = cli("--db", str(db), "export", str(work / "export.xlsx"))

    print(f"{rows} affaires, {source.name} with ~2,000 comptes")
    print(f"{'step':<34}{'seconds':>9}{'rows/s':>11}{'× floor':>9}")
    for label, seconds in (
        ("DuckDB read_csv (floor)", floor),
        ("python -m crm_data import", imported),
        ("python -m crm_data export .csv", export_csv),
        ("python -m crm_data export .xlsx", export_xlsx),
    ):
        print(f"{label:<34}{seconds:>9.2f}{rows / seconds:>11,.0f}{seconds / floor:>9.1f}")


if __name__ == "__main__":
    main()
