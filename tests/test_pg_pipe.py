"""PostgreSQL's indexes for the Pipe screen and each affaire's kept stay in its étape
(crm_data.store.pg_pipe, MIGRATION_12): a base on PostgreSQL gets the indexes and the estimate
of the actions done in a period, DuckDB none; after saves and plain writes of versions, the kept
stay equals A8's latest entry computed from scratch."""

from __future__ import annotations

import pytest

from crm_data import affaires
from crm_data.store import db
from crm_data.store.db import dialect
from crm_data.store.engine import POSTGRESQL
from crm_data.store.schema import MIGRATION_12, PostgresOnly
from tests.factories import admin, make_affaire, new_base

PIPE_INDEXES = {
    "affaire_ouverte_fin_idx": (
        "affaire",
        ["(date_fin) INCLUDE (", "ca_attendu", "contact_id", "derniere_action_faite"],
    ),
    "action_faite_jour_idx": (
        "action",
        ["(COALESCE(fait_le, date_action)) INCLUDE (utilisateur_id", "fait_le, date_action)"],
    ),
}


@pytest.mark.usefixtures("engine")
def test_the_pipe_indexes_are_partial_covering_and_postgresql_only() -> None:
    assert all(isinstance(s, PostgresOnly) for s in MIGRATION_12)
    con = new_base()
    if dialect(con) != POSTGRESQL:
        found = {
            str(r[0]) for r in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        }
        assert not set(PIPE_INDEXES) & found
        return
    rows = con.execute(
        "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    ).fetchall()
    found_pg = {str(n): (str(t), str(d)) for n, t, d in rows}
    for name, (table, parts) in PIPE_INDEXES.items():
        assert found_pg[name][0] == table
        for part in parts:
            assert part in found_pg[name][1]
        assert " WHERE " in found_pg[name][1]
    statistics = con.execute(
        "SELECT stxname FROM pg_statistic_ext WHERE stxrelid = CAST('action' AS regclass)"
    ).fetchall()
    assert ("action_faite_jour_stats",) in [tuple(map(str, r)) for r in statistics]


def _wrong_stays(pg_con: db.Connection) -> int:
    """How many affaires keep a sejour_depuis other than A8's latest entry into an étape,
    recomputed here from the versions (lag, not their kept etape_avant)."""
    row = pg_con.execute(
        """
        SELECT count(*)
        FROM affaire AS a
        LEFT JOIN (
            SELECT affaire_id, CAST(max(valid_from) FILTER (WHERE entree) AS DATE) AS depuis
            FROM (
                SELECT affaire_id, valid_from,
                       etape IS DISTINCT FROM lag(etape) OVER (
                           PARTITION BY affaire_id ORDER BY valid_from, version
                       ) AS entree
                FROM affaire_version
            ) AS v
            GROUP BY affaire_id
        ) AS e ON e.affaire_id = a.id
        WHERE a.sejour_depuis IS DISTINCT FROM e.depuis
        """
    ).fetchone()
    assert row is not None
    return int(row[0])


def _stays(pg_con: db.Connection) -> list[int]:
    """Three affaires whose étape changed, or not, over saves on several days."""
    manager = admin(pg_con)
    ids = [make_affaire(pg_con, manager, nom=nom) for nom in ("Une", "Deux", "Trois")]
    for affaire_id, etape in ((ids[0], "Analyse des besoins"), (ids[1], "Qualification")):
        current = affaires.get_affaire(pg_con, manager, affaire_id)
        affaires.update_affaire(pg_con, manager, affaire_id, {"etape": etape}, current.version)
    current = affaires.get_affaire(pg_con, manager, ids[2])
    affaires.update_affaire(pg_con, manager, ids[2], {"ca_potentiel": 10}, current.version)
    # The saves above are all of today: spread the versions over days, as history is.
    pg_con.execute(
        "UPDATE affaire_version SET valid_from = valid_from - (10 - version) * INTERVAL '3 days'"
    )
    return ids


def test_saves_and_plain_writes_of_versions_keep_each_affaire_s_stay(
    pg_con: db.Connection,
) -> None:
    ids = _stays(pg_con)
    kept = pg_con.execute("SELECT count(sejour_depuis) FROM affaire").fetchone()
    assert kept is not None and kept[0] == 3
    assert _wrong_stays(pg_con) == 0
    writes = [
        (
            "UPDATE affaire_version SET etape = 'Négociation' WHERE affaire_id = ? AND version = 1",
            [ids[2]],
        ),
        ("DELETE FROM affaire_version WHERE affaire_id = ? AND version = 2", [ids[0]]),
        (
            "UPDATE affaire_version SET affaire_id = ? WHERE affaire_id = ? AND version = 2",
            [ids[0], ids[1]],
        ),
        ("DELETE FROM affaire_version WHERE affaire_id = ?", [ids[2]]),
    ]
    for statement, values in writes:
        pg_con.execute(statement, values)
        assert _wrong_stays(pg_con) == 0


def test_without_its_triggers_a_write_of_versions_leaves_a_wrong_stay(
    pg_con: db.Connection,
) -> None:
    """The control: the check above sees a stay the base did not keep."""
    ids = _stays(pg_con)
    for event in ("insert", "update", "delete"):
        pg_con.execute(
            f"DROP TRIGGER affaire_version_sejour_depuis_kept_{event} ON affaire_version"
        )
    pg_con.execute("DELETE FROM affaire_version WHERE affaire_id = ? AND version = 2", [ids[0]])
    assert _wrong_stays(pg_con) == 1
