"""PostgreSQL keeps each affaire's reports and last action done (crm_data.store.pg_list): after
inserts, updates and deletes of actions and versions, by the application and by plain SQL, the
kept columns equal their definitions computed from scratch; the list's search stays right on a
server where pg_trgm cannot be created."""

from __future__ import annotations

import datetime as dt
import os
import random

import psycopg
import pytest

from crm_data import actions, affaires, affaires_list
from crm_data.filters import Filters
from crm_data.model import Role
from crm_data.store import db, pg_versions, schema
from tests import engines
from tests.factories import admin, make_affaire, make_user


def wrong_kept(pg_con: db.Connection) -> int:
    """How many affaires keep a reports or a derniere_action_faite other than SPEC §3's,
    recomputed here from the versions (lag, not their kept date_fin_avant) and the actions."""
    row = pg_con.execute(
        """
        SELECT count(*)
        FROM affaire AS a
        LEFT JOIN (
            SELECT affaire_id, count(*) FILTER (WHERE date_fin > before) AS reports
            FROM (
                SELECT affaire_id, date_fin,
                       lag(date_fin) OVER (PARTITION BY affaire_id ORDER BY valid_from, version)
                           AS before
                FROM affaire_version
            ) AS v
            GROUP BY affaire_id
        ) AS r ON r.affaire_id = a.id
        LEFT JOIN (
            SELECT affaire_id, max(coalesce(fait_le, date_action)) AS derniere
            FROM action
            WHERE fait
            GROUP BY affaire_id
        ) AS d ON d.affaire_id = a.id
        WHERE a.reports <> coalesce(r.reports, 0)
           OR a.derniere_action_faite IS DISTINCT FROM d.derniere
        """
    ).fetchone()
    assert row is not None
    return int(row[0])


def edit(pg_con: db.Connection, actor: object, affaire_id: int, **values: object) -> None:
    current = affaires.get_affaire(pg_con, actor, affaire_id)  # type: ignore[arg-type]
    affaires.update_affaire(pg_con, actor, affaire_id, values, current.version)  # type: ignore[arg-type]


def action(pg_con: db.Connection, actor: object, affaire_id: int, day: dt.date) -> int:
    values = {"type": "Mail", "date_action": day, "objet": "Point"}
    return actions.create_action(pg_con, actor, affaire_id, values)  # type: ignore[arg-type]


def scramble(pg_con: db.Connection, seed: int) -> None:
    """Random plain-SQL writes of versions and actions, as an import or a purge makes them."""
    pick = random.Random(seed)
    day = dt.date(2025, 1, 1)
    for _ in range(25):
        kind = pick.randrange(6)
        if kind == 0:
            pg_con.execute(
                "UPDATE affaire_version SET date_fin = ? WHERE affaire_id = ? AND version = ?",
                [
                    day + dt.timedelta(days=pick.randrange(90)),
                    pick.randint(1, 4),
                    pick.randint(1, 4),
                ],
            )
        elif kind == 1:
            pg_con.execute(
                "DELETE FROM affaire_version WHERE affaire_id = ? AND version = ?",
                [pick.randint(1, 4), pick.randint(2, 5)],
            )
        elif kind == 2:
            pg_con.execute(
                "UPDATE action SET fait = NOT fait, fait_le = ? WHERE id = ?",
                [day + dt.timedelta(days=pick.randrange(90)), pick.randint(1, 12)],
            )
        elif kind == 3:
            pg_con.execute(
                "UPDATE action SET date_action = ?, fait_le = NULL WHERE id = ?",
                [day + dt.timedelta(days=pick.randrange(90)), pick.randint(1, 12)],
            )
        elif kind == 4:
            pg_con.execute("DELETE FROM action WHERE id = ?", [pick.randint(1, 12)])
        else:
            pg_con.execute(
                "UPDATE action SET affaire_id = ? WHERE id = ?",
                [pick.randint(1, 4), pick.randint(1, 12)],
            )
        assert wrong_kept(pg_con) == 0


def build(pg_con: db.Connection) -> list[int]:
    """Four affaires, their date fin pushed later and earlier, with actions done and not."""
    manager = admin(pg_con)
    commercial = make_user(pg_con, Role.COMMERCIAL)
    ids = [
        make_affaire(pg_con, manager, nom="Une"),
        make_affaire(pg_con, commercial, nom="La sienne", gestion_par=commercial.id),
        make_affaire(pg_con, manager, nom="Trois"),
        make_affaire(pg_con, manager, nom="Quatre"),
    ]
    for n, day in enumerate((10, 20, 5, 25)):
        edit(pg_con, manager, ids[n % 3], date_fin=dt.date(2027, 1, day))
    edit(pg_con, commercial, ids[1], date_fin=dt.date(2027, 3, 1))
    for n in range(12):
        action(pg_con, manager, ids[n % 4], dt.date(2025, 2, 1 + n))
    for action_id in (1, 2, 5, 7):
        current = actions.get_action(pg_con, manager, action_id)
        actions.mark_done(pg_con, manager, action_id, current["version"])
    return ids


