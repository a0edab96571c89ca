"""The schema: constraints hold in the database itself, and an older base upgrades on opening."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from crm_data import affaires
from crm_data.store import schema
from crm_data.store.db import open_base
from tests.factories import admin, make_affaire


def test_a_new_base_is_at_the_current_version() -> None:
    con = open_base(":memory:")
    assert schema.current_version(con) == schema.SCHEMA_VERSION


def test_opening_twice_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    open_base(path).close()
    con = open_base(path)
    rows = con.execute("SELECT count(*) FROM schema_version").fetchone()
    assert rows == (schema.SCHEMA_VERSION,)
    assert con.execute("SELECT count(*) FROM etape").fetchone() == (4,)


def test_a_version_1_base_upgrades_and_keeps_its_affaires(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    schema.migrate(old, target=1)
    old.execute("INSERT INTO compte (nom, nom_cle) VALUES ('Ancien', 'ancien')")
    old.execute(
        """
        INSERT INTO affaire (nom, date_debut, compte_id, gestion_par, statut, etape, type)
        VALUES ('Affaire v1', DATE '2024-02-01', 1, 1, 'En cours', 'Qualification', 'Nouveau')
        """
    )
    old.close()
    con = open_base(path)
    assert schema.current_version(con) == schema.SCHEMA_VERSION
    aff = affaires.get_affaire(con, admin(con), 1)
    assert (aff.nom, aff.source_id) == ("Affaire v1", None)
    assert con.execute("SELECT count(*) FROM import_mapping").fetchone() == (0,)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE affaire SET reussite = 150",
        "UPDATE affaire SET ca_potentiel = -1",
        "UPDATE affaire SET statut = 'Perdue', date_cloture = current_date",
        "UPDATE affaire SET statut = 'Gagnée', date_cloture = current_date",
        "UPDATE affaire SET date_fin = date_debut - 1",
        "UPDATE affaire SET statut = 'Signée'",
        "UPDATE affaire SET date_cloture = current_date",
    ],
)
def test_the_database_itself_refuses_what_breaks_a_rule(statement: str) -> None:
    con = open_base(":memory:")
    make_affaire(con)
    with pytest.raises(duckdb.ConstraintException):
        con.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO action (affaire_id, type, date_action, objet, utilisateur_id)"
        " VALUES (77, 'Mail', current_date, 'x', 1)",
        "INSERT INTO document (affaire_id, type, numero, date_document, montant_ht, statut)"
        " VALUES (77, 'Devis', 'D1', current_date, 1, 'Brouillon')",
        "INSERT INTO projet (affaire_id, nom, statut) VALUES (77, 'x', 'En cours')",
        "INSERT INTO affaire_historique (affaire_id, changed_at, champ)"
        " VALUES (77, current_timestamp, 'nom')",
    ],
)
def test_nothing_can_hang_on_a_missing_affaire(statement: str) -> None:
    con = open_base(":memory:")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(statement)


def test_an_affaire_with_children_can_change_its_compte_and_manager() -> None:
    con = open_base(":memory:")
    affaire_id = make_affaire(con)
    other = make_affaire(con)
    con.execute(
        """
        UPDATE affaire
        SET gestion_par = 1, compte_id = (SELECT compte_id FROM affaire WHERE id = ?)
        WHERE id = ?
        """,
        [other, affaire_id],
    )


def _version_2_base(path: Path) -> None:
    """A base built by MIGRATION_1 and 2 only, with a row in every table hanging on an affaire
    and one action left orphaned by a delete raced under the old code."""
    old = duckdb.connect(str(path))
    schema.migrate(old, target=2)
    for statement in (
        "INSERT INTO compte (nom, nom_cle) VALUES ('Ancien', 'ancien')",
        "INSERT INTO compte_cle VALUES ('ancien', 1)",
        "INSERT INTO contact (compte_id, nom) VALUES (1, 'Durand')",
        """
        INSERT INTO affaire (nom, date_debut, compte_id, contact_id, gestion_par, statut, etape,
                             type, ca_potentiel, source_id)
        VALUES ('Affaire v2', DATE '2024-02-01', 1, 1, 1, 'En cours', 'Qualification',
                'Nouveau', 1234.50, 'SF-1'),
               ('Autre', DATE '2024-03-01', 1, NULL, 1, 'En cours', 'Qualification',
                'Nouveau', NULL, NULL)
        """,
        """
        INSERT INTO affaire_historique (affaire_id, changed_at, changed_by, champ, nouveau)
        VALUES (1, TIMESTAMP '2024-02-01 10:00', 1, 'nom', 'Affaire v2')
        """,
        """
        INSERT INTO action (affaire_id, type, date_action, objet, utilisateur_id)
        VALUES (1, 'Mail', DATE '2024-02-02', 'Relance', 1),
               (99, 'Mail', DATE '2024-02-02', 'Orpheline', 1)
        """,
        """
        INSERT INTO document (affaire_id, type, numero, date_document, montant_ht, statut,
                              fichier)
        VALUES (1, 'Devis', 'D-1', DATE '2024-02-03', 1000, 'Envoyé', '%PDF-1'::BLOB)
        """,
        "INSERT INTO projet (affaire_id, nom, statut) VALUES (2, 'Déploiement', 'En cours')",
    ):
        old.execute(statement)
    old.close()


def test_a_version_2_base_upgrades_with_its_rows_and_the_new_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    _version_2_base(path)
    con = open_base(path)
    assert schema.current_version(con) == schema.SCHEMA_VERSION
    aff = affaires.get_affaire(con, admin(con), 1)
    assert (aff.nom, aff.contact_id, str(aff.ca_potentiel), aff.source_id) == (
        "Affaire v2",
        1,
        "1234.50",
        "SF-1",
    )
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()
        for t in (
            "affaire",
            "affaire_version",
            "affaire_historique",
            "action",
            "document",
            "projet",
        )
    }
    # The one field-history row folded into a version; each affaire has its version.
    assert counts == {
        "affaire": (2,),
        "affaire_version": (2,),
        "affaire_historique": (0,),
        "action": (1,),
        "document": (1,),
        "projet": (1,),
    }
    assert con.execute("SELECT fichier FROM document").fetchone() == (b"%PDF-1",)
    keys = con.execute(
        """
        SELECT table_name, referenced_table
        FROM duckdb_constraints()
        WHERE constraint_type = 'FOREIGN KEY'
          AND 'affaire_id' IN constraint_column_names
        ORDER BY table_name
        """
    ).fetchall()
    assert keys == [
        ("action", "affaire"),
        ("affaire_historique", "affaire"),
        ("affaire_version", "affaire"),
        ("document", "affaire"),
        ("projet", "affaire"),
    ]
    assert con.execute(
        "SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'affaire_source_id_idx'"
    ).fetchone() == (1,)
    assert make_affaire(con) == 3
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE affaire SET reussite = 150 WHERE id = 1")


def test_opening_a_base_finishes_a_deletion_left_half_done(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    con = open_base(path)
    kept, marked = make_affaire(con), make_affaire(con)
    con.execute("UPDATE affaire SET deleted_at = current_timestamp WHERE id = ?", [marked])
    con.close()
    con = open_base(path)
    assert con.execute("SELECT id FROM affaire").fetchall() == [(kept,)]
    assert con.execute(
        "SELECT count(*) FROM affaire_historique WHERE affaire_id = ?", [marked]
    ).fetchone() == (0,)
