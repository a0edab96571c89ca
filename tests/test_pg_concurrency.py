"""Several processes (as several app servers would) saving the same affaires of one PostgreSQL
base with the version check: no acknowledged save is lost, every refusal is a ConflictError."""

from __future__ import annotations

import multiprocessing
import random
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from crm_data import affaires
from crm_data.model import ConflictError, Role
from crm_data.store import db
from tests import engines
from tests.factories import make_affaire, make_compte, make_user, new_base

PROCESSES = 4
SAVES = 40
HOT_AFFAIRES = 2
START = Decimal("1000.00")


def saver(url: str, login: str, hot: list[int], first: int, start: Any, out: Any) -> None:
    """One process: SAVES saves of a random hot affaire, each adding a delta unique to it."""
    from crm_data.users import get_actor

    con = db.open_base(url)
    actor = get_actor(con, login)
    rnd = random.Random(first)
    acknowledged: list[tuple[int, int]] = []
    conflicts = 0
    errors: list[str] = []
    start.wait()
    for delta in range(first, first + SAVES):
        target = rnd.choice(hot)
        try:
            current = affaires.get_affaire(con, actor, target)
            assert current.ca_potentiel is not None
            affaires.update_affaire(
                con, actor, target, {"ca_potentiel": current.ca_potentiel + delta}, current.version
            )
        except ConflictError:
            conflicts += 1
            continue
        except Exception as exc:
            errors.append(repr(exc))
            continue
        acknowledged.append((target, delta))
    con.close()
    out.put((acknowledged, conflicts, errors))


@pytest.fixture
def base() -> Iterator[tuple[str, list[str], list[int]]]:
    for _ in engines.use(engines.POSTGRESQL):
        url = engines.new_pg_url()
        con = new_base(url)
        manager = make_user(con, Role.MANAGER)
        savers = [make_user(con, Role.MANAGER).login for _ in range(PROCESSES)]
        compte = make_compte(con)
        hot = [
            make_affaire(con, manager, compte_id=compte, ca_potentiel=str(START))
            for _ in range(HOT_AFFAIRES)
        ]
        con.close()
        yield url, savers, hot


def test_no_acknowledged_save_is_lost_and_every_clash_is_reported(
    base: tuple[str, list[str], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, logins, hot = base
    # A page test run before in this worker (Streamlit's AppTest) leaves dashboard.py as the
    # __main__ module: spawned children would run it again. They need only this module.
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    monkeypatch.delattr(main, "__file__", raising=False)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(PROCESSES)
    out = spawn.Queue()
    workers = [
        spawn.Process(target=saver, args=(url, login, hot, 1 + n * SAVES, start, out))
        for n, login in enumerate(logins)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    acknowledged = [a for r in results for a in r[0]]
    conflicts = sum(r[1] for r in results)
    assert [e for r in results for e in r[2]] == []
    assert len(acknowledged) + conflicts == PROCESSES * SAVES
    print(f"\n{PROCESSES} processes: {len(acknowledged)} saves acknowledged, {conflicts} conflicts")
    con = db.open_base(url)
    try:
        for affaire in hot:
            deltas = sorted(d for a, d in acknowledged if a == affaire)
            row = con.execute(
                "SELECT ca_potentiel, version FROM affaire WHERE id = ?", [affaire]
            ).fetchone()
            assert row == (START + sum(deltas), 1 + len(deltas))
            versions = con.execute(
                """
                SELECT CAST(ca_potentiel - lag(ca_potentiel) OVER (ORDER BY version) AS INTEGER)
                FROM affaire_version
                WHERE affaire_id = ?
                ORDER BY version
                """,
                [affaire],
            ).fetchall()
            assert sorted(int(v[0]) for v in versions[1:]) == deltas
    finally:
        con.close()
