"""The board's query against the list's count on the same base: board() (sums per étape over
every open affaire, 20 cards per column, their marks) as a ratio of list_totals() and of one
list page, medians of --repeat runs.

Run: python -m bench.bench_board --db /tmp/d200k.duckdb [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from crm_data import users
from crm_data.affaires_list import list_affaires, list_totals
from crm_data.board import board, board_filters
from crm_data.filters import Filters
from crm_data.store import db


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    con = db.open_base(args.db)
    actor = users.local_admin(con)
    figures = {
        "list_totals (open)": median_ms(
            lambda: list_totals(con, actor, board_filters(Filters())), args.repeat
        ),
        "list page (50 rows)": median_ms(lambda: list_affaires(con, actor, Filters()), args.repeat),
        "board (20 cards/col)": median_ms(lambda: board(con, actor, Filters()), args.repeat),
    }
    reference = figures["list page (50 rows)"]
    for label, ms in figures.items():
        print(f"{label:22} {ms:8.1f} ms   ×{ms / reference:5.2f} of a list page")
    con.close()


if __name__ == "__main__":
    main()
