"""The sign-in gate and the pages by role, through dashboard.py under AppTest with a simulated
user for each role (st.user as st.login leaves it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from crm_data import users
from crm_data.model import Actor, Role
from crm_data.store import db
from tests.factories import admin, make_affaire, make_user
from tests.pages import shown

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")
UTILISATEURS = "app_pages/utilisateurs.py"
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "un-secret-de-test-assez-long-pour-signer",
        "client_id": "crm",
        "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}


@pytest.fixture
def con(_isolated_base: Path) -> db.Connection:
    return db.shared_connection(_isolated_base)


@pytest.fixture
def offered(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Page title → visibility, as the last run handed them to st.navigation."""
    pages: dict[str, str] = {}
    original = st.navigation

    def recording(sections: dict[str, list[Any]], **kwargs: Any) -> Any:
        pages.clear()
        pages.update({p.title: p.visibility for ps in sections.values() for p in ps})
        return original(sections, **kwargs)

    monkeypatch.setattr(st, "navigation", recording)
    yield pages


def signed_in(email: str | None, **claims: Any) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets = AUTH
    at.user = {"is_logged_in": email is not None, **({"email": email} if email else {}), **claims}
    return at.run()


def email_of(actor: Actor) -> str:
    return f"{actor.login}@exemple.fr"


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.error, *at.warning, *at.markdown, *at.caption)]
    return "\n".join(str(p) for p in parts)


def test_local_mode_acts_as_local_admin_with_a_banner() -> None:
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception
    assert any("Mode local" in w.value for w in at.warning)
    assert "Administrateur local · Administrateur" in texts(at)
    assert not [b for b in at.button if b.key == "sign_out"]


def test_signed_out_user_sees_only_the_sign_in_button(con: db.Connection) -> None:
    make_affaire(con)
    at = signed_in(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Se connecter"]
    assert not at.dataframe
    assert not any("Mode local" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("unknown", {}),
        ("deactivated", {}),
        ("unverified", {"email_verified": False}),
    ],
)
def test_refused_email_sees_access_refused_and_nothing_else(
    con: db.Connection, offered: dict[str, str], case: str, claims: dict[str, Any]
) -> None:
    user = make_user(con, Role.ADMIN)
    make_affaire(con, user)
    if case == "deactivated":
        users.update_user(
            con, admin(con), user.id, nom=user.nom, email=email_of(user), role="admin", actif=False
        )
    email = "inconnu@exemple.fr" if case == "unknown" else email_of(user)
    at = signed_in(email, **claims)
    assert not at.exception
    assert [t.value for t in at.title] == ["Accès refusé"]
    assert email in shown(at.error[0].value)
    assert [b.label for b in at.button] == ["Se déconnecter"]
    assert not at.dataframe
    assert offered == {}


def test_sign_out_returns_to_the_sign_in_screen(con: db.Connection) -> None:
    user = make_user(con, Role.COMMERCIAL)
    at = signed_in(email_of(user))
    assert [t.value for t in at.title] == ["Affaires"]
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert at.user.get("is_logged_in") is False
    at.run()
    assert [b.label for b in at.button] == ["Se connecter"]


def test_email_matches_ignoring_case(con: db.Connection) -> None:
    user = make_user(con, Role.MANAGER, "Claire Durand")
    at = signed_in(email_of(user).upper())
    assert "Claire Durand · Manager" in texts(at)


@pytest.mark.parametrize(
    ("role", "sees_all", "admin_pages"),
    [
        (Role.COMMERCIAL, False, "hidden"),
        (Role.MANAGER, True, "hidden"),
        (Role.ADMIN, True, "visible"),
    ],
)
def test_each_role_gets_its_pages_and_its_rows(
    con: db.Connection, offered: dict[str, str], role: Role, sees_all: bool, admin_pages: str
) -> None:
    user = make_user(con, role, "Utilisateur connecté")
    other = make_user(con, Role.COMMERCIAL, "Autre commercial")
    make_affaire(con, user, nom="Mon affaire")
    make_affaire(con, other, nom="Affaire d'un autre")
    at = signed_in(email_of(user))
    assert not at.exception
    assert offered["Affaires"] == "visible"
    assert offered["Utilisateurs"] == admin_pages
    expected = {"Mon affaire", "Affaire d'un autre"} if sees_all else {"Mon affaire"}
    assert set(at.dataframe[0].value["nom"]) == expected
    assert {m.label: m.value for m in at.metric}["Affaires"] == str(len(expected))


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.MANAGER])
def test_deep_link_to_an_admin_page_is_refused(con: db.Connection, role: Role) -> None:
    user = make_user(con, role)
    at = signed_in(email_of(user))
    at.switch_page(UTILISATEURS).run()
    assert not at.exception
    assert any("Accès refusé" in e.value for e in at.error)
    assert not at.dataframe


def test_named_providers_each_get_a_sign_in_button() -> None:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    shared = {k: AUTH["auth"][k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: AUTH["auth"][k] for k in ("client_id", "client_secret", "server_metadata_url")}
    at.secrets = {
        "auth": {
            **shared,
            "microsoft": provider,
            "google": provider,
            "client_kwargs": {"prompt": "login"},
        }
    }
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == [
        "Se connecter avec Microsoft",
        "Se connecter avec Google",
    ]
