"""Journey: upload the Maven export, accept the proposed mapping, dry run, import, see the list."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from crm_data.store.db import open_base
from tests.browser.conftest import Server, wait_for_app

MAVEN = Path("/work/shared/data/maven_crm/sales_pipeline.csv")


def test_maven_upload_dry_run_then_import_shows_the_affaires(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    upload = tmp_path / "sales_pipeline.csv"
    shutil.copyfile(MAVEN, upload)
    open_base(tmp_path / "crm.duckdb").close()
    server = start_server()
    page.goto(f"{server.url}/import_export")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        str(upload)
    )
    expect(page.get_by_text("séparateur virgule · 8\u202f800 lignes")).to_be_visible(timeout=30_000)

    page.get_by_role("button", name="Essai à blanc").click()
    expect(page.get_by_text("rien n'a été enregistré").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("8\u202f800 affaires seraient créées", exact=False)).to_be_visible()

    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("tout a été enregistré")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("8\u202f800 affaires ont été créées", exact=False)).to_be_visible()

    page.goto(f"{server.url}/")
    wait_for_app(page)
    affaires = page.get_by_test_id("stMetric").filter(has_text="Affaires")
    expect(affaires).to_contain_text(re.compile(r"8\s?800"), timeout=30_000)
    page.get_by_label("Rechercher").fill("1C1I7A6R")
    page.get_by_label("Rechercher").press("Enter")
    expect(affaires).to_contain_text(re.compile(r"Affaires\s*1$"), timeout=30_000)
