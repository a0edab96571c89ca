"""SPEC §1 rules, case by case: what each bad value is told, and the defaults a creation gets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from crm_data import affaires
from crm_data.model import ValidationError
from crm_data.store.db import Connection
from tests.factories import admin, make_compte, make_contact, new_base

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


def valid(con: Connection, **values: Any) -> dict[str, Any]:
    return {"nom": "Projet ERP", "compte_id": make_compte(con), **values}


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"nom": ""}, "nom", "obligatoire"),
        ({"nom": "   "}, "nom", "obligatoire"),
        ({"nom": "x" * 201}, "nom", "200 caractères"),
        ({"compte_id": None}, "compte_id", "obligatoirement liée à un compte"),
        ({"compte_id": 999_999}, "compte_id", "introuvable"),
        ({"date_debut": "2026-05-10", "date_fin": "2026-05-09"}, "date_fin", "précéder"),
        ({"date_debut": "pas une date"}, "date_debut", "Date invalide"),
        ({"statut": "Signée"}, "statut", "Statut inconnu"),
        ({"etape": "Closing"}, "etape", "ne fait pas partie"),
        ({"type": "Upsell"}, "type", "Type inconnu"),
        ({"famille_article": "Voitures"}, "famille_article", "ne fait pas partie"),
        ({"ca_potentiel": -1}, "ca_potentiel", "négatif"),
        ({"ca_potentiel": "beaucoup"}, "ca_potentiel", "Montant invalide"),
        ({"ca_attendu": "-0.01"}, "ca_attendu", "négatif"),
        ({"reussite": 101}, "reussite", "0 à 100"),
        ({"reussite": -5}, "reussite", "0 à 100"),
        ({"reussite": 12.5}, "reussite", "entier"),
        ({"statut": "Perdue"}, "code_cloture", "code clôture"),
        ({"statut": "En cours", "code_cloture": "Prix"}, "code_cloture", "perdues ou abandonnées"),
        ({"statut": "Gagnée", "code_cloture": "Prix", "total_ht": 1}, "code_cloture", "perdues"),
        ({"statut": "Gagnée"}, "total_ht", "total HT"),
        (
            {"statut": "Gagnée", "total_ht": 5, "date_signature": None},
            "date_signature",
            "signature",
        ),
        ({"gestion_par": 424242}, "gestion_par", "introuvable"),
        ({"code_cloture": "Inconnu", "statut": "Abandonnée"}, "code_cloture", "ne fait pas partie"),
    ],
)
def test_invalid_value_is_refused_with_its_field_and_message(
    con: Connection, values: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        affaires.create_affaire(con, admin(con), valid(con, **values))
    messages = caught.value.for_field(field)
    assert messages, caught.value.errors
    assert any(fragment in m for m in messages), messages


def test_every_problem_is_listed_at_once(con: Connection) -> None:
    values = {"nom": "", "compte_id": None, "reussite": 300, "ca_potentiel": -3}
    with pytest.raises(ValidationError) as caught:
        affaires.create_affaire(con, admin(con), values)
    assert {f for f, _ in caught.value.errors} == {"nom", "compte_id", "reussite", "ca_potentiel"}


def test_contact_of_another_compte_is_refused(con: Connection) -> None:
    other = make_compte(con)
    contact = make_contact(con, other)
    with pytest.raises(ValidationError) as caught:
        affaires.create_affaire(con, admin(con), valid(con, contact_id=contact))
    assert caught.value.for_field("contact_id") == [
        "Ce contact n'appartient pas au compte de l'affaire."
    ]


def test_creation_fills_the_guide_defaults(con: Connection) -> None:
    actor = admin(con)
    affaire_id = affaires.create_affaire(con, actor, valid(con))
    aff = affaires.get_affaire(con, actor, affaire_id)
    assert aff.date_debut == dt.date.today()
    assert aff.gestion_par == actor.id
    assert (aff.statut, aff.etape, aff.type) == ("En cours", "Qualification", "Nouveau")
    assert aff.reussite == 20
    assert aff.date_cloture is None
    assert aff.version == 1


@pytest.mark.parametrize(
    ("etape", "reussite"),
    [
        ("Qualification", 20),
        ("Analyse des besoins", 40),
        ("Proposition commerciale", 60),
        ("Négociation", 80),
    ],
)
def test_reussite_defaults_to_the_etape_rate(con: Connection, etape: str, reussite: int) -> None:
    affaire_id = affaires.create_affaire(con, admin(con), valid(con, etape=etape))
    assert affaires.get_affaire(con, admin(con), affaire_id).reussite == reussite


def test_given_reussite_wins_over_the_default(con: Connection) -> None:
    affaire_id = affaires.create_affaire(con, admin(con), valid(con, reussite=0))
    assert affaires.get_affaire(con, admin(con), affaire_id).reussite == 0


def test_names_of_lists_match_ignoring_case_and_accents(con: Connection) -> None:
    values = valid(
        con,
        etape="negociation",
        statut="perdue",
        code_cloture="DELAI DE REPONSE",
        type="recurrent",
        famille_article="materiel",
    )
    aff = affaires.get_affaire(con, admin(con), affaires.create_affaire(con, admin(con), values))
    assert (aff.etape, aff.statut, aff.code_cloture, aff.type, aff.famille_article) == (
        "Négociation",
        "Perdue",
        "Délai de réponse",
        "Récurrent",
        "Matériel",
    )


def test_amounts_are_kept_to_the_cent(con: Connection) -> None:
    affaire_id = affaires.create_affaire(con, admin(con), valid(con, ca_potentiel="1234.567"))
    assert affaires.get_affaire(con, admin(con), affaire_id).ca_potentiel == Decimal("1234.57")
