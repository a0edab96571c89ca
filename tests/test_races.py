"""Deletes and reassignments racing saves, released together by a barrier, bounded in number.

DuckDB notices two updates of the same row, not an update beside a delete: each race here
failed under the old writes (both acknowledged, a child orphaned, a save undone).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from crm_data import actions, affaires
from crm_data.model import Actor, ConflictError, CrmError, Role
from crm_data.store import db, integrity
from tests import engines
from tests.factories import make_affaire, make_compte, make_user
from tests.racing import race

pytestmark = pytest.mark.usefixtures("engine")

RACES = 30


@pytest.fixture
def con(engine: str, tmp_path: Path) -> Iterator[db.Connection]:
    path = engines.fresh_target(tmp_path)
    yield db.shared_connection(path)
    db.close_shared(path)


def orphans(con: db.Connection) -> int:
    with db.read(con) as cur:
        row = cur.execute(
            """
            SELECT count(*)
            FROM action AS x
            WHERE NOT EXISTS (SELECT 1 FROM affaire AS a WHERE a.id = x.affaire_id)
            """
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_save_and_a_delete_from_the_same_version_never_both_succeed(
    con: db.Connection,
) -> None:
    manager = make_user(con, Role.MANAGER)
    compte = make_compte(con)
    deletes_won = 0
    for n in range(RACES):
        affaire_id = make_affaire(con, manager, compte_id=compte)
        version = affaires.get_affaire(con, manager, affaire_id).version
        saved, deleted = race(
            partial(
                affaires.update_affaire, con, manager, affaire_id, {"notes": f"Sauvée {n}"}, version
            ),
            partial(affaires.delete_affaire, con, manager, affaire_id, version),
        )
        assert (saved is None) != (deleted is None), (saved, deleted)
        with db.read(con) as cur:
            left = cur.execute("SELECT notes FROM affaire WHERE id = ?", [affaire_id]).fetchall()
        assert left == ([] if deleted is None else [(f"Sauvée {n}",)])
        deletes_won += deleted is None
    print(f"\nsave vs delete: {RACES} races, {deletes_won} won by the delete")
    assert integrity.check(con) == []


def test_an_action_added_while_its_affaire_is_deleted_is_never_orphaned(
    con: db.Connection,
) -> None:
    manager = make_user(con, Role.MANAGER)
    compte = make_compte(con)
    refused = 0
    for n in range(RACES):
        affaire_id = make_affaire(con, manager, compte_id=compte)
        version = affaires.get_affaire(con, manager, affaire_id).version
        added, deleted = race(
            partial(
                actions.create_action,
                con,
                manager,
                affaire_id,
                {"type": "Mail", "objet": f"Relance {n}"},
            ),
            partial(affaires.delete_affaire, con, manager, affaire_id, version),
        )
        assert deleted is None or added is None
        refused += (added is not None) + (deleted is not None)
        assert orphans(con) == 0
    print(f"\naction vs delete: {RACES} races, {refused} writes refused, 0 orphans")
    assert integrity.check(con) == []


def test_a_reassignment_undoes_no_save_made_meanwhile(con: db.Connection) -> None:
    manager = make_user(con, Role.MANAGER)
    leaving, heir = make_user(con), make_user(con)
    compte = make_compte(con)
    mine = [make_affaire(con, manager, compte_id=compte, gestion_par=leaving.id) for _ in range(40)]
    with db.transaction(con) as cur:
        cur.execute(
            """
            INSERT INTO affaire (nom, date_debut, compte_id, gestion_par, statut, etape, type)
            SELECT 'Masse ' || i, DATE '2026-01-01', ?, ?, 'En cours', 'Qualification', 'Nouveau'
            FROM generate_series(0, 2999) AS t(i)
            """,
            [compte, leaving.id],
        )
    savers = 3
    last_saved: dict[int, str] = {}

    def saves(n: int, actor: Actor) -> None:
        for k in range(RACES):
            target = mine[(n + k * savers) % len(mine)]
            current = affaires.get_affaire(con, actor, target)
            note = f"Note {n}-{k}"
            try:
                affaires.update_affaire(con, actor, target, {"notes": note}, current.version)
            except CrmError:
                continue
            last_saved[target] = note

    owner, other = leaving, heir
    refused: list[CrmError] = []

    def reassignments() -> None:
        nonlocal owner, other
        for _ in range(RACES):
            try:
                affaires.reassign_affaires(con, manager, owner.id, other.id)
            except CrmError as exc:
                refused.append(exc)
                continue
            owner, other = other, owner

    outcomes = race(reassignments, *(partial(saves, n, manager) for n in range(savers)))
    assert outcomes == [None] * (1 + savers)
    assert all(isinstance(e, ConflictError) for e in refused)
    with db.read(con) as cur:
        notes = dict(
            cur.execute(
                "SELECT id, notes FROM affaire WHERE id IN (SELECT unnest(?))", [mine]
            ).fetchall()
        )
        owners = cur.execute("SELECT DISTINCT gestion_par FROM affaire").fetchall()
    undone = {a: (v, notes[a]) for a, v in last_saved.items() if notes[a] != v}
    print(
        f"\nreassign vs saves: {RACES} reassignments of 3,040 affaires "
        f"({len(refused)} refused as clashes), {len(last_saved)} affaires saved meanwhile, "
        f"{len(undone)} saves undone"
    )
    assert undone == {}
    assert owners == [(owner.id,)]
