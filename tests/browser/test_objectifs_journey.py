"""Objectifs in a real browser: type a target in the grid, save it, and see the réalisation it
gives on Ventes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from crm_data.store import db
from crm_data.users import add_user, get_actor
from tests.analyses_factory import new_affaire
from tests.browser.conftest import Server, wait_for_app

expect.set_options(timeout=30_000)
NBSP = "\u00a0"


def test_a_target_typed_in_the_grid_gives_the_realisation_on_ventes(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    today = dt.date.today()
    path = tmp_path / "crm.duckdb"
    con = db.open_base(path)
    add_user(con, None, "alice", "commercial", nom="Alice Martin")
    alice = get_actor(con, "alice")
    new_affaire(
        con, gestion_par=alice.id, statut="Gagnée", total_ht=Decimal("2500"), date_signature=today
    )
    con.close()
    server = start_server(path)

    page.goto(f"{server.url}/ventes")
    wait_for_app(page)
    realisation = page.get_by_test_id("stMetric").filter(has_text="Réalisation de l'objectif")
    expect(realisation).to_contain_text("—")

    page.goto(f"{server.url}/objectifs")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Objectifs")).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    # The grid is a canvas: select Alice's name cell, move right to this month, type, commit.
    page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)
    for _ in range(today.month):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.locator("textarea.gdg-input, input.gdg-input").first
    expect(editor).to_be_visible()
    editor.fill("5 000")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Enregistrer les objectifs").click()
    wait_for_app(page)
    expect(page.get_by_text("1 objectif enregistré.")).to_be_visible()

    page.goto(f"{server.url}/ventes")
    wait_for_app(page)
    expect(realisation).to_contain_text(f"50,0{NBSP}%")
    objectif = page.get_by_test_id("stMetric").filter(has_text="Objectif de la période")
    expect(objectif).to_contain_text(f"5{NBSP}000{NBSP}€")
