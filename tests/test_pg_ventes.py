"""PostgreSQL's indexes for the Ventes screen (crm_data.store.pg_ventes, MIGRATION_11): a base on
PostgreSQL gets each of them, partial and covering, and DuckDB none."""

from __future__ import annotations

import pytest

from crm_data.store.db import dialect
from crm_data.store.engine import POSTGRESQL
from crm_data.store.schema import MIGRATION_11, PostgresOnly
from tests.factories import new_base

pytestmark = pytest.mark.usefixtures("engine")

VENTES_INDEXES = {
    "affaire_gagnee_signature_idx": ("affaire", "(date_signature) INCLUDE ("),
    "affaire_fermee_cloture_idx": ("affaire", "(date_cloture) INCLUDE ("),
    "affaire_ouverte_fin_idx": ("affaire", "(date_fin) INCLUDE ("),
    "affaire_version_ouverte_to_idx": (
        "affaire_version",
        "(valid_to) INCLUDE (valid_from, affaire_id",
    ),
    "affaire_version_entree_idx": ("affaire_version", "(affaire_id, valid_from) WHERE"),
}


def test_the_ventes_indexes_are_partial_covering_and_postgresql_only() -> None:
    assert all(isinstance(s, PostgresOnly) for s in MIGRATION_11)
    con = new_base()
    if dialect(con) != POSTGRESQL:
        found = {
            str(r[0]) for r in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        }
        assert not set(VENTES_INDEXES) & found
        return
    rows = con.execute(
        """
        SELECT indexname, tablename, indexdef
        FROM pg_indexes
        WHERE schemaname = current_schema()
        """
    ).fetchall()
    found_pg = {str(n): (str(t), str(d)) for n, t, d in rows}
    for name, (table, columns) in VENTES_INDEXES.items():
        assert found_pg[name][0] == table
        assert columns in found_pg[name][1]
        assert " WHERE " in found_pg[name][1]
