"""Benchmark of the Ventes headline's three periods (the period, the previous one, a year
earlier): read in one pass each (sales_summaries, velocities) against one query per period
(sales_summary, velocity: the reference, timed in the same run), on each base given, with the
frames checked equal.

    python -m bench.bench_ventes_headline [--runs 3] BASE... (a DuckDB path or a PostgreSQL URL)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm_data.analyses import registry as analyses  # noqa: E402
from crm_data.analyses.registry import Filters  # noqa: E402
from crm_data.store import db  # noqa: E402
from crm_data.users import local_admin  # noqa: E402

TODAY = dt.date.today()
PERIODS = (
    (dt.date(TODAY.year, 1, 1), TODAY),
    (dt.date(TODAY.year - 1, 1, 1), dt.date(TODAY.year - 1, 12, 31)),
    (dt.date(TODAY.year - 1, 1, 1), TODAY.replace(year=TODAY.year - 1)),
)
"""The headline's periods for « Cette année » (this year to date, last year, last year to date)."""

FILTERS = Filters(du=PERIODS[0][0], au=PERIODS[0][1], today=TODAY)


def _timed(fn: Callable[[], list[pd.DataFrame]], runs: int) -> tuple[float, list[pd.DataFrame]]:
    """Fastest seconds of fn over runs (the machine may be shared) and its result."""
    best, result = float("inf"), []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench(base: str, runs: int) -> None:
    con = db.open_base(base)
    actor = local_admin(con)
    per_period = [replace(FILTERS, du=du, au=au) for du, au in PERIODS]
    summaries = analyses.sales_summaries(con, actor, FILTERS, PERIODS)
    pairs = {
        "résumés des ventes": (
            lambda: [analyses.sales_summary(con, actor, f) for f in per_period],
            lambda: analyses.sales_summaries(con, actor, FILTERS, PERIODS),
        ),
        "vélocités (résumés donnés)": (
            lambda: [
                analyses.velocity(con, actor, f, summary=s)
                for f, s in zip(per_period, summaries, strict=True)
            ],
            lambda: analyses.velocities(con, actor, FILTERS, PERIODS, summaries),
        ),
    }
    print(f"\n{base}")
    print(f"{'mesure':<28} {'une par période ms':>18} {'une passe ms':>13} {'ratio':>6}  frames")
    for label, (reference, one_pass) in pairs.items():
        # Interleaved, so that a change of the machine's load falls on both alike.
        ref_time, ref = _timed(reference, 1)
        new_time, new = _timed(one_pass, 1)
        for _ in range(runs - 1):
            ref_time = min(ref_time, _timed(reference, 1)[0])
            new_time = min(new_time, _timed(one_pass, 1)[0])
        same = all(a.equals(b) for a, b in zip(ref, new, strict=True))
        print(
            f"{label:<28} {ref_time * 1000:18.0f} {new_time * 1000:13.0f}"
            f" {new_time / ref_time:6.2f}  {'identique' if same else 'DIFFÉRENT'}"
        )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("bases", nargs="+")
    args = parser.parse_args()
    for base in args.bases:
        bench(base, args.runs)


if __name__ == "__main__":
    main()
