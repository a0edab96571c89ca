"""PostgreSQL's own indexes (MIGRATION_6 and 8) exist there, and DuckDB gets none of them."""

from __future__ import annotations

import pytest

from crm_data.store.db import dialect
from crm_data.store.schema import MIGRATION_8, PostgresOnly
from tests.factories import indexes, new_base

pytestmark = pytest.mark.usefixtures("engine")

MES_ACTIONS_INDEXES = {
    "action_todo_idx": ("action", "(utilisateur_id, echeance, id) WHERE (NOT fait)"),
    "affaire_open_updated_idx": ("affaire", "(updated_at, id) WHERE"),
    "affaire_open_gestion_par_idx": ("affaire", "(gestion_par, updated_at, id) WHERE"),
}


def test_mes_actions_indexes_are_postgresql_only() -> None:
    assert all(isinstance(s, PostgresOnly) for s in MIGRATION_8)
    con = new_base()
    found = indexes(con)
    if dialect(con) != "postgresql":
        assert not set(MES_ACTIONS_INDEXES) & set(found)
        return
    for name, (table, columns) in MES_ACTIONS_INDEXES.items():
        assert found[name][0] == table
        assert columns in found[name][1]
    assert "statut)::text = 'En cours'" in found["affaire_open_updated_idx"][1]
