"""A restore while others work: running queries are waited for or interrupted, saves stop for the
swap with a French message, and every save acknowledged before it is in the kept copy."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from crm_data import affaires
from crm_data.model import ConflictError, CrmError
from crm_data.store import backup, db, marker
from tests.factories import admin, make_affaire

SLOW_QUERY = "SELECT count(*) FROM range(100000000000) AS a(x) WHERE x % 7 = 3"


def test_a_restore_interrupts_a_running_query_and_the_base_works_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "DRAIN_SECONDS", 0.5)
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(con, target)
    make_affaire(con)
    errors: list[str] = []
    started = threading.Event()

    def long_read() -> None:
        try:
            with db.read(con) as cur:
                started.set()
                cur.execute(SLOW_QUERY).fetchone()
        except CrmError as exc:
            errors.append(str(exc))

    reader = threading.Thread(target=long_read)
    reader.start()
    started.wait()
    time.sleep(0.2)
    backup.restore(base, target)
    reader.join()
    assert errors == [db.INTERRUPTED]
    with db.read(con) as cur:
        assert cur.execute("SELECT count(*) FROM affaire").fetchone() == (0,)


def test_a_failed_swap_leaves_a_working_base_and_a_french_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(con, target)
    make_affaire(con)

    real_replace = backup.os.replace

    def refuse(source: Path, destination: Path) -> None:
        if Path(destination) == base:
            raise PermissionError(13, "Permission denied")
        real_replace(source, destination)

    monkeypatch.setattr(backup.os, "replace", refuse)
    with pytest.raises(marker.BackupError, match="La restauration a échoué"):
        backup.restore(base, target)
    with db.read(con) as cur:
        assert cur.execute("SELECT count(*) FROM affaire").fetchone() == (1,)


def _history(con: db.Connection) -> set[str]:
    with db.read(con) as cur:
        rows = cur.execute(
            "SELECT DISTINCT notes FROM affaire_version WHERE notes LIKE 't%'"
        ).fetchall()
    return {str(value) for (value,) in rows}


def test_saves_during_a_restore_are_in_the_kept_copy_or_refused(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    ids = [make_affaire(con) for _ in range(4)]
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(con, target)
    stop = threading.Event()
    swap: dict[str, float] = {}
    acked: list[tuple[str, float]] = []
    refusals: list[CrmError] = []
    unexpected: list[BaseException] = []

    def save_in_a_loop(affaire_id: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            value = f"t{affaire_id}-{n}"
            try:
                shared = db.shared_connection(base)
                current = affaires.get_affaire(shared, admin(shared), affaire_id)
                affaires.update_affaire(
                    shared, admin(shared), affaire_id, {"notes": value}, current.version
                )
                acked.append((value, time.monotonic()))
            except CrmError as exc:
                refusals.append(exc)
            except BaseException as exc:
                unexpected.append(exc)

    threads = [threading.Thread(target=save_in_a_loop, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    swap["start"] = time.monotonic()
    result = backup.restore(base, target)
    swap["end"] = time.monotonic()
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert not unexpected
    assert result.previous is not None
    kept = db.open_base(result.previous)
    in_kept = _history(kept)
    kept.close()
    after = _history(db.shared_connection(base))
    saved = {value for value, _ in acked}
    before_restore = {value for value, at in acked if at < swap["start"]}
    print(
        f"\n{len(acked)} saves acknowledged ({len(before_restore)} before the restore began), "
        f"{len(refusals)} refused, {len(in_kept)} in the kept copy, {len(after)} after"
    )
    assert before_restore <= in_kept
    assert saved <= in_kept | after
    assert not in_kept & after
    assert after <= saved
    # A record read before the swap and saved after it is refused as stale: its version is the
    # backup's now.
    expected = (ConflictError, db.RestoreInProgressError)
    assert [r for r in refusals if not isinstance(r, expected) and str(r) != db.INTERRUPTED] == []
    make_affaire(db.shared_connection(base), nom="Après la restauration")


def test_a_save_while_a_restore_holds_the_base_is_refused_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "RESTORE_WAIT_SECONDS", 0.1)
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    affaire_id = make_affaire(con)
    current = affaires.get_affaire(con, admin(con), affaire_id)
    outcome: list[str] = []

    def save() -> None:
        try:
            affaires.update_affaire(con, admin(con), affaire_id, {"notes": "x"}, current.version)
            outcome.append("enregistré")
        except CrmError as exc:
            outcome.append(str(exc))

    with db.exclusive(base):
        writer = threading.Thread(target=save)
        writer.start()
        writer.join()
    assert outcome == [db.RESTORING]
    assert outcome[0].startswith("Restauration en cours")
