"""The schema: constraints hold in the database itself, and an older base upgrades on opening."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from crm_data import affaires, schema
from crm_data.db import open_base
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


def test_an_affaire_cannot_point_to_a_missing_compte() -> None:
    con = open_base(":memory:")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            """
            INSERT INTO affaire (nom, date_debut, compte_id, gestion_par, statut, etape, type)
            VALUES ('x', current_date, 77, 1, 'En cours', 'Qualification', 'Nouveau')
            """
        )
