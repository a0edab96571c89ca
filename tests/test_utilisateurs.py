"""The Utilisateurs page under AppTest (local mode, so as the local administrator): create a
user, change a role, deactivate, hand a departed user's affaires to someone else."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm_data import affaires, comptes, referentiels, users
from crm_data.model import Role, ValidationError
from crm_data.store import db
from tests import engines
from tests.factories import admin, make_affaire, make_user, new_base
from tests.racing import race

pytestmark = pytest.mark.usefixtures("engine")

RACES = 30

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")
UTILISATEURS = "app_pages/utilisateurs.py"


@pytest.fixture(autouse=True)
def base(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str | Path:
    """The base the page opens (CRM_DB): a file, or a PostgreSQL URL."""
    target = engines.fresh_target(tmp_path)
    monkeypatch.setenv("CRM_DB", str(target))
    return target


@pytest.fixture
def con(base: str | Path) -> db.Connection:
    return db.shared_connection(base)


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
    assert table.loc["Alice Martin", "affaires"] == "1"
    assert table.loc["Alice Martin", "role"] == "Commercial"


def test_each_user_counts_every_affaire_they_manage_and_the_open_ones(
    con: db.Connection,
) -> None:
    alice = make_user(con, Role.COMMERCIAL, "Alice Martin")
    make_user(con, Role.COMMERCIAL, "Bruno Sans")
    make_affaire(con, alice)
    lost = make_affaire(con, alice)
    current = affaires.get_affaire(con, alice, lost)
    affaires.update_affaire(
        con, alice, lost, {"statut": "Perdue", "code_cloture": "Prix"}, current.version
    )
    table = users.users_with_affaires(con, admin(con)).set_index("nom")
    assert table.loc["Alice Martin", ["affaires", "en_cours"]].tolist() == [2, 1]
    assert table.loc["Bruno Sans", ["affaires", "en_cours"]].tolist() == [0, 0]


def test_a_user_without_email_shows_a_blank_not_none(con: db.Connection) -> None:
    users.add_user(con, None, "sanscourriel", Role.COMMERCIAL.value, "Sans Courriel", None)
    at = open_page()
    table = at.dataframe[0].value.set_index("nom")
    assert table.loc["Sans Courriel", "email"] == ""
    assert not table.isna().any().any()


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
    assert any("3 affaires de Alice Martin confiées" in t.value for t in at.toast)


def test_two_users_cannot_share_an_e_mail_whatever_its_case() -> None:
    con = new_base()
    users.add_user(con, None, "amartin", "commercial", "Alice", "alice@exemple.fr")
    with pytest.raises(ValidationError) as refused:
        users.add_user(con, None, "alice2", "commercial", "Alice bis", "Alice@Exemple.FR")
    assert refused.value.for_field("email") == [
        "L'adresse « Alice@Exemple.FR » est déjà celle de Alice."
    ]


def test_a_user_cannot_take_anothers_e_mail() -> None:
    con = new_base()
    users.add_user(con, None, "amartin", "commercial", "Alice", "alice@exemple.fr")
    bob = users.add_user(con, None, "bpetit", "commercial", "Bob", "bob@exemple.fr")
    with pytest.raises(ValidationError):
        users.update_user(
            con, admin(con), bob, nom="Bob", email="ALICE@exemple.fr", role="commercial", actif=True
        )
    assert users.actor_by_email(con, "bob@exemple.fr") is not None


def test_an_e_mail_two_users_share_signs_nobody_in() -> None:
    con = new_base()
    users.add_user(con, None, "amartin", "admin", "Alice", "alice@exemple.fr")
    users.add_user(con, None, "bpetit", "commercial", "Bob")
    con.execute("UPDATE utilisateur SET email = 'ALICE@exemple.fr' WHERE login = 'bpetit'")
    assert users.actor_by_email(con, "alice@exemple.fr") is None


@pytest.mark.parametrize(
    "create",
    [
        lambda con, n: users.add_user(con, None, "dupont", "commercial", f"Dupont {n}"),
        lambda con, n: comptes.create_compte(con, admin(con), {"nom": "Société Générale"}),
        lambda con, n: referentiels.save_value(con, admin(con), "famille_article", "Conseil"),
    ],
    ids=["login", "compte", "famille"],
)
def test_the_same_name_created_at_the_same_instant_is_refused_in_french(
    tmp_path: Path, create: Callable[[db.Connection, int], object]
) -> None:
    path = engines.fresh_target(tmp_path)
    con = db.shared_connection(path)
    refusals: list[str] = []
    try:
        for _ in range(RACES):
            outcomes = race(partial(create, con, 0), partial(create, con, 1))
            [refused] = [o for o in outcomes if o is not None]
            assert isinstance(refused, ValidationError), refused
            refusals.append(str(refused))
            con.execute("DELETE FROM compte_cle")
            con.execute("DELETE FROM compte")
            con.execute("DELETE FROM utilisateur WHERE login = 'dupont'")
            con.execute("DELETE FROM famille_article WHERE nom = 'Conseil'")
    finally:
        db.close_shared(path)
    assert all("existe déjà" in r for r in refusals), set(refusals)
