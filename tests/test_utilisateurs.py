"""The Utilisateurs page under AppTest (local mode, so as the local administrator): create a
user, change a role, deactivate, hand a departed user's affaires to someone else."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm_data import affaires, db, users
from crm_data.model import Role
from tests.factories import admin, make_affaire, make_user

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")
UTILISATEURS = "app_pages/utilisateurs.py"


@pytest.fixture
def con(_isolated_base: Path) -> db.Connection:
    return db.shared_connection(_isolated_base)


def open_page() -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    at.switch_page(UTILISATEURS).run()
    assert not at.exception
    return at


def submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    return at


def test_page_lists_users_with_their_affaires(con: db.Connection) -> None:
    user = make_user(con, Role.COMMERCIAL, "Alice Martin")
    make_affaire(con, user)
    at = open_page()
    table = at.dataframe[0].value.set_index("nom")
    assert table.loc["Alice Martin", "affaires"] == 1
    assert table.loc["Alice Martin", "role"] == "Commercial"


def test_admin_creates_a_user() -> None:
    at = open_page()
    at.text_input(key="users_new_login").input("jdupont")
    at.text_input(key="users_new_nom").input("Jeanne Dupont")
    at.text_input(key="users_new_email").input("jeanne.dupont@exemple.fr")
    at.selectbox(key="users_new_role").set_value("manager")
    submit(at, "Créer l'utilisateur")
    con = db.shared_connection(db.default_db_path())
    actor = users.actor_by_email(con, "jeanne.dupont@exemple.fr")
    assert actor is not None
    assert (actor.login, actor.nom, actor.role) == ("jdupont", "Jeanne Dupont", Role.MANAGER)


def test_invalid_new_user_shows_the_error_next_to_the_field() -> None:
    at = open_page()
    at.text_input(key="users_new_login").input("jdupont")
    at.text_input(key="users_new_email").input("pas-une-adresse")
    submit(at, "Créer l'utilisateur")
    assert any("Adresse e-mail invalide" in e.value for e in at.error)
    con = db.shared_connection(db.default_db_path())
    assert "jdupont" not in users.list_users(con)["login"].tolist()


def test_admin_changes_role_and_deactivates(con: db.Connection) -> None:
    user = make_user(con, Role.COMMERCIAL, "Alice Martin")
    at = open_page()
    at.selectbox(key="users_edit_id").set_value(user.id).run()
    at.selectbox(key=f"users_edit_role_{user.id}").set_value("manager")
    at.toggle(key=f"users_edit_actif_{user.id}").set_value(False)
    submit(at, "Enregistrer")
    assert not at.error
    row = users.list_users(con).set_index("id").loc[user.id]
    assert (row["role"], bool(row["actif"])) == ("manager", False)
    assert users.actor_by_email(con, f"{user.login}@exemple.fr") is None


def test_admin_reassigns_a_departed_users_affaires(con: db.Connection) -> None:
    leaving = make_user(con, Role.COMMERCIAL, "Alice Martin")
    heir = make_user(con, Role.COMMERCIAL, "Bob Petit")
    ids = [make_affaire(con, leaving) for _ in range(3)]
    users.update_user(
        con, admin(con), leaving.id, nom=leaving.nom, email=None, role="commercial", actif=False
    )
    at = open_page()
    at.selectbox(key="users_reassign_from").set_value(leaving.id)
    at.selectbox(key="users_reassign_to").set_value(heir.id)
    submit(at, "Réattribuer")
    assert all(affaires.get_affaire(con, heir, i).gestion_par == heir.id for i in ids)
    assert any("3 affaire(s) de Alice Martin" in t.value for t in at.toast)
