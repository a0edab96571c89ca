"""PostgreSQL's own indexes (MIGRATION_6 and 8) exist there, and DuckDB gets none of them."""

from __future__ import annotations

import pytest

from crm_data.store.db import Connection, dialect
from crm_data.store.schema import MIGRATION_8, PostgresOnly
from tests.factories import new_base

pytestmark = pytest.mark.usefixtures("engine")

MES_ACTIONS_INDEXES = {
    "action_todo_idx": ("action", "(utilisateur_id, echeance, id) WHERE (NOT fait)"),
    "affaire_open_updated_idx": ("affaire", "(updated_at, id) WHERE"),
    "affaire_open_gestion_par_idx": ("affaire", "(gestion_par, updated_at, id) WHERE"),
}


def _indexes(con: Connection) -> dict[str, tuple[str, str]]:
    if dialect(con) == "postgresql":
        rows = con.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        ).fetchall()
    else:
        rows = con.execute("SELECT index_name, table_name, sql FROM duckdb_indexes()").fetchall()
    return {str(n): (str(t), str(d)) for n, t, d in rows}


def test_mes_actions_indexes_are_postgresql_only() -> None:
    assert all(isinstance(s, PostgresOnly) for s in MIGRATION_8)
    con = new_base()
    found = _indexes(con)
    if dialect(con) != "postgresql":
        assert not set(MES_ACTIONS_INDEXES) & set(found)
        return
    for name, (table, columns) in MES_ACTIONS_INDEXES.items():
        assert found[name][0] == table
        assert columns in found[name][1]
    assert "statut)::text = 'En cours'" in found["affaire_open_updated_idx"][1]
