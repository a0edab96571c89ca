"""Backups from the browser while the app runs: an admin downloads a backup of the live base,
then restores an older one; the app carries on over the restored base."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_data.store import backup, db
from tests.browser.conftest import Server, wait_for_app
from tests.factories import make_affaire

pytestmark = pytest.mark.browser


def test_admin_downloads_then_restores_a_backup(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = tmp_path / "crm.duckdb"
    older = tmp_path / "ancienne.duckdb"
    con = db.open_base(path)
    make_affaire(con, nom="Première")
    backup.backup(con, older)
    make_affaire(con, nom="Deuxième")
    make_affaire(con, nom="Troisième")
    con.close()
    server = start_server(path)

    page.goto(f"{server.url}/sauvegardes")
    wait_for_app(page)
    # The server writes the backup on the click before the browser gets it: under a full
    # gate's load that took over 30 s once, so the download gets a deadline of its own.
    with page.expect_download(timeout=90_000) as download_info:
        page.get_by_role("button", name="Sauvegarder").click()
    downloaded = tmp_path / "telechargee.duckdb"
    download_info.value.save_as(downloaded)
    assert re.fullmatch(r"crm-sauvegarde-.*\.duckdb", download_info.value.suggested_filename)
    assert backup.read_backup(downloaded).digests["affaire"][0] == 3

    page.locator('input[type="file"]').set_input_files(str(older))
    wait_for_app(page)
    expect(page.get_by_text("1 affaires")).to_be_visible()
    page.get_by_text("Je remplace la base actuelle par cette sauvegarde").click()
    wait_for_app(page)
    page.get_by_role("button", name="Restaurer").click()
    wait_for_app(page)
    expect(page.get_by_text("restaurée", exact=False).first).to_be_visible()

    page.goto(server.url)
    wait_for_app(page)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("1")
    server.stop()
    kept = list(tmp_path.glob("crm.avant-restauration-*.duckdb"))
    assert len(kept) == 1 and backup.read_backup(kept[0]).digests["affaire"][0] == 3
    con = db.open_base(path)
    assert con.execute("SELECT nom FROM affaire").fetchall() == [("Première",)]
    con.close()


def test_refused_file_shows_a_french_message_and_keeps_the_base(
    page: Page, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    path = tmp_path / "crm.duckdb"
    con = db.open_base(path)
    make_affaire(con, nom="Gardée")
    con.close()
    intruder = tmp_path / "<img src=x onerror=alert(1)>.csv"
    intruder.write_text("Nom;Compte\nA;B\n", encoding="utf-8")
    server = start_server(path)
    page.goto(f"{server.url}/sauvegardes")
    wait_for_app(page)
    page.locator('input[type="file"]').set_input_files(str(intruder))
    wait_for_app(page)
    message = page.get_by_text("n'est pas une sauvegarde de CRM Affaires")
    expect(message).to_be_visible()
    expect(message).to_contain_text("<img src=x onerror=alert(1)>.csv")
    expect(page.get_by_role("button", name="Restaurer")).to_have_count(0)
    assert page.locator("[data-testid=stMain] img[src=x]").count() == 0
    server.stop()
    con = db.open_base(path)
    assert con.execute("SELECT nom FROM affaire").fetchall() == [("Gardée",)]
    con.close()
