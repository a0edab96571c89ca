"""Ventes in a real browser: change the period, download the Excel file and read it back, click
a bar and land on the list of its affaires."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import Filters
from crm_data.users import local_admin
from crm_ui.analysis.period import resolve
from tests.browser.conftest import Server, wait_for_app
from tests.random_base import random_base

# The machine running the suite may be busy (parallel workers, other servers).
expect.set_options(timeout=30_000)


def _expected(path: Path, du: dt.date, au: dt.date) -> tuple[int, float]:
    """Gagnées of type Nouveau closed in the period, and the CA signé of all types."""
    con = random_base(4_000, seed=3, path=path)
    results = analyses.results_by_type(con, local_admin(con), Filters(du=du, au=au))
    con.close()
    return int(results.loc[0, "gagnees"]), float(results["ca_signe"].sum())


def test_change_period_export_and_drill_down(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    period = resolve("12 derniers mois", dt.date.today())
    path = tmp_path / "crm.duckdb"
    won_nouveau, ca_signe = _expected(path, period.du, period.au)
    assert won_nouveau > 0
    server = start_server(path)

    page.goto(f"{server.url}/ventes")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Ventes")).to_be_visible()
    page.get_by_text("12 derniers mois", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(f"Affaires clôturées {period.label()}.")).to_be_visible()
    wait_for_app(page)

    # The workbook is computed on the click, by the server: on a loaded machine that takes a
    # while, so the download gets a deadline of its own.
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="Exporter en Excel").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames[0] == "Résultats par type"
    assert "Filtres" in book.sheetnames
    sheet = book["Résultats par type"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert rows[0]["Type"] == "Nouveau"
    assert rows[0]["Gagnées"] == won_nouveau
    assert abs(sum(r["CA signé"] for r in rows) - ca_signe) < 0.01
    filtres = {r[0].value: r[1].value for r in book["Filtres"].iter_rows(min_row=2)}
    assert filtres["Période du"] == period.du.strftime("%d/%m/%Y")

    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    bar = chart.locator(".barlayer .trace").first.locator(".point path").first
    box = bar.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_app(page)

    expect(page.get_by_role("heading", name="Affaires", exact=True)).to_be_visible()
    expect(page.get_by_text("Filtres venant d'une analyse")).to_be_visible()
    metric = page.get_by_test_id("stMetric").filter(has_text="Affaires").first
    expect(metric).to_contain_text(f"{won_nouveau:,}".replace(",", "\u00a0"))
