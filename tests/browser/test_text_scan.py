"""Every page's text in a real browser, on a demo base: no "None", no Streamlit English
("Choose an option", "Upload", "per file"), no code name (`taux_`, `ca_`) reaches the reader.
And the empty base's demo button shows without scrolling on a 1440×900 screen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from crm_data.demo import generate as demo
from crm_data.store import db
from tests.browser.conftest import Server, wait_for_app

pytestmark = pytest.mark.browser

FORBIDDEN = re.compile(r"\bNone\b|Choose an option|Upload|per file|not found|\btaux_|\bca_")
PAGES = (
    "affaires",
    "comptes",
    "contacts",
    "mes_actions",
    "pipe",
    "ventes",
    "import_export",
    "parametres",
    "utilisateurs",
    "sauvegardes",
)
VENTES_TABS = ("Résultats par type", "Pertes", "CA signé", "Conversion", "Qualité des données")
RECORD_TABS = ("Documents", "Projet", "Action", "Historique")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("scan") / "crm.duckdb"
    con = db.open_base(path)
    demo.generate(con, affaires=400, seed=3)
    con.close()
    server = Server(path)
    yield server
    server.stop()


def _text(page: Page) -> str:
    page.wait_for_selector('[data-testid="stMain"] :is(h1, h2, h3)')
    wait_for_app(page)
    page.wait_for_timeout(1500)
    wait_for_app(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert len(text) > 200, text
    return text


def _bad(text: str) -> list[str]:
    return sorted({text[max(m.start() - 30, 0) : m.end() + 30] for m in FORBIDDEN.finditer(text)})


@pytest.mark.parametrize("name", PAGES)
def test_a_page_shows_no_english_none_or_code_name(
    name: str, demo_server: Server, page: Page
) -> None:
    page.goto(f"{demo_server.url}/{name}")
    texts = [_text(page)]
    if name == "ventes":
        for tab in VENTES_TABS:
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(500)
            texts.append(_text(page))
    # Streamlit's dialogs (« Page not found ») are drawn outside the main block.
    texts.append(page.locator("body").inner_text())
    found = [bad for text in texts for bad in _bad(text)]
    assert not found, found
    # Plotly's tool bar has English tooltips (« Autoscale », « Download plot as a png »).
    assert page.locator(".modebar-btn").count() == 0


def test_a_record_shows_no_english_none_or_code_name(demo_server: Server, page: Page) -> None:
    page.goto(f"{demo_server.url}/fiche?affaire=1")
    texts = [_text(page)]
    for tab in RECORD_TABS:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(500)
        texts.append(_text(page))
    # Streamlit's dialogs (« Page not found ») are drawn outside the main block.
    texts.append(page.locator("body").inner_text())
    found = [bad for text in texts for bad in _bad(text)]
    assert not found, found


def test_the_demo_button_shows_without_scrolling_on_1440_by_900(
    browser: Browser, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    db.open_base(tmp_path / "crm.duckdb").close()
    server = start_server(tmp_path / "crm.duckdb")
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(server.url)
        wait_for_app(page)
        button = page.get_by_role("button", name="Charger les données de démonstration")
        box = button.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 900
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert text.count("Votre base est vide") == 1
        assert "Aucune affaire pour l'instant" not in text
    finally:
        context.close()
