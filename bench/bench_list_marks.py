"""The Affaires list's late/dormant marks and « Reports de date fin » on a demo base, beside the
list's page query measured in the same run (the reference).

Build a base: python -m crm_data --db /tmp/h200k.duckdb demo --affaires 200000
Run: python -m bench.bench_list_marks --db /tmp/h200k.duckdb [--repeat 9]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from crm_data import users
from crm_data.affaires_list import dormant_days, list_affaires
from crm_data.filters import Filters
from crm_data.store import db
from crm_data.store.sql import DORMANT, among

MARKS = """
    SELECT a.id,
           coalesce(a.statut = 'En cours' AND a.date_fin < CAST($today AS DATE), FALSE),
           coalesce({dormant}, FALSE)
    FROM affaire AS a
    WHERE a.id = ANY($ids)
"""


def median_ms(repeat: int, action: Callable[[], object]) -> float:
    action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    con = db.open_base(args.db)
    actor = users.local_admin(con)
    page = list_affaires(con, actor, Filters())
    params = {"ids": [int(i) for i in page["id"]], "today": dt.date.today()}
    assert (
        con.execute(MARKS.format(dormant=DORMANT), params).fetchall()
        == con.execute(MARKS.format(dormant=among(DORMANT, "ids")), params).fetchall()
    )

    def marks(fragment: str) -> Callable[[], object]:
        return lambda: con.execute(MARKS.format(dormant=fragment), params).fetchall()

    reference = median_ms(args.repeat, lambda: list_affaires(con, actor, Filters()))
    figures = {
        "list page (reference)": reference,
        "marks, DORMANT over every action": median_ms(args.repeat, marks(DORMANT)),
        "marks, among(DORMANT) (page only)": median_ms(args.repeat, marks(among(DORMANT, "ids"))),
        "list page + reports column": median_ms(
            args.repeat, lambda: list_affaires(con, actor, Filters(), reports=True)
        ),
        "list sorted by reports": median_ms(
            args.repeat, lambda: list_affaires(con, actor, Filters(), sort="reports")
        ),
        "one record's dormancy": median_ms(
            args.repeat, lambda: dormant_days(con, actor, int(page["id"].iloc[0]))
        ),
    }
    con.close()
    print(f"base: {args.db}  median of {args.repeat} after one warm-up")
    for label, ms in figures.items():
        print(f"{label:36} {ms:8.1f} ms   ×{ms / reference:5.2f} of the list page")


if __name__ == "__main__":
    main()