def test_saves_actions_and_plain_writes_keep_both_columns(pg_con: db.Connection) -> None:
    ids = build(pg_con)
    got = pg_con.execute("SELECT count(*) FROM affaire WHERE reports > 0").fetchone()
    assert got is not None and got[0] > 0
    got = pg_con.execute("SELECT count(derniere_action_faite) FROM affaire").fetchone()
    assert got is not None and got[0] > 0
    assert wrong_kept(pg_con) == 0
    done = actions.get_action(pg_con, admin(pg_con), 5)
    actions.delete_action(pg_con, admin(pg_con), 5, done["version"])
    assert wrong_kept(pg_con) == 0
    scramble(pg_con, seed=16)
    current = affaires.get_affaire(pg_con, admin(pg_con), ids[2])
    affaires.delete_affaire(pg_con, admin(pg_con), ids[2], current.version)
    assert wrong_kept(pg_con) == 0


@pytest.mark.parametrize("table", ["affaire_version", "action"])
def test_without_the_triggers_a_write_leaves_a_wrong_column(
    pg_con: db.Connection, table: str
) -> None:
    """The control: the check above sees a column the base did not keep."""
    build(pg_con)
    pg_con.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    if table == "action":
        pg_con.execute("UPDATE action SET fait = TRUE, fait_le = DATE '2026-01-01'")
    else:
        pg_con.execute("DELETE FROM affaire_version WHERE version > 1")
    assert wrong_kept(pg_con) > 0


def test_the_list_sorted_by_reports_reads_the_kept_count(pg_con: db.Connection) -> None:
    build(pg_con)
    page = affaires_list.list_affaires(pg_con, admin(pg_con), Filters(), sort="reports")
    assert list(page["reports"]) == sorted(page["reports"], reverse=True)
    assert page["reports"].iloc[0] > 0


def test_the_migration_fills_both_columns_of_an_older_base(pg_con: db.Connection) -> None:
    build(pg_con)
    for name in ("reports", "derniere_action_faite"):
        for table in ("affaire_version", "action"):
            for event in ("insert", "update", "delete"):
                pg_con.execute(f"DROP TRIGGER IF EXISTS {table}_{name}_kept_{event} ON {table}")
        pg_con.execute(f"DROP FUNCTION affaire_{name}_kept()")
        pg_con.execute(f"DROP FUNCTION affaire_{name}_kept_moved()")
    pg_con.execute("DROP INDEX affaire_contact_idx")
    for index in ("affaire_nom_trgm_idx", "compte_nom_trgm_idx", "contact_nom_trgm_idx"):
        pg_con.execute(f"DROP INDEX {index}")
    for column in pg_versions.DERIVED["affaire"]:
        pg_con.execute(f"ALTER TABLE affaire DROP COLUMN {column}")
    ninth = schema.MIGRATIONS.index(schema.MIGRATION_9) + 1
    pg_con.execute("DELETE FROM schema_version WHERE version >= ?", [ninth])
    assert schema.migrate(pg_con, target=ninth) == ninth
    assert wrong_kept(pg_con) == 0


def test_without_pg_trgm_the_migration_passes_and_the_search_is_right() -> None:
    """A server where the extension cannot be created (here a function of its own name is in
    the way): no trigram index, the same rows found."""
    name = f"crm_notrgm_{os.getpid()}"
    head, _, _ = engines.server_url().rpartition("/")
    url = f"{head}/{name}"
    with psycopg.connect(engines.server_url(), autocommit=True) as server:
        server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(url, autocommit=True) as base:
            base.execute(
                "CREATE FUNCTION similarity(text, text) RETURNS real"
                " LANGUAGE sql IMMUTABLE AS 'SELECT 0::real'"
            )
        pg_con = db.open_base(url)
        try:
            assert schema.current_version(pg_con) == schema.SCHEMA_VERSION
            trigram = pg_con.execute(
                "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"
            ).fetchone()
            assert trigram is not None and trigram[0] == 0
            make_affaire(pg_con, admin(pg_con), nom="Chez Dupont_et fils")
            make_affaire(pg_con, admin(pg_con), nom="Martin")
            for search, expected in (("dupont_", 1), ("DUPONT", 1), ("%", 0), ("n", 2)):
                page = affaires_list.list_affaires(pg_con, admin(pg_con), Filters(search=search))
                assert len(page) == expected, search
        finally:
            pg_con.close()
    finally:
        engines.drop_pg_url(url)


def test_the_list_totals_kept_per_change_stamp_follow_every_write(pg_con: db.Connection) -> None:
    """The totals cached on PostgreSQL are those of the base as it is after each write."""
    ids = build(pg_con)
    before = affaires_list.list_totals(pg_con, admin(pg_con), Filters())
    assert affaires_list.list_totals(pg_con, admin(pg_con), Filters()) == before
    make_affaire(pg_con, admin(pg_con), nom="Cinq", ca_potentiel=1000)
    after = affaires_list.list_totals(pg_con, admin(pg_con), Filters())
    assert after.nombre == before.nombre + 1
    assert after.ca_potentiel == before.ca_potentiel + 1000
    current = affaires.get_affaire(pg_con, admin(pg_con), ids[0])
    affaires.delete_affaire(pg_con, admin(pg_con), ids[0], current.version)
    assert affaires_list.list_totals(pg_con, admin(pg_con), Filters()).nombre == before.nombre


def test_the_list_totals_keep_a_bounded_number_of_entries(pg_con: db.Connection) -> None:
    build(pg_con)
    for n in range(300):
        affaires_list.list_totals(pg_con, admin(pg_con), Filters(search=f"x{n}"))
    assert affaires_list.kept_totals() == 256
