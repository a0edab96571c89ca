"""Row-level security on PostgreSQL, the second guard behind crm_data's checks: SQL that forgets
the rights, run inside a commercial's unit of work, still reaches only their own affaires."""

from __future__ import annotations

import pytest

from crm_data import affaires, affaires_list, board, filters
from crm_data.analyses.pipe import pipe_by_etape
from crm_data.filters import Filters
from crm_data.model import Actor, Role
from crm_data.rights import check_actor
from crm_data.store import db, pg_rights
from tests import engines
from tests.factories import admin, make_affaire, make_user


def test_a_commercials_unit_of_work_sees_and_writes_only_their_affaires(
    pg_con: db.Connection,
) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL, "Alice Martin")
    bob = make_user(pg_con, Role.COMMERCIAL, "Bob Petit")
    own = make_affaire(pg_con, alice)
    others = make_affaire(pg_con, bob)
    with db.transaction(pg_con) as cur:
        check_actor(cur, alice)
        seen = [r[0] for r in cur.execute("SELECT id FROM affaire ORDER BY id").fetchall()]
        updated = cur.execute(
            "UPDATE affaire SET notes = 'détourné' WHERE id IN (?, ?)", [own, others]
        ).fetchone()
    assert seen == [own]
    assert updated == (1,)
    assert affaires.get_affaire(pg_con, admin(pg_con), others).notes is None


def test_a_commercial_cannot_insert_an_affaire_for_another(pg_con: db.Connection) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL)
    bob = make_user(pg_con, Role.COMMERCIAL)
    make_affaire(pg_con, alice)
    before = pg_con.execute("SELECT count(*) FROM affaire").fetchone()
    with pytest.raises(Exception, match="row-level security"), db.transaction(pg_con) as cur:
        check_actor(cur, alice)
        cur.execute(
            """
            INSERT INTO affaire (nom, compte_id, date_debut, gestion_par, statut, etape, type,
                                 created_by, updated_by)
            SELECT nom, compte_id, date_debut, ?, statut, etape, type, ?, ?
            FROM affaire
            """,
            [bob.id, alice.id, alice.id],
        )
    assert pg_con.execute("SELECT count(*) FROM affaire").fetchone() == before


def test_a_read_as_a_commercial_sees_only_their_affaires(pg_con: db.Connection) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL)
    bob = make_user(pg_con, Role.COMMERCIAL)
    own = make_affaire(pg_con, alice)
    make_affaire(pg_con, bob)
    with db.read(pg_con) as cur:
        pg_rights.acting(cur, alice)
        assert cur.execute("SELECT id FROM affaire").fetchall() == [(own,)]


def test_a_manager_and_work_without_an_actor_see_every_affaire(pg_con: db.Connection) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL)
    manager = make_user(pg_con, Role.MANAGER)
    ids = sorted([make_affaire(pg_con, alice), make_affaire(pg_con, manager)])
    with db.read(pg_con) as cur:
        pg_rights.acting(cur, manager)
        assert [r[0] for r in cur.execute("SELECT id FROM affaire ORDER BY id").fetchall()] == ids
    with db.read(pg_con) as cur:
        assert [r[0] for r in cur.execute("SELECT id FROM affaire ORDER BY id").fetchall()] == ids


def test_opening_the_base_again_keeps_one_policy_per_role(pg_con: db.Connection) -> None:
    url = engines.new_pg_url()
    for _ in range(2):
        db.open_base(url).close()
    again = db.open_base(url)
    try:
        policies = again.execute(
            "SELECT policyname, roles FROM pg_policies WHERE tablename = 'affaire' ORDER BY 1"
        ).fetchall()
    finally:
        again.close()
    assert [(name, list(roles)) for name, roles in policies] == [
        ("crm_commercial_own", ["crm_commercial"]),
        ("crm_full_all", ["crm_full"]),
    ]


def test_a_commercials_record_is_still_read_through_the_primary_key(pg_con: db.Connection) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL)
    own = make_affaire(pg_con, alice)
    # Enough rows for the planner to prefer an index to a scan.
    pg_con.execute(
        """
        INSERT INTO affaire (nom, compte_id, date_debut, gestion_par, statut, etape, type,
                             created_by, updated_by)
        SELECT 'Remplissage ' || n, compte_id, date_debut, gestion_par, statut, etape, type,
               created_by, updated_by
        FROM affaire, generate_series(1, 20000) AS n
        """
    )
    pg_con.execute("ANALYZE affaire")
    with db.read(pg_con) as cur:
        pg_rights.acting(cur, alice)
        plan = "\n".join(
            str(r[0])
            for r in cur.execute("EXPLAIN SELECT * FROM affaire WHERE id = ?", [own]).fetchall()
        )
    assert "Index Scan using affaire_pkey" in plan, plan


def _read_as(pg_con: db.Connection, actor: Actor) -> tuple[list[int], int, int, int]:
    """What a commercial's screens read: the list's ids and total, the board's and the pipe
    analysis's counts of open affaires."""
    page = affaires_list.list_affaires(pg_con, actor, Filters())
    totals = affaires_list.list_totals(pg_con, actor, Filters())
    columns = board.board(pg_con, actor, Filters())
    pipe = pipe_by_etape(pg_con, actor, Filters())
    return (
        sorted(int(i) for i in page["id"]),
        totals.nombre,
        sum(c.nombre for c in columns),
        int(pipe["nombre"].sum()),
    )


def _forget_rights_in_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    """crm_data's own condition on who sees an affaire, turned into « every live affaire »:
    a read whose SQL forgot the rights."""
    monkeypatch.setattr(filters, "VISIBLE", "(a.deleted_at IS NULL)")


def test_a_commercials_list_board_and_analysis_keep_to_their_affaires_without_the_sql_check(
    pg_con: db.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL)
    bob = make_user(pg_con, Role.COMMERCIAL)
    own = make_affaire(pg_con, alice)
    make_affaire(pg_con, bob)
    _forget_rights_in_sql(monkeypatch)
    assert _read_as(pg_con, alice) == ([own], 1, 1, 1)


def test_without_the_guard_the_forgotten_check_shows_every_affaire(
    pg_con: db.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control of the test above: its bypass does reach other affaires, so only the
    guard kept them out."""
    alice = make_user(pg_con, Role.COMMERCIAL)
    bob = make_user(pg_con, Role.COMMERCIAL)
    ids = sorted([make_affaire(pg_con, alice), make_affaire(pg_con, bob)])
    _forget_rights_in_sql(monkeypatch)
    # The screens' reads act as the actor through db.read_as, which calls pg_rights.acting.
    monkeypatch.setattr(pg_rights, "acting", lambda cur, actor: None)
    assert _read_as(pg_con, alice) == (ids, 2, 2, 2)


def test_a_managers_list_and_analysis_see_every_affaire(pg_con: db.Connection) -> None:
    alice = make_user(pg_con, Role.COMMERCIAL)
    manager = make_user(pg_con, Role.MANAGER)
    ids = sorted([make_affaire(pg_con, alice), make_affaire(pg_con, manager)])
    assert _read_as(pg_con, manager) == (ids, 2, 2, 2)
