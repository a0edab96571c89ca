"""The pipe through time in a real browser: choose a past day on Pipe, open the movements since
the week before, click the « Gagnées » bar and land on the list of those affaires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from crm_data.store import db
from tests.browser.conftest import Server, wait_for_app
from tests.versions_factory import create, save

expect.set_options(timeout=30_000)
TODAY = dt.date.today()
PAST = TODAY - dt.timedelta(days=3)


def _at(days_ago: int) -> dt.datetime:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(10))


def _fill(path: Path) -> None:
    """Open since 30 days: « Contrat gagné » (won 5 days ago), « Toujours ouverte »; « Gagnée
    hier » won yesterday, after the day looked at."""
    con = db.open_base(path)
    fin = {"date_fin": TODAY + dt.timedelta(days=20)}
    won = create(con, _at(30), nom="Contrat gagné", ca_potentiel=1000, **fin)
    create(con, _at(30), nom="Toujours ouverte", ca_potentiel=500, **fin)
    late = create(con, _at(30), nom="Gagnée hier", ca_potentiel=700, **fin)
    save(con, won, _at(5), statut="Gagnée", total_ht=900)
    save(con, late, _at(1), statut="Gagnée", total_ht=700)
    con.close()


def test_past_pipe_movements_and_the_won_bar(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = tmp_path / "crm.duckdb"
    _fill(path)
    server = start_server(path)

    page.goto(f"{server.url}/pipe")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Pipe", exact=True)).to_be_visible()
    # Streamlit's date field is three spin buttons (day, month, year) that take typed digits.
    field = page.get_by_test_id("stDateInput").filter(has_text="Pipe au")
    field.get_by_role("spinbutton", name="day, Pipe au").focus()
    page.keyboard.type(PAST.strftime("%d%m%Y"))
    # The typed day is kept when the field loses the focus.
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Pipe", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(f"Pipe tel qu'il était le {PAST:%d/%m/%Y} au soir.")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Affaires en cours")).to_contain_text(
        "2"
    )

    chart = page.locator(".js-plotly-plot").filter(has_text="Mouvements du pipe")
    chart.scroll_into_view_if_needed()
    expect(chart).to_contain_text("Gagnées")
    bar = chart.locator(".barlayer .trace .point path").nth(5)
    box = bar.bounding_box()
    assert box is not None and box["height"] > 0
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_app(page)

    expect(page.get_by_role("heading", name="Affaires", exact=True)).to_be_visible()
    expect(
        page.get_by_text("Filtres venant d'une analyse : Affaires choisies : 1 affaire")
    ).to_be_visible()
    metric = page.get_by_test_id("stMetric").filter(has_text="Affaires").first
    expect(metric).to_contain_text("1")
    # The grid draws on a canvas; its cells exist as an accessible table.
    expect(page.get_by_text("Contrat gagné")).to_be_attached()
    expect(page.get_by_text("Gagnée hier")).to_have_count(0)
