"""The past brought in by an import (SPEC §3, the pipe through time): after importing the shipped
Maven export, the pipe on past days (A10) and its movements (A11) equal figures worked out from
the raw CSV file alone, with its engage_date and close_date."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from crm_data.analyses.registry import Filters, movements, pipe_by_etape
from crm_data.imports.mapped import import_mapped_file
from crm_data.mapping.store import load_mapping
from crm_data.store.db import Connection
from tests.factories import admin, new_base

pytestmark = pytest.mark.usefixtures("engine")

MAVEN = Path("/work/shared/data/maven_crm")
DAYS = [dt.date(2016, 12, 31), dt.date(2017, 3, 31), dt.date(2017, 6, 30), dt.date(2017, 9, 30)]


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Connection, list[dict[str, str]]]:
    if not MAVEN.exists():
        pytest.fail(f"the shipped Maven export is missing: {MAVEN}")
    folder = tmp_path_factory.mktemp("maven")
    for name in ("sales_pipeline.csv", "accounts.csv", "products.csv", "sales_teams.csv"):
        shutil.copy(MAVEN / name, folder / name)
    con = new_base()
    report = import_mapped_file(
        con, admin(con), folder / "sales_pipeline.csv", load_mapping(con, "maven")
    )
    assert report.written and not report.errors
    with (folder / "sales_pipeline.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return con, rows


def _open_on(row: dict[str, str], day: dt.date) -> bool:
    """Open at the end of day, from the file alone: engaged by then, not closed by then."""
    engaged, closed = _date(row["engage_date"]), _date(row["close_date"])
    return engaged is not None and engaged <= day and (closed is None or closed > day)


@pytest.mark.parametrize("day", DAYS)
def test_the_pipe_on_a_past_day_counts_the_deals_open_that_day_in_the_file(
    imported: tuple[Connection, list[dict[str, str]]], day: dt.date
) -> None:
    con, rows = imported
    expected = sum(_open_on(r, day) for r in rows)
    assert expected > 0
    assert int(pipe_by_etape(con, admin(con), Filters(le=day))["nombre"].sum()) == expected


def test_the_movements_of_a_quarter_count_the_deals_won_and_lost_in_it(
    imported: tuple[Connection, list[dict[str, str]]],
) -> None:
    con, rows = imported
    d1, d2 = dt.date(2017, 3, 31), dt.date(2017, 6, 30)
    frame = movements(con, admin(con), Filters(du=d1, au=d2)).set_index("categorie")

    def closed_in_quarter(stage: str) -> int:
        return sum(
            _open_on(r, d1)
            and r["deal_stage"] == stage
            and d1 < (_date(r["close_date"]) or dt.date.max) <= d2
            for r in rows
        )

    new = sum(not _open_on(r, d1) and _open_on(r, d2) for r in rows)
    assert int(frame.loc["debut", "nombre"]) == sum(_open_on(r, d1) for r in rows)
    assert int(frame.loc["fin", "nombre"]) == sum(_open_on(r, d2) for r in rows)
    assert int(frame.loc["gagnees", "nombre"]) == closed_in_quarter("Won")
    assert int(frame.loc["perdues", "nombre"]) == closed_in_quarter("Lost")
    assert int(frame.loc["nouvelles", "nombre"]) == new
