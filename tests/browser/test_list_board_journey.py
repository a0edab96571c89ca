"""The list and the board in a real browser: a click on an affaire's name (or a compte's row)
opens its record, the browser's Back and the sidebar's entry return to the list, and a card moved
on the board changes its columns' counts and sums."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_data import affaires, users
from crm_data.store import db
from tests.browser.conftest import Server, wait_for_app
from tests.factories import make_affaire, make_compte

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)


def seeded_base(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "crm.duckdb"
    con = db.open_base(path)
    compte = make_compte(con, "Acme Industrie")
    aid = make_affaire(
        con, nom="Parc serveurs Lyon", compte_id=compte, ca_potentiel="12000", reussite=50
    )
    con.close()
    return path, aid


def click_first_name(page: Page) -> None:
    """Click the Nom cell of the first row (a canvas grid: N° and Alerte come first)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.get_by_text("Parc serveurs Lyon").first.wait_for(state="attached")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 260, box["y"] + 36 + 18)
    wait_for_app(page)


def test_a_name_opens_the_record_and_back_and_the_sidebar_return_to_the_list(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path, aid = seeded_base(tmp_path)
    server = start_server(path)
    page.goto(server.url)
    wait_for_app(page)
    click_first_name(page)
    expect(page.get_by_text(f"Affaire n° {aid} — Parc serveurs Lyon")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"affaire={aid}$"))

    page.go_back()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Affaires", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Affaire n° {aid}")).to_have_count(0)

    click_first_name(page)
    expect(page.get_by_text(f"Affaire n° {aid}")).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Affaires").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Affaires", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Affaire n° {aid}")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"affaire="))

    click_first_name(page)
    page.get_by_role("button", name="← Retour à la liste").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Affaire n° {aid}")).to_have_count(0)
    expect(page.get_by_role("heading", name="Affaires", exact=True)).to_be_visible()


def test_moving_a_card_changes_the_column_sums(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path, aid = seeded_base(tmp_path)
    server = start_server(path)
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_test_id("stButtonGroup").get_by_text("Tableau", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Qualification · 1")).to_be_visible()
    expect(page.get_by_text("Analyse des besoins · 0")).to_be_visible()
    page.get_by_role("button", name="→").first.click()
    wait_for_app(page)
    expect(page.get_by_text("Qualification · 0")).to_be_visible()
    expect(page.get_by_text("Analyse des besoins · 1")).to_be_visible()
    column = page.get_by_test_id("stColumn").filter(has_text="Analyse des besoins · 1").last
    expect(column.get_by_text(re.compile(r"CA potentiel 12\s000\s€"))).to_be_visible()
    server.stop()
    con = db.open_base(path)
    assert affaires.get_affaire(con, users.local_admin(con), aid).etape == "Analyse des besoins"
    con.close()


def test_a_compte_opens_on_its_page_and_the_sidebar_returns_to_the_comptes(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path, _ = seeded_base(tmp_path)
    server = start_server(path)
    page.goto(f"{server.url}/comptes")
    wait_for_app(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.get_by_text("Acme Industrie").first.wait_for(state="attached")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 60, box["y"] + 36 + 18)
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"/fiche_compte\?compte=\d+$"))
    expect(page.get_by_role("heading", name="Acme Industrie")).to_be_visible()

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Comptes").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Comptes", exact=True)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"compte="))

    page.mouse.click(box["x"] + 60, box["y"] + 36 + 18)
    wait_for_app(page)
    page.get_by_role("button", name="← Retour à la liste").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Comptes", exact=True)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"compte="))
