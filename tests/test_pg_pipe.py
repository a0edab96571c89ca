"""PostgreSQL's indexes for the Pipe screen (crm_data.store.pg_pipe, MIGRATION_12): a base on
PostgreSQL gets them and the estimate of the actions done in a period, DuckDB none."""

from __future__ import annotations

import pytest

from crm_data.store.db import dialect
from crm_data.store.engine import POSTGRESQL
from crm_data.store.schema import MIGRATION_12, PostgresOnly
from tests.factories import indexes, new_base

pytestmark = pytest.mark.usefixtures("engine")

PIPE_INDEXES = {
    "affaire_ouverte_fin_idx": (
        "affaire",
        ["(date_fin) INCLUDE (id, ", "ca_attendu", "contact_id", "derniere_action_faite"],
    ),
    "affaire_perdue_sans_code_idx": ("affaire", ["(id) INCLUDE (deleted_at, gestion_par"]),
}


def test_the_pipe_indexes_are_partial_covering_and_postgresql_only() -> None:
    assert all(isinstance(s, PostgresOnly) for s in MIGRATION_12)
    con = new_base()
    found = indexes(con)
    if dialect(con) != POSTGRESQL:
        assert not set(PIPE_INDEXES) & set(found)
        return
    for name, (table, parts) in PIPE_INDEXES.items():
        assert found[name][0] == table
        for part in parts:
            assert part in found[name][1]
        assert " WHERE " in found[name][1]
    statistics = con.execute(
        "SELECT stxname FROM pg_statistic_ext WHERE stxrelid = CAST('action' AS regclass)"
    ).fetchall()
    assert ("action_faite_jour_stats",) in [tuple(map(str, r)) for r in statistics]
