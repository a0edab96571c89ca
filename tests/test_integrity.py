"""The integrity check: silent on a sound base, one French line per kind of damage."""

from __future__ import annotations

import pytest

from crm_data import actions, affaires
from crm_data.store import db, integrity
from tests import engines
from tests.factories import admin, make_affaire, make_compte, make_contact, new_base

pytestmark = pytest.mark.usefixtures("engine")


def sound_base() -> db.Connection:
    con = new_base()
    compte = make_compte(con)
    contact = make_contact(con, compte)
    first = make_affaire(con, compte_id=compte, contact_id=contact, ca_potentiel="1500.5")
    make_affaire(con, compte_id=compte, statut="Perdue", code_cloture="Prix")
    make_affaire(con, compte_id=compte, statut="Gagnée", total_ht="900", notes="  gardées  ")
    actions.create_action(con, admin(con), first, {"type": "Mail", "objet": "Envoi"})
    current = affaires.get_affaire(con, admin(con), first)
    affaires.update_affaire(
        con, admin(con), first, {"etape": "Négociation", "date_fin": "2031-01-31"}, current.version
    )
    return con


def test_sound_base_has_no_problem() -> None:
    assert integrity.check(sound_base()) == []


def test_empty_base_has_no_problem() -> None:
    assert integrity.check(new_base()) == []


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            "UPDATE affaire SET deleted_at = now() WHERE id = 2",
            "1 affaire(s) dont la suppression n'a pas été terminée (affaire n° 2).",
        ),
        ("UPDATE affaire SET compte_id = 999 WHERE id = 2", "affaire(s) : compte inexistant"),
        ("UPDATE affaire SET gestion_par = 999 WHERE id = 2", "« gestion par » inexistant"),
        ("UPDATE affaire SET etape = 'Inconnue' WHERE id = 1", "étape hors de la liste"),
        (
            "UPDATE affaire SET famille_article = 'Bijoux' WHERE id = 1",
            "famille d'article hors de la liste",
        ),
        (
            "UPDATE affaire SET ca_potentiel = 1 WHERE id = 1",
            "1 affaire(s) dont « ca_potentiel » diffère de sa dernière version (affaire n° 1).",
        ),
        (
            "DELETE FROM affaire_version WHERE affaire_id = 2",
            "1 affaire(s) sans version (affaire n° 2).",
        ),
        (
            "DELETE FROM affaire_version WHERE affaire_id = 1 AND version = 2",
            "1 affaire(s) dont « etape » diffère de sa dernière version (affaire n° 1).",
        ),
        (
            "INSERT INTO affaire_version SELECT * FROM affaire_version WHERE affaire_id = 3",
            "1 affaire(s) ayant deux versions du même numéro (affaire n° 3).",
        ),
        (
            "UPDATE affaire SET version = 7 WHERE id = 3",
            "1 affaire(s) dont « version » diffère de sa dernière version (affaire n° 3).",
        ),
    ],
)
def test_each_damage_is_reported_in_french(damage: str, expected: str) -> None:
    con = sound_base()
    con.execute(damage)
    problems = integrity.check(con)
    assert any(expected in p for p in problems), problems


def _orphan_behind_the_foreign_key(con: db.Connection, table: str, values: str) -> None:
    """A row inserted under affaire 2 while another transaction deletes it: DuckDB's foreign
    key lets both commit when neither has committed at the other's statement."""
    child, parent = con.cursor(), con.cursor()
    for hanging in ("action", "document", "projet", "affaire_historique", "affaire_version"):
        con.execute(f"DELETE FROM {hanging} WHERE affaire_id = 2")
    child.execute("BEGIN TRANSACTION")
    child.execute(f"INSERT INTO {table} {values}")
    parent.execute("DELETE FROM affaire WHERE id = 2")
    child.execute("COMMIT")


@pytest.mark.parametrize(
    ("table", "values", "expected"),
    [
        (
            "action",
            "(affaire_id, type, date_action, objet, utilisateur_id) "
            "VALUES (2, 'Mail', DATE '2026-01-01', 'Perdue', 1)",
            "1 action(s) rattachée(s) à une affaire qui n'existe pas (n° 2).",
        ),
        (
            "affaire_historique",
            "(affaire_id, changed_at, champ, nouveau) VALUES (2, now(), 'document', 'x')",
            "événement(s) d'historique d'une affaire qui n'existe pas",
        ),
        (
            "affaire_version",
            "BY NAME SELECT * REPLACE (2 AS affaire_id) FROM affaire_version WHERE affaire_id = 1",
            "version(s) d'une affaire qui n'existe pas (affaire n° 2)",
        ),
    ],
)
def test_a_row_left_on_a_deleted_affaire_is_reported(
    engine: str, table: str, values: str, expected: str
) -> None:
    if engine == engines.POSTGRESQL:
        pytest.skip("PostgreSQL's foreign key makes the delete wait for the insert: no orphan")
    con = sound_base()
    _orphan_behind_the_foreign_key(con, table, values)
    problems = integrity.check(con)
    assert any(expected in p for p in problems), problems


def test_contact_of_another_compte_is_reported() -> None:
    con = sound_base()
    other = make_contact(con, make_compte(con), "Martin")
    con.execute("UPDATE affaire SET contact_id = ? WHERE id = 1", [other])
    problems = integrity.check(con)
    assert any("contact d'un autre compte" in p for p in problems)


def test_examples_are_capped() -> None:
    con = new_base()
    compte = make_compte(con)
    for _ in range(7):
        make_affaire(con, compte_id=compte)
    con.execute("UPDATE affaire SET notes = 'sans version'")
    [problem] = integrity.check(con)
    assert problem.startswith("7 affaire(s) dont « notes »")
    assert problem.endswith("affaire n° 5 ...).")
