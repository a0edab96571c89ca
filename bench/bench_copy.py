"""`copy --vers` between the engines and PostgreSQL backups, against DuckDB's own backup of the
same base (ATTACH + COPY FROM DATABASE), measured in the same run on a durable server.

Run: python -m bench.bench_copy [--affaires 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from crm_data.demo import generate
from crm_data.store import backup, copy, db
from crm_data.store.pg_server import PgServer


def _timed(label: str, work: Callable[[], object], reference: float | None) -> float:
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    ratio = f" ({elapsed / reference:.1f}× DuckDB's backup)" if reference else ""
    print(f"{label:<38} {elapsed:7.2f} s{ratio}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--affaires", type=int, default=100_000)
    args = parser.parse_args()
    server = PgServer(durable=True)
    try:
        with tempfile.TemporaryDirectory(prefix="crm-bench-copy-") as folder:
            here = Path(folder)
            source = db.open_base(here / "source.duckdb")
            counts = generate.generate(source, affaires=args.affaires, seed=1)
            print(
                f"{sum(counts.values()):,} rows, {counts['affaire']:,} affaires".replace(",", " ")
            )
            reference = _timed(
                "DuckDB backup (reference)",
                lambda: backup.backup(source, here / "reference.duckdb"),
                None,
            )
            with psycopg.connect(server.url, autocommit=True) as conn:
                conn.execute("CREATE DATABASE cible")
            url = server.database_url("cible")
            _timed("copy DuckDB → PostgreSQL", lambda: copy.copy_base(source, url), reference)
            target = db.open_base(url)
            _timed(
                "copy PostgreSQL → DuckDB",
                lambda: copy.copy_base(target, here / "retour.duckdb"),
                reference,
            )
            saved = here / "sauvegarde.pg.tar"
            _timed("PostgreSQL backup (pg_dump)", lambda: backup.backup(target, saved), reference)
            target.close()
            _timed("PostgreSQL restore (pg_restore)", lambda: backup.restore(url, saved), reference)
            source.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
