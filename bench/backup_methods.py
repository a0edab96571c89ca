"""How to copy a DuckDB base while the app writes to it: three methods compared.

Writers create affaires through crm_data (the affaire and its history in one transaction) while
each method copies the base; a copy is consistent when every affaire has its creation history.
Run: python -m bench.backup_methods [--writers 4] [--copies 5] [--affaires 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from crm_data import affaires, users
from crm_data.comptes import create_compte
from crm_data.store import backup, db


def _consistent(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        """
        SELECT (SELECT count(*) FROM affaire),
               (SELECT count(*) FROM affaire_historique WHERE champ = 'nom' AND ancien IS NULL),
               (SELECT count(*) FROM affaire_historique WHERE champ = 'compte_id')
        """
    ).fetchone()
    return row is not None and row[0] == row[1] == row[2]


def fill(con: db.Connection, compte: int, count: int) -> None:
    """count affaires with their creation history, written in bulk."""
    con.execute(
        """
        INSERT INTO affaire (nom, date_debut, compte_id, gestion_par, statut, etape, type, notes)
        SELECT 'Affaire ' || i, DATE '2026-01-01', ?, 1, 'En cours', 'Qualification',
               'Nouveau', repeat('note ', 40)
        FROM range(?) AS r(i)
        """,
        [compte, count],
    )
    con.execute(
        """
        INSERT INTO affaire_historique (affaire_id, changed_at, changed_by, champ, nouveau)
        SELECT a.id, now(), 1, f.champ, f.valeur
        FROM affaire AS a
        CROSS JOIN (VALUES ('nom', 'x'), ('compte_id', 'x')) AS f(champ, valeur)
        """
    )


def copy_from_database(con: db.Connection, target: Path) -> duckdb.DuckDBPyConnection:
    backup.backup(con, target)
    return duckdb.connect(str(target), read_only=True)


def export_database(con: db.Connection, target: Path) -> duckdb.DuckDBPyConnection:
    cur = con.cursor()
    # EXPORT and IMPORT take no bound path; target is a temporary folder of ours.
    cur.execute(f"EXPORT DATABASE '{target}' (FORMAT parquet)")
    cur.close()
    copy = duckdb.connect()
    copy.execute(f"IMPORT DATABASE '{target}'")
    return copy


def checkpoint_and_copy(con: db.Connection, target: Path) -> duckdb.DuckDBPyConnection:
    cur = con.cursor()
    # A plain CHECKPOINT refuses to run beside write transactions; FORCE aborts them.
    cur.execute("FORCE CHECKPOINT")
    cur.close()
    shutil.copyfile(str(db.default_db_path()), target)
    return duckdb.connect(str(target), read_only=True)


METHODS: dict[str, Callable[[db.Connection, Path], duckdb.DuckDBPyConnection]] = {
    "ATTACH + COPY FROM DATABASE (retenue)": copy_from_database,
    "EXPORT DATABASE (parquet)": export_database,
    "FORCE CHECKPOINT + copie du fichier": checkpoint_and_copy,
}


def run(
    method: Callable[..., duckdb.DuckDBPyConnection], folder: Path, args: argparse.Namespace
) -> tuple[int, int, int, float]:
    path = folder / "crm.duckdb"
    con = db.open_base(path)
    actor = users.local_admin(con)
    compte = create_compte(con, actor, {"nom": "Client du banc"})
    fill(con, compte, args.affaires)
    stop = threading.Event()
    aborted = [0]
    saved = [0]

    def write() -> None:
        while not stop.is_set():
            try:
                affaires.create_affaire(con, actor, {"nom": "Banc", "compte_id": compte})
                saved[0] += 1
            except Exception:
                aborted[0] += 1

    writers = [threading.Thread(target=write) for _ in range(args.writers)]
    for thread in writers:
        thread.start()
    bad, spent = 0, 0.0
    for n in range(args.copies):
        start = time.perf_counter()
        try:
            copy = method(con, folder / f"copie{n}")
            bad += not _consistent(copy)
            copy.close()
        except duckdb.Error:
            bad += 1
        spent += time.perf_counter() - start
    stop.set()
    for thread in writers:
        thread.join()
    con.close()
    return bad, saved[0], aborted[0], spent / args.copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--affaires", type=int, default=2000)
    args = parser.parse_args()
    print(f"{args.writers} writers, {args.copies} copies per method, {args.affaires} affaires")
    print(f"{'method':40} {'inconsistent':>12} {'saves/s':>8} {'aborted':>8} {'copy time':>10}")
    reference = 0.0
    for name, method in METHODS.items():
        with tempfile.TemporaryDirectory() as folder:
            os.environ["CRM_DB"] = str(Path(folder) / "crm.duckdb")
            bad, saved, aborted, mean = run(method, Path(folder), args)
        reference = reference or mean
        rate = saved / (mean * args.copies)
        print(f"{name:40} {bad:>12} {rate:>8.1f} {aborted:>8} {mean / reference:>9.2f}x")


if __name__ == "__main__":
    main()
