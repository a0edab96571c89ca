"""HTML, script and markdown typed into names, notes and file names show as text in a real
browser: nothing runs, no element is injected, the text reads as typed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_data import actions, documents
from crm_data.store import db
from tests.browser.conftest import Server, wait_for_app
from tests.factories import admin, make_affaire, make_compte

pytestmark = pytest.mark.browser

COMPTE = '**Gras** <img src=x onerror="window.__xss=1"> Acme'
NOM = "<script>window.__xss=2</script> [lien](http://exemple.invalid)"
FICHIER = '<svg onload="window.__xss=3">**devis**.pdf'
OBJET = "<b>objet</b> _souligné_"
PDF = b"%PDF-1.4\n% devis\n"


def hostile_base(path: Path) -> int:
    con = db.open_base(path)
    compte = make_compte(con, COMPTE)
    affaire = make_affaire(con, compte_id=compte, nom=NOM, notes=f"{NOM}\n{COMPTE}")
    documents.create_document(
        con,
        admin(con),
        affaire,
        {
            "type": "Devis",
            "numero": "<i>D-1</i>",
            "date_document": "2026-02-01",
            "montant_ht": "10",
            "statut": "Envoyé",
            "fichier": PDF,
            "fichier_nom": FICHIER,
        },
    )
    actions.create_action(con, admin(con), affaire, {"type": "Mail", "objet": OBJET})
    con.close()
    return affaire


def shown(text: str) -> str:
    """Text as read, without the zero-width spaces that keep a URL from becoming a link."""
    return text.replace("\u200b", "")


def assert_nothing_injected(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    assert page.evaluate("() => window.__xss") is None
    assert main.locator("img[src=x], svg[onload], script:not([src])").count() == 0
    assert main.locator('a[href="http://exemple.invalid"]').count() == 0
    assert main.locator("strong", has_text=re.compile("^(Gras|devis)$")).count() == 0
    assert main.locator("b", has_text="objet").count() == 0


def test_hostile_text_shows_as_typed_on_the_record(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = tmp_path / "crm.duckdb"
    affaire = hostile_base(path)
    server = start_server(path)
    page.goto(f"{server.url}/?affaire={affaire}")
    wait_for_app(page)
    title = page.get_by_role("heading", name=re.compile(f"^Affaire n° {affaire}"))
    expect(title).to_be_visible(timeout=30_000)
    assert shown(title.inner_text()) == f"Affaire n° {affaire} — {NOM}"
    assert_nothing_injected(page)
    for tab in ("Documents", "Action", "Historique"):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page)
        assert_nothing_injected(page)
    page.get_by_role("tab", name="Documents").click()
    wait_for_app(page)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid.locator("td").filter(has_text=FICHIER).first).to_be_attached(timeout=30_000)


def test_hostile_text_shows_as_typed_in_lists(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = tmp_path / "crm.duckdb"
    hostile_base(path)
    server = start_server(path)
    for url in (server.url, f"{server.url}/comptes"):
        page.goto(url)
        wait_for_app(page)
        page.get_by_label("Rechercher", exact=True).fill("<")
        page.keyboard.press("Enter")
        wait_for_app(page)
        assert_nothing_injected(page)
        grid = page.get_by_test_id("stDataFrame").first
        expect(grid.locator("td").filter(has_text=COMPTE).first).to_be_attached(timeout=30_000)
