"""The Sauvegardes page: an admin downloads and restores backups; anyone else is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm_data.model import Actor, Role
from crm_data.store import backup, db
from crm_ui.admin import backup_panel
from tests import engines
from tests.factories import make_affaire, make_user

pytestmark = pytest.mark.usefixtures("engine")

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGE = "app_pages/sauvegardes.py"


@pytest.fixture
def base(engine: str, _isolated_base: Path, monkeypatch: pytest.MonkeyPatch) -> Path | str:
    """The base the app serves: the isolated file, or a new PostgreSQL base named by CRM_DB."""
    if engine == engines.DUCKDB:
        return _isolated_base
    url = engines.new_pg_url()
    monkeypatch.setenv("CRM_DB", url)
    return url


def integrity_on(engine: str, request: pytest.FixtureRequest) -> None:
    """The check runs on both engines (nothing to mark any more)."""


def open_page(actor: Actor | None = None) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    if actor is not None:
        at.session_state["actor"] = actor
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def affaire_count(path: Path | str) -> int:
    with db.read(db.shared_connection(path)) as cur:
        row = cur.execute("SELECT count(*) FROM affaire").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.usefixtures("base")
def test_admin_sees_backup_and_restore() -> None:
    at = open_page()
    assert [b.label for b in at.get("download_button")] == ["Sauvegarder"]
    assert len(at.get("file_uploader")) == 1


def test_commercial_is_refused(base: Path | str) -> None:
    commercial = make_user(db.shared_connection(base), Role.COMMERCIAL)
    at = open_page(commercial)
    assert "réservées aux administrateurs" in at.error[0].value
    assert not at.get("download_button")
    assert not at.get("file_uploader")


def test_backup_bytes_are_a_backup_of_ours(base: Path | str, tmp_path: Path) -> None:
    con = db.shared_connection(base)
    make_affaire(con)
    copy = tmp_path / f"telechargee{backup.suffix_of(base)}"
    copy.write_bytes(backup_panel.backup_bytes(con))
    assert backup.read_backup(copy).digests["affaire"][0] == 1


def test_restore_from_the_panel_brings_back_the_backup(
    base: Path | str, tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    integrity_on(engine, request)
    con = db.shared_connection(base)
    make_affaire(con)
    make_affaire(con)
    saved = backup.backup(con, tmp_path / f"sauvegarde{backup.suffix_of(base)}")
    make_affaire(con)
    at = open_page()
    at.file_uploader[0].set_value(
        (saved.path.name, saved.path.read_bytes(), "application/octet-stream")
    ).run()
    assert "2 affaires" in at.info[0].value
    assert at.button(key="backup_restore_button").disabled
    at.checkbox(key="backup_restore_confirm").check().run()
    at.button(key="backup_restore_button").click().run()
    assert not at.exception
    assert affaire_count(base) == 2
    assert any("restaurée" in t.value for t in at.toast)
    assert [s.value for s in at.success] == ["Aucun problème trouvé dans la base."]


def test_the_check_lists_the_problems_of_the_base(
    base: Path | str, engine: str, request: pytest.FixtureRequest
) -> None:
    integrity_on(engine, request)
    con = db.shared_connection(base)
    make_affaire(con)
    with db.transaction(con) as cur:
        cur.execute("UPDATE affaire SET nom = 'Changée en douce' WHERE id = 1")
    at = open_page()
    at.button(key="backup_check_button").click().run()
    assert "1 problème trouvé" in at.error[0].value
    assert any("diffère de sa dernière version" in m.value for m in at.markdown)


def test_panel_refuses_a_file_that_is_not_ours(base: Path | str) -> None:
    make_affaire(db.shared_connection(base))
    at = open_page()
    at.file_uploader[0].set_value(("affaires.csv", b"Nom;Compte\nA;B\n", "text/csv")).run()
    assert "n'est pas une sauvegarde de CRM Affaires" in at.error[0].value
    assert not at.checkbox
    assert affaire_count(base) == 1
