"""The canonical export of every affaire, CSV and XLSX, against the engine's own COPY of the
affaire table to CSV (the floor), measured in the same run on the same base.

Run: python -m bench.bench_export --db /tmp/c200k.duckdb [--repeat 3]
(build the base with `python -m crm_data --db /tmp/c200k.duckdb demo --affaires 200000`);
--db also takes a postgresql:// URL (the floor is then COPY ... TO STDOUT, written to a file).
Prints the best time of each, its ratio to the floor and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_data.files.export import export_affaires
from crm_data.store.db import Connection, open_base, read
from crm_data.store.db import target as db_target
from crm_data.store.postgres import PgCursor
from crm_data.users import local_admin


def _best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    con = open_base(db_target(args.db))
    admin = local_admin(con)
    with read(con) as cur:
        row = cur.execute("SELECT count(*) FROM affaire").fetchone()
    count = int(row[0]) if row else 0
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)

        def floor() -> None:
            with read(con) as cur:
                _copy_affaires(cur, out / "floor.csv")

        reference = _best(floor, args.repeat)
        print(f"{count} affaires")
        print(f"COPY affaire TO csv (floor): {reference:6.2f} s  1.0x")
        for suffix in (".csv", ".xlsx"):
            target = out / f"affaires{suffix}"
            took = _best(lambda t=target: export_affaires(con, admin, t), args.repeat)
            size = target.stat().st_size / 1e6
            print(
                f"export {suffix:5}               : {took:6.2f} s  {took / reference:4.1f}x"
                f"  ({size:.0f} Mo)"
            )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mo")
    con.close()


def _copy_affaires(cur: Connection, path: Path) -> None:
    """The engine's own COPY of the affaire table to a CSV file."""
    query = "COPY (SELECT * FROM affaire ORDER BY id) TO {} (FORMAT csv, HEADER, DELIMITER ';')"
    if isinstance(cur, PgCursor):
        with (
            path.open("wb") as sink,
            cur.connection.cursor() as raw,
            raw.copy(query.format("STDOUT")) as copy,
        ):
            for data in copy:
                sink.write(data)
        return
    cur.execute(query.format(f"'{path}'"))


if __name__ == "__main__":
    main()
