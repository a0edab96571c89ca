"""Row-level security on the tables hanging on an affaire (PostgreSQL): inside a commercial's
unit of work, SQL that names no affaire still reaches only the rows of their own affaires, and
a row for another's affaire is refused; the application's own writes go through."""

from __future__ import annotations

import psycopg
import pytest

from crm_data import actions, users
from crm_data.model import Actor, Role
from crm_data.store import db, pg_rights
from tests.factories import make_affaire


def _rows_of(pg_con: db.Connection, table: str, *, as_alice: bool) -> list[int]:
    """The affaire ids of every row of table, read as alice (a commercial) when as_alice."""
    with db.read(pg_con) as cur:
        if as_alice:
            pg_rights.acting(cur, _commercials(pg_con)[0])
        rows = cur.execute(f"SELECT DISTINCT affaire_id FROM {table} ORDER BY 1").fetchall()
    return [int(r[0]) for r in rows]


def _commercials(pg_con: db.Connection) -> list[Actor]:
    return [users.get_actor(pg_con, login) for login in ("alice", "bob")]


@pytest.fixture
def two(pg_con: db.Connection) -> tuple[int, int]:
    """alice's and bob's affaires, each with an action (and the version its creation wrote)."""
    for login in ("alice", "bob"):
        users.add_user(pg_con, None, login, Role.COMMERCIAL.value, login.title(), f"{login}@x.fr")
    alice, bob = _commercials(pg_con)
    own, other = make_affaire(pg_con, alice), make_affaire(pg_con, bob)
    actions.create_action(pg_con, alice, own, {"type": "Tâche", "objet": "La mienne"})
    actions.create_action(pg_con, bob, other, {"type": "Tâche", "objet": "La sienne"})
    return own, other


@pytest.mark.parametrize("table", ["action", "affaire_version"])
def test_a_commercial_reads_only_the_rows_of_their_affaires(
    pg_con: db.Connection, two: tuple[int, int], table: str
) -> None:
    own, other = two
    assert _rows_of(pg_con, table, as_alice=True) == [own]
    # The control: the same SQL outside the commercial's role does reach bob's rows.
    assert _rows_of(pg_con, table, as_alice=False) == sorted([own, other])


def test_a_commercial_cannot_add_a_row_to_anothers_affaire(
    pg_con: db.Connection, two: tuple[int, int]
) -> None:
    own, other = two
    alice, _ = _commercials(pg_con)
    insert = (
        "INSERT INTO action (affaire_id, type, date_action, objet, fait, utilisateur_id)"
        " VALUES (?, 'Tâche', current_date, 'Intrus', FALSE, ?)"
    )
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(pg_con) as cur:
        pg_rights.acting(cur, alice)
        cur.execute(insert, [other, alice.id])
    with db.transaction(pg_con) as cur:
        pg_rights.acting(cur, alice)
        cur.execute(insert, [own, alice.id])
    assert len(actions.actions_of_affaire(pg_con, alice, own)) == 2


def test_every_child_table_has_one_policy_per_role(pg_con: db.Connection) -> None:
    rows = pg_con.execute(
        "SELECT tablename, policyname FROM pg_policies WHERE tablename = ANY(CAST(? AS TEXT[]))",
        [list(pg_rights.CHILD_TABLES)],
    ).fetchall()
    assert sorted(rows) == sorted(
        (t, f"{role}_{t}")
        for t in pg_rights.CHILD_TABLES
        for role in ("crm_commercial", "crm_full")
    )
