"""Affaire writes: closing dates follow the statut, history records every change, versions lock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm_data import affaires, history
from crm_data.model import ConflictError, NotFoundError, Role, ValidationError
from crm_data.store.db import Connection
from tests.factories import admin, make_affaire, make_compte, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


def test_winning_sets_signature_and_closing_date_to_today(con: Connection) -> None:
    affaire_id = make_affaire(con, ca_potentiel=1000)
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    won = affaires.update_affaire(
        con, admin(con), affaire_id, {"statut": "Gagnée", "total_ht": 900}, aff.version
    )
    assert won.date_signature == dt.date.today()
    assert won.date_cloture == won.date_signature
    assert won.total_ht == Decimal("900.00")


def test_closing_date_equals_a_given_signature_date(con: Connection) -> None:
    affaire_id = make_affaire(con, date_debut="2026-01-05")
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    won = affaires.update_affaire(
        con,
        admin(con),
        affaire_id,
        {"statut": "Gagnée", "total_ht": 1, "date_signature": "2026-03-01"},
        aff.version,
    )
    assert won.date_cloture == dt.date(2026, 3, 1)


@pytest.mark.parametrize("statut", ["Perdue", "Abandonnée"])
def test_losing_or_abandoning_sets_the_closing_date(con: Connection, statut: str) -> None:
    affaire_id = make_affaire(con)
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    closed = affaires.update_affaire(
        con, admin(con), affaire_id, {"statut": statut, "code_cloture": "Prix"}, aff.version
    )
    assert closed.date_cloture == dt.date.today()


def test_reopening_clears_closing_date_and_code(con: Connection) -> None:
    affaire_id = make_affaire(con)
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    lost = affaires.update_affaire(
        con, admin(con), affaire_id, {"statut": "Perdue", "code_cloture": "Prix"}, aff.version
    )
    reopened = affaires.update_affaire(
        con, admin(con), affaire_id, {"statut": "En cours"}, lost.version
    )
    assert reopened.date_cloture is None
    assert reopened.code_cloture is None


def test_history_records_creation_and_each_change(con: Connection) -> None:
    affaire_id = make_affaire(con, nom="ERP", etape="Qualification")
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    affaires.update_affaire(con, admin(con), affaire_id, {"etape": "Négociation"}, aff.version)
    frame = history.affaire_history(con, admin(con), affaire_id)
    # The réussite follows the étape in the same save: two rows of the same instant.
    latest = frame[frame["ancien"].notna() & (frame["champ"] == "Étape")].iloc[0]
    assert (latest["champ"], latest["ancien"], latest["nouveau"]) == (
        "Étape",
        "Qualification",
        "Négociation",
    )
    assert latest["utilisateur"] == "Administrateur local"
    created = frame[frame["ancien"].isna()]
    assert set(created["champ"]) >= {"Nom", "Statut", "Étape", "Compte", "Gestion par"}


def test_an_unchanged_save_writes_nothing(con: Connection) -> None:
    affaire_id = make_affaire(con, nom="ERP")
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    before = len(history.affaire_history(con, admin(con), affaire_id))
    same = affaires.update_affaire(con, admin(con), affaire_id, {"nom": "ERP"}, aff.version)
    assert same.version == aff.version
    assert len(history.affaire_history(con, admin(con), affaire_id)) == before


def test_stale_save_is_refused_and_names_who_saved(con: Connection) -> None:
    marie = make_user(con, Role.MANAGER, "Marie Curie")
    affaire_id = make_affaire(con)
    opened = affaires.get_affaire(con, admin(con), affaire_id)
    affaires.update_affaire(con, marie, affaire_id, {"nom": "Par Marie"}, opened.version)
    with pytest.raises(ConflictError) as caught:
        affaires.update_affaire(con, admin(con), affaire_id, {"nom": "Par moi"}, opened.version)
    assert caught.value.saved_by == "Marie Curie"
    assert "Marie Curie" in str(caught.value)
    assert affaires.get_affaire(con, admin(con), affaire_id).nom == "Par Marie"


def test_rejected_update_changes_nothing(con: Connection) -> None:
    affaire_id = make_affaire(con, nom="ERP")
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    with pytest.raises(ValidationError):
        affaires.update_affaire(
            con, admin(con), affaire_id, {"nom": "Nouveau nom", "statut": "Perdue"}, aff.version
        )
    after = affaires.get_affaire(con, admin(con), affaire_id)
    assert (after.nom, after.statut, after.version) == ("ERP", "En cours", aff.version)


def test_commercial_cannot_see_another_commercials_affaire(con: Connection) -> None:
    alice, bob = make_user(con), make_user(con)
    affaire_id = make_affaire(con, alice)
    with pytest.raises(NotFoundError):
        affaires.get_affaire(con, bob, affaire_id)
    assert affaires.get_affaire(con, alice, affaire_id).gestion_par == alice.id


def test_delete_removes_affaire_and_its_history(con: Connection) -> None:
    affaire_id = make_affaire(con)
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    affaires.delete_affaire(con, admin(con), affaire_id, aff.version)
    with pytest.raises(NotFoundError):
        affaires.get_affaire(con, admin(con), affaire_id)
    left = con.execute(
        "SELECT count(*) FROM affaire_historique WHERE affaire_id = ?", [affaire_id]
    ).fetchone()
    assert left == (0,)


def test_a_delete_from_a_stale_version_is_refused_naming_who_saved(con: Connection) -> None:
    manager = make_user(con, Role.MANAGER, "Claire Durand")
    affaire_id = make_affaire(con)
    affaires.update_affaire(con, manager, affaire_id, {"notes": "Relancé"}, 1)
    with pytest.raises(ConflictError, match="Claire Durand a enregistré cette fiche"):
        affaires.delete_affaire(con, admin(con), affaire_id, 1)
    assert affaires.get_affaire(con, admin(con), affaire_id).notes == "Relancé"


def test_a_misspelled_field_is_refused_and_nothing_is_saved(con: Connection) -> None:
    values = {"nom": "Coquille", "compte_id": make_compte(con), "etap": "Négociation"}
    with pytest.raises(ValidationError) as caught:
        affaires.create_affaire(con, admin(con), values | {"ca_potentiell": 5000})
    assert caught.value.errors == [
        ("etap", "Champ inconnu « etap », rien n'a été enregistré : vouliez-vous dire « etape » ?"),
        (
            "ca_potentiell",
            "Champ inconnu « ca_potentiell », rien n'a été enregistré : "
            "vouliez-vous dire « ca_potentiel » ?",
        ),
    ]
    assert con.execute("SELECT count(*) FROM affaire").fetchone() == (0,)


def test_update_refuses_an_unknown_field_and_changes_nothing(con: Connection) -> None:
    affaire_id = make_affaire(con)
    opened = affaires.get_affaire(con, admin(con), affaire_id)
    with pytest.raises(ValidationError) as caught:
        affaires.update_affaire(
            con, admin(con), affaire_id, {"nom": "Renommée", "couleur": "bleu"}, opened.version
        )
    assert caught.value.errors == [
        ("couleur", "Champ inconnu « couleur », rien n'a été enregistré.")
    ]
    assert affaires.get_affaire(con, admin(con), affaire_id) == opened


def test_a_source_id_is_accepted_beside_the_fields(con: Connection) -> None:
    affaire_id = make_affaire(con, source_id="CRM-42")
    row = con.execute("SELECT source_id FROM affaire WHERE id = ?", [affaire_id]).fetchone()
    assert row == ("CRM-42",)
