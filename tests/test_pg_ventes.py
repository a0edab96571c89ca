"""PostgreSQL's indexes for the Ventes screen (crm_data.store.pg_ventes, MIGRATION_11): a base on
PostgreSQL gets each of them, partial and covering, and DuckDB none."""

from __future__ import annotations

import pytest

from crm_data.store.db import dialect
from crm_data.store.engine import POSTGRESQL
from crm_data.store.schema import MIGRATION_11, PostgresOnly
from tests.factories import indexes, new_base

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
    found = indexes(con)
    if dialect(con) != POSTGRESQL:
        assert not set(VENTES_INDEXES) & set(found)
        return
    for name, (table, columns) in VENTES_INDEXES.items():
        assert found[name][0] == table
        assert columns in found[name][1]
        assert " WHERE " in found[name][1]
