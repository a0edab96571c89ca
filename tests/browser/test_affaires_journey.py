"""The affaires journey in a real browser: create, find, open by clicking the row, change the
étape, mark Perdue (a code clôture is asked for), read the history; two browsers saving the same
affaire; notes with HTML shown as plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crm_data import affaires, users
from crm_data.store import db
from tests.browser.conftest import Server, wait_for_app
from tests.factories import make_compte

pytestmark = pytest.mark.browser
# A loaded CI machine can take several seconds per Streamlit run; 5 s by default is too short.
expect.set_options(timeout=30_000)

NOTES = '<script>window.__xss = 1</script><b>gras</b> <img src=x onerror="window.__xss=2">'


def seeded_base(tmp_path: Path) -> Path:
    path = tmp_path / "crm.duckdb"
    con = db.open_base(path)
    make_compte(con, "Acme Industrie", ville="Lyon")
    make_compte(con, "Boulangerie Dupont")
    con.close()
    return path


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of the Streamlit selectbox labelled label."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def save(page: Page) -> None:
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    wait_for_app(page)


def click_first_row(page: Page) -> None:
    """Click the selection cell of the first row of the first table (a canvas grid)."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 36 + 18)
    wait_for_app(page)


def create_affaire(page: Page, url: str, nom: str) -> int:
    page.goto(url)
    wait_for_app(page)
    page.get_by_role("button", name="Nouvelle affaire").click()
    wait_for_app(page)
    page.get_by_label("Nom *").fill(nom)
    page.get_by_label("Rechercher un compte").fill("acme")
    page.keyboard.press("Enter")
    wait_for_app(page)
    choose(page, "Compte *", "Acme Industrie (Lyon)")
    page.get_by_role("textbox", name="Notes", exact=True).first.fill(NOTES)
    save(page)
    expect(page).to_have_url(re.compile(r"affaire=\d+$"))
    match = re.search(r"affaire=(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def test_create_find_open_progress_and_lose_an_affaire(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = seeded_base(tmp_path)
    server = start_server(path)
    affaire_id = create_affaire(page, server.url, "Parc serveurs Lyon")
    expect(page.get_by_text(f"Affaire n° {affaire_id}")).to_be_visible()

    page.get_by_role("button", name="Fermer").click()
    wait_for_app(page)
    page.get_by_label("Rechercher", exact=True).fill("serveurs lyon")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("1")
    click_first_row(page)
    expect(page).to_have_url(re.compile(rf"affaire={affaire_id}$"))
    expect(page.get_by_text(f"Affaire n° {affaire_id} — Parc serveurs Lyon")).to_be_visible()
    wait_for_app(page)

    choose(page, "Étape *", "Négociation")
    save(page)
    expect(page.get_by_text("(version 2)")).to_be_visible()

    choose(page, "Statut *", "Perdue")
    expect(page.get_by_text("Une affaire perdue demande un code clôture.")).to_be_visible()
    save(page)
    expect(page.get_by_text("pourquoi est-elle perdue ?")).to_be_visible()
    choose(page, "Code clôture *", "Concurrent")
    save(page)
    expect(page.get_by_text("(version 3)")).to_be_visible()

    page.get_by_role("tab", name="Historique").click()
    wait_for_app(page)
    history = page.get_by_test_id("stDataFrame").last
    history.scroll_into_view_if_needed()
    expect(history).to_be_visible()
    # The grid draws on a canvas; its accessible copy holds the cells' text.
    for text in ("Code clôture", "Concurrent", "Négociation", "Perdue"):
        cell = history.locator("td").filter(has_text=re.compile(rf"^{re.escape(text)}$"))
        expect(cell.first).to_be_attached()
    server.stop()
    con = db.open_base(path)
    saved = affaires.get_affaire(con, users.local_admin(con), affaire_id)
    assert (saved.etape, saved.statut, saved.code_cloture) == (
        "Négociation",
        "Perdue",
        "Concurrent",
    )
    con.close()


def test_second_save_of_the_same_affaire_gets_the_conflict(
    browser: Browser, page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = seeded_base(tmp_path)
    server = start_server(path)
    affaire_id = create_affaire(page, server.url, "Affaire partagée")
    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    second = other.new_page()
    second.set_default_timeout(20_000)
    try:
        second.goto(f"{server.url}/?affaire={affaire_id}")
        wait_for_app(second)
        page.get_by_label("Nom *").fill("Version du premier")
        save(page)
        second.get_by_label("Nom *").fill("Version du second")
        save(second)
        expect(second.get_by_text("a enregistré cette fiche")).to_be_visible()
        second.get_by_role("button", name="Recharger").click()
        wait_for_app(second)
        expect(second.get_by_label("Nom *")).to_have_value("Version du premier")
    finally:
        other.close()
    server.stop()
    con = db.open_base(path)
    assert affaires.get_affaire(con, users.local_admin(con), affaire_id).nom == (
        "Version du premier"
    )
    con.close()


def test_notes_with_html_show_as_plain_text(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    server = start_server(seeded_base(tmp_path))
    create_affaire(page, server.url, "Notes <b>piégées</b>")
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("textbox", name="Notes", exact=True).first).to_have_value(NOTES)
    assert page.evaluate("() => window.__xss") is None
    app = page.get_by_test_id("stMain")
    assert app.locator("b", has_text="piégées").count() == 0
    assert app.locator("img[src=x]").count() == 0
    expect(page.get_by_text("Affaire n° 1 — Notes <b>piégées</b>")).to_be_visible()
