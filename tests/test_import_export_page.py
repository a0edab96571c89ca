"""The Import / export screen under AppTest, through dashboard.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm_data.model import Role
from crm_data.store import db
from tests.factories import make_affaire, make_user

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def open_page(actor: object = None) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    if actor is not None:
        at.session_state["actor"] = actor
    at.run()
    at.switch_page("app_pages/import_export.py")
    at.run()
    return at


def test_admin_is_asked_for_a_file() -> None:
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "Import / export"
    assert any("Déposez un fichier" in i.value for i in at.info)


def test_other_roles_are_refused(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    at = open_page(make_user(con, Role.MANAGER))
    assert not at.exception
    assert any("Accès refusé" in e.value for e in at.error)


def test_export_of_every_affaire_is_offered_for_download(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    make_affaire(con, nom='=HYPERLINK("x")')
    at = open_page()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    content, file_name, count = at.session_state["export_file"]
    assert (file_name, count) == ("affaires.csv", 1)
    assert content.startswith(b"\xef\xbb\xbf")
    assert b"'=HYPERLINK" in content
