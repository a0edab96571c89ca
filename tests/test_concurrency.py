"""Concurrent editing through crm_data: 16 threads share one base (a DuckDB file, then a
PostgreSQL base) and keep a ledger.

Afterwards every accepted write is in the base and in the history, every refused one was a
ConflictError (or, for an affaire deleted meanwhile, a NotFoundError) and left no trace, the
sums in the base match the ledger, a deleted affaire left nothing behind, and the integrity
check is empty. Managers also delete, reassign and add actions to a pool of doomed affaires.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from crm_data import actions, affaires, documents
from crm_data.model import Actor, ConflictError, NotFoundError, Role
from crm_data.store import db, integrity
from tests import engines
from tests.factories import make_affaire, make_compte, make_user

THREADS = 16
HOT_AFFAIRES = 2
DOOMED_AFFAIRES = 24
PDF = b"%PDF-1.4\n% petit devis\n"


@dataclass
class Ledger:
    """What one thread asked for and what crm_data answered."""

    updates: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    """affaire id → the deltas of its accepted updates."""
    creates: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    clashes: int = 0
    """Conflicts raised by DuckDB itself (two saves at the same instant), not by the version."""
    refused_deltas: list[int] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    doomed_actions: dict[str, int] = field(default_factory=dict)
    """objet → doomed affaire of an acknowledged action."""
    gone: int = 0
    """Writes refused because their doomed affaire had been deleted."""
    reassigned: int = 0
    """Acknowledged reassignments that moved the hot affaires."""
    errors: list[BaseException] = field(default_factory=list)


@dataclass
class Setup:
    con: db.Connection
    actors: list[Actor]
    compte: int
    hot: list[int]
    own: list[list[int]]
    keepers: tuple[Actor, Actor]
    doomed: list[int]
    start: Decimal = Decimal("1000.00")


def prepare(path: str | Path) -> Setup:
    con = db.shared_connection(path)
    compte = make_compte(con)
    actors = [make_user(con, Role.COMMERCIAL if n % 2 else Role.MANAGER) for n in range(THREADS)]
    managers = [a for a in actors if a.sees_everything]
    # The hot affaires are managed by one of two users who never write, and go back and forth
    # between them by bulk reassignment while the threads save them.
    keepers = (make_user(con, Role.MANAGER), make_user(con, Role.MANAGER))
    hot = [
        make_affaire(
            con, managers[0], compte_id=compte, ca_potentiel="1000", gestion_par=keepers[0].id
        )
        for _ in range(HOT_AFFAIRES)
    ]
    doomed = [make_affaire(con, managers[0], compte_id=compte) for _ in range(DOOMED_AFFAIRES)]
    own = [
        [make_affaire(con, a, compte_id=compte, ca_potentiel="1000") for _ in range(2)]
        for a in actors
    ]
    return Setup(con, actors, compte, hot, own, keepers, doomed)


def write_once(setup: Setup, n: int, write_id: int, rnd: random.Random, ledger: Ledger) -> None:
    actor = setup.actors[n]
    kinds = ["hot", "hot", "own", "create", "action", "document"]
    if actor.sees_everything:
        kinds += ["delete", "doomed_action", "doomed_action", "doomed_save", "reassign"]
    kind = rnd.choice(kinds)
    if kind == "hot" and not actor.sees_everything:
        kind = "own"
    try:
        if kind in ("delete", "doomed_action", "doomed_save", "reassign"):
            doomed_write(setup, actor, kind, write_id, rnd, ledger)
        elif kind in ("hot", "own"):
            target = rnd.choice(setup.hot if kind == "hot" else setup.own[n])
            current = affaires.get_affaire(setup.con, actor, target)
            assert current.ca_potentiel is not None
            try:
                affaires.update_affaire(
                    setup.con,
                    actor,
                    target,
                    {"ca_potentiel": current.ca_potentiel + write_id},
                    current.version,
                )
            except ConflictError as exc:
                ledger.conflicts += 1
                ledger.clashes += exc.saved_at is None
                ledger.refused_deltas.append(write_id)
                return
            ledger.updates[target].append(write_id)
        elif kind == "create":
            name = f"Création {write_id}"
            values = {"nom": name, "compte_id": setup.compte, "ca_potentiel": write_id}
            ledger.creates[name] = affaires.create_affaire(setup.con, actor, values)
        elif kind == "action":
            objet = f"Appel {write_id}"
            affaire = rnd.choice(setup.own[n])
            actions.create_action(setup.con, actor, affaire, {"type": "Relance", "objet": objet})
            ledger.actions[objet] = affaire
        else:
            numero = f"D-{write_id}"
            values = {
                "type": "Devis",
                "numero": numero,
                "date_document": "2026-06-30",
                "montant_ht": write_id,
                "statut": "Envoyé",
                "fichier": PDF,
            }
            documents.create_document(setup.con, actor, rnd.choice(setup.own[n]), values)
            ledger.documents[numero] = write_id
    except BaseException as exc:
        ledger.errors.append(exc)


def doomed_write(
    setup: Setup, actor: Actor, kind: str, write_id: int, rnd: random.Random, ledger: Ledger
) -> None:
    """A manager's write that races deletes: refused with ConflictError or, once the affaire is
    gone, NotFoundError."""
    target = rnd.choice(setup.doomed)
    try:
        if kind == "reassign":
            source, heir = setup.keepers if rnd.random() < 0.5 else setup.keepers[::-1]
            moved = affaires.reassign_affaires(setup.con, actor, source.id, heir.id)
            ledger.reassigned += moved == HOT_AFFAIRES
            return
        if kind == "doomed_action":
            objet = f"Sur la sellette {write_id}"
            actions.create_action(setup.con, actor, target, {"type": "Tâche", "objet": objet})
            ledger.doomed_actions[objet] = target
            return
        version = affaires.get_affaire(setup.con, actor, target).version
        if kind == "delete":
            affaires.delete_affaire(setup.con, actor, target, version)
            ledger.deleted.add(target)
        else:
            affaires.update_affaire(
                setup.con, actor, target, {"notes": f"Note {write_id}"}, version
            )
    except ConflictError as exc:
        ledger.conflicts += 1
        ledger.clashes += exc.saved_at is None
    except NotFoundError:
        ledger.gone += 1


def run_writers(setup: Setup, writes: int) -> list[Ledger]:
    ledgers = [Ledger() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def work(n: int) -> None:
        rnd = random.Random(n)
        barrier.wait()
        for k in range(writes // THREADS):
            write_once(setup, n, 1 + n + k * THREADS, rnd, ledgers[n])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ledgers


@pytest.fixture(
    scope="module",
    params=[
        *((320, engine) for engine in engines.ENGINES),
        *(pytest.param((2_000, engine), marks=pytest.mark.slow) for engine in engines.ENGINES),
    ],
    ids=lambda param: f"{param[0]}-writes-{param[1]}",
)
def outcome(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Setup, Ledger, int]]:
    # One base for the module's checks, on each engine in turn: the function-scoped engine
    # fixture would drop a PostgreSQL base after the first check.
    writes, engine = request.param
    for _ in engines.use(engine):
        yield from _outcome(writes, engines.fresh_target(tmp_path_factory.mktemp("concurrence")))


def _outcome(writes: int, path: str | Path) -> Iterator[tuple[Setup, Ledger, int]]:
    setup = prepare(path)
    total = Ledger()
    for ledger in run_writers(setup, writes):
        for affaire, deltas in ledger.updates.items():
            total.updates[affaire].extend(deltas)
        total.creates |= ledger.creates
        total.actions |= ledger.actions
        total.documents |= ledger.documents
        total.conflicts += ledger.conflicts
        total.clashes += ledger.clashes
        total.refused_deltas += ledger.refused_deltas
        total.deleted |= ledger.deleted
        total.doomed_actions |= ledger.doomed_actions
        total.gone += ledger.gone
        total.reassigned += ledger.reassigned
        total.errors += ledger.errors
    print(
        f"\nconcurrency: {THREADS} threads, {writes} writes, "
        f"{writes - total.conflicts - total.gone} accepted, {total.conflicts} conflicts reported "
        f"({total.clashes} simultaneous), {total.gone} refused as deleted meanwhile, "
        f"{len(total.deleted)} affaires deleted, {total.reassigned} reassignments of the hot "
        f"affaires, {len(total.doomed_actions)} actions on doomed affaires, "
        f"{len(total.errors)} other errors"
    )
    yield setup, total, writes
    db.close_shared(path)


def query(setup: Setup, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with db.read(setup.con) as cur:
        return cur.execute(sql, params or []).fetchall()


def test_every_refusal_was_a_conflict(outcome: tuple[Setup, Ledger, int]) -> None:
    _, ledger, writes = outcome
    assert ledger.errors == []
    accepted = sum(map(len, ledger.updates.values()))
    accepted += len(ledger.creates) + len(ledger.actions) + len(ledger.documents)
    assert accepted + ledger.conflicts <= writes
    assert accepted + ledger.conflicts + ledger.gone + len(ledger.deleted) <= writes
    assert ledger.conflicts > 0, "the hot affaires should have clashed at least once"


def test_accepted_updates_form_an_unbroken_history(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, ledger, _ = outcome
    for affaire in [*setup.hot, *(a for own in setup.own for a in own)]:
        rows = query(
            setup,
            """
            SELECT ancien, nouveau
            FROM (
                SELECT version,
                       lag(ca_potentiel) OVER (ORDER BY version) AS ancien,
                       ca_potentiel AS nouveau
                FROM affaire_version
                WHERE affaire_id = ?
            ) AS changes
            WHERE ancien IS DISTINCT FROM nouveau
            ORDER BY version
            """,
            [affaire],
        )
        assert rows[0] == (None, setup.start)
        for (_, before), (after_old, _) in itertools.pairwise(rows):
            assert after_old == before, "an update was computed from an overwritten value"
        deltas = sorted(int(new - old) for old, new in rows[1:])
        assert deltas == sorted(ledger.updates.get(affaire, []))


def test_final_amounts_and_versions_match_the_ledger(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, ledger, _ = outcome
    for affaire in [*setup.hot, *(a for own in setup.own for a in own)]:
        [(amount, version)] = query(
            setup,
            """
            SELECT ca_potentiel, version
            FROM affaire
            WHERE id = ?
            """,
            [affaire],
        )
        accepted = ledger.updates.get(affaire, [])
        assert amount == setup.start + sum(accepted)
        moves = ledger.reassigned if affaire in setup.hot else 0
        assert version == 1 + len(accepted) + moves


def test_refused_updates_left_no_trace(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, ledger, _ = outcome
    rows = query(
        setup,
        """
        SELECT CAST(nouveau - ancien AS INTEGER)
        FROM (
            SELECT lag(ca_potentiel) OVER (PARTITION BY affaire_id ORDER BY version) AS ancien,
                   ca_potentiel AS nouveau
            FROM affaire_version
        ) AS changes
        WHERE ancien IS NOT NULL
          AND ancien <> nouveau
        """,
    )
    assert not {int(str(r[0])) for r in rows} & set(ledger.refused_deltas)


def test_created_affaires_are_all_there_with_their_history(
    outcome: tuple[Setup, Ledger, int],
) -> None:
    setup, ledger, _ = outcome
    rows = query(
        setup,
        """
        SELECT a.nom, a.id, a.ca_potentiel, count(v.version)
        FROM affaire AS a
        JOIN affaire_version AS v ON v.affaire_id = a.id
        WHERE a.nom LIKE 'Création %'
        GROUP BY a.nom, a.id, a.ca_potentiel
        """,
    )
    assert {str(r[0]): int(str(r[1])) for r in rows} == ledger.creates
    assert all(r[2] == int(str(r[0]).split()[1]) and int(str(r[3])) == 1 for r in rows)


def test_actions_and_documents_match_the_ledger(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, ledger, _ = outcome
    found_actions = query(
        setup,
        """
        SELECT objet, affaire_id
        FROM action
        WHERE type <> 'Tâche'
        """,
    )
    assert {str(o): int(str(a)) for o, a in found_actions} == ledger.actions
    [(count, total)] = query(
        setup,
        """
        SELECT count(*), coalesce(sum(montant_ht), 0)
        FROM document
        WHERE fichier = ?
        """,
        [PDF],
    )
    assert count == len(ledger.documents)
    assert total == sum(ledger.documents.values())


def test_a_deleted_affaire_left_nothing_behind(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, ledger, _ = outcome
    assert ledger.deleted, "some doomed affaire should have been deleted"
    deleted = sorted(ledger.deleted)
    for table, column in (
        ("affaire", "id"),
        ("affaire_historique", "affaire_id"),
        ("action", "affaire_id"),
        ("document", "affaire_id"),
        ("projet", "affaire_id"),
    ):
        assert query(
            setup, f"SELECT count(*) FROM {table} WHERE {column} IN (SELECT unnest(?))", [deleted]
        ) == [(0,)]


def test_actions_on_doomed_affaires_are_there_unless_their_affaire_was_deleted(
    outcome: tuple[Setup, Ledger, int],
) -> None:
    setup, ledger, _ = outcome
    found = dict(query(setup, "SELECT objet, affaire_id FROM action WHERE type = 'Tâche'"))
    expected = {o: a for o, a in ledger.doomed_actions.items() if a not in ledger.deleted}
    assert found == expected


def test_the_hot_affaires_end_with_their_last_keeper(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, _, _ = outcome
    owners = query(
        setup,
        "SELECT DISTINCT gestion_par FROM affaire WHERE id IN (SELECT unnest(?))",
        [setup.hot],
    )
    assert len(owners) == 1 and owners[0][0] in {k.id for k in setup.keepers}


def test_the_integrity_check_is_empty(outcome: tuple[Setup, Ledger, int]) -> None:
    setup, _, _ = outcome
    assert integrity.check(setup.con) == []
