"""Sign in through st.login against a small OpenID Connect provider on loopback: the signed-in
commercial sees their own affaires, stays signed in across a reload, signs out; an unknown
e-mail is refused."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_data.model import Role
from crm_data.store import db
from tests.browser.conftest import ROOT, Server, free_port, wait_for_app
from tests.browser.oidc_server import OidcServer
from tests.factories import make_affaire, make_user

pytestmark = pytest.mark.browser
SLOW = 30_000
"""Milliseconds to wait for a screen after a redirect or a reload, on a busy machine."""


@pytest.fixture
def provider() -> Iterator[OidcServer]:
    server = OidcServer()
    yield server
    server.stop()


@pytest.fixture
def app(
    tmp_path: Path, provider: OidcServer, start_server: Callable[..., Server]
) -> Iterator[Server]:
    """A server whose working folder holds a secrets.toml with an [auth] section, over a base
    where Alice (commercial) has one affaire and Bob another."""
    base = tmp_path / "crm.duckdb"
    con = db.open_base(base)
    alice = make_user(con, Role.COMMERCIAL, "Alice Martin")
    bob = make_user(con, Role.COMMERCIAL, "Bob Petit")
    make_affaire(con, alice, nom="Affaire d'Alice")
    make_affaire(con, bob, nom="Affaire de Bob")
    con.close()
    provider.email = f"{alice.login}@exemple.fr"
    provider.name = alice.nom
    folder = tmp_path / "run" / ".streamlit"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / "config.toml")
    port = free_port()
    (folder / "secrets.toml").write_text(provider.secrets_toml(f"http://127.0.0.1:{port}"))
    yield start_server(base, cwd=folder.parent, port=port)


def sign_in(page: Page, app: Server) -> None:
    page.goto(app.url)
    wait_for_app(page)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{app.url}/**")
    wait_for_app(page)


def test_sign_in_reload_and_sign_out(page: Page, app: Server) -> None:
    sign_in(page, app)
    expect(page.get_by_text("Alice Martin · Commercial")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Mode local")).to_have_count(0, timeout=SLOW)
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_contain_text("Affaire d'Alice", timeout=SLOW)
    expect(grid).not_to_contain_text("Affaire de Bob", timeout=SLOW)
    expect(page.get_by_role("link", name="Utilisateurs")).to_have_count(0, timeout=SLOW)

    page.reload()
    wait_for_app(page)
    expect(page.get_by_text("Alice Martin · Commercial")).to_be_visible(timeout=SLOW)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=SLOW)
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0, timeout=SLOW)


def test_unknown_email_is_refused(page: Page, app: Server, provider: OidcServer) -> None:
    provider.email = "inconnu@exemple.fr"
    sign_in(page, app)
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("inconnu@exemple.fr")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0, timeout=SLOW)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0, timeout=SLOW)
