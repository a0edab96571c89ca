"""Comptes are unique ignoring case and accents; contacts belong to one compte."""

from __future__ import annotations

import pytest

from crm_data import comptes, contacts
from crm_data.model import PermissionDeniedError, ValidationError
from crm_data.store.db import ENGINE_ERRORS, Connection, transaction
from tests.factories import admin, make_affaire, make_compte, make_contact, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


@pytest.mark.parametrize("twin", ["societe generale", "  SOCIÉTÉ   Générale ", "Société générale"])
def test_compte_name_is_unique_ignoring_case_and_accents(con: Connection, twin: str) -> None:
    make_compte(con, "Société Générale")
    with pytest.raises(ValidationError) as caught:
        comptes.create_compte(con, admin(con), {"nom": twin})
    assert caught.value.for_field("nom") == ["Le compte « Société Générale » existe déjà."]


def test_renaming_a_compte_with_affaires_keeps_them(con: Connection) -> None:
    compte_id = make_compte(con, "Ancien nom")
    make_affaire(con, compte_id=compte_id)
    comptes.update_compte(con, admin(con), compte_id, {"nom": "Nouveau nom"}, 1)
    assert comptes.find_compte_id(con, "nouveau NOM") == compte_id
    assert comptes.find_compte_id(con, "Ancien nom") is None
    frame, total = comptes.list_comptes(con, admin(con), "nouveau")
    assert (total, int(frame.loc[0, "affaires"])) == (1, 1)


def test_commercial_reads_but_does_not_edit_comptes(con: Connection) -> None:
    compte_id = make_compte(con, "Lecture")
    with pytest.raises(PermissionDeniedError):
        comptes.update_compte(con, make_user(con), compte_id, {"nom": "Autre"}, 1)
    assert comptes.get_compte(con, compte_id).nom == "Lecture"


def test_contact_email_must_be_valid(con: Connection) -> None:
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(
            con, admin(con), {"compte_id": make_compte(con), "nom": "X", "email": "pas-une-adresse"}
        )
    assert caught.value.for_field("email")


def test_contact_followed_by_affaires_cannot_change_compte(con: Connection) -> None:
    compte_id, other = make_compte(con), make_compte(con)
    contact_id = make_contact(con, compte_id, "Martin", prenom="Léa")
    make_affaire(con, compte_id=compte_id, contact_id=contact_id)
    with pytest.raises(ValidationError):
        contacts.update_contact(
            con, admin(con), contact_id, {"compte_id": other, "nom": "Martin"}, 1
        )
    assert contacts.find_contact_id(con, compte_id, "lea martin") == contact_id


def test_comptes_inserted_in_bulk_follow_the_compte_rule(con: Connection) -> None:
    with transaction(con) as cur:
        comptes.insert_comptes(cur, admin(con), [(900, {"nom": "  Acme  Sud ", "ville": " "})])
    row = con.execute(
        "SELECT c.nom, c.nom_cle, c.ville, c.created_by, k.compte_id "
        "FROM compte AS c JOIN compte_cle AS k ON k.nom_cle = c.nom_cle WHERE c.id = 900"
    ).fetchall()
    assert row == [("Acme  Sud", "acme sud", None, admin(con).id, 900)]


def test_comptes_inserted_in_bulk_raise_the_engines_own_error_and_write_nothing(
    con: Connection,
) -> None:
    make_compte(con, "Déjà là")
    with pytest.raises(ENGINE_ERRORS) as caught, transaction(con) as cur:
        comptes.insert_comptes(cur, admin(con), [(900, "Neuve"), (901, "deja la")])
    assert "aborted" not in str(caught.value)
    assert comptes.find_compte_id(con, "Neuve") is None
    with transaction(con) as cur:
        comptes.insert_comptes(cur, admin(con), [(902, "Neuve")])
    assert comptes.find_compte_id(con, "neuve") == 902


def test_comptes_inserted_in_bulk_refuse_an_empty_name(con: Connection) -> None:
    with pytest.raises(ValidationError) as caught, transaction(con) as cur:
        comptes.insert_comptes(cur, admin(con), [(900, {"nom": "  "})])
    assert caught.value.for_field("nom") == ["Le nom du compte est obligatoire."]
