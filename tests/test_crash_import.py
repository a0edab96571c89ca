"""Crashes: `python -m crm_data import` SIGKILLed half-way through a big file leaves a base that
opens, passes the integrity check and holds that import entirely or not at all."""

from __future__ import annotations

import os
import pty
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_data.store import db, integrity
from tests.files_helpers import HEADER

ROOT = Path(__file__).resolve().parents[1]


def big_file(path: Path, rows: int) -> int:
    """A canonical CSV of rows affaires over rows // 10 new comptes; returns the compte count."""
    lines = [HEADER]
    for n in range(rows):
        lines.append(
            f"Import {n};15/01/2026;30/06/2026;Client import {n // 10};;;En cours;"
            f"Qualification;Nouveau;Logiciel;Notes de la ligne {n};{n},50;20;;;;;"
        )
    path.write_text("\n".join(lines), encoding="utf-8")
    return -(-rows // 10)


def counts(path: Path) -> tuple[int, int, list[str]]:
    con = db.open_base(path)
    try:
        problems = integrity.check(con)
        row = con.execute(
            "SELECT (SELECT count(*) FROM affaire), (SELECT count(*) FROM compte)"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1]), problems


def import_and_kill(path: Path, source: Path, delay: float, when_writing: bool) -> int:
    """Run the import command and SIGKILL it `delay` seconds after it starts writing (or after
    it starts, when not when_writing); return its exit status."""
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "crm_data", "--db", str(path), "import", str(source)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while when_writing and b"Enregistrement" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen = seen[-200:] + os.read(master, 4096)
                except OSError:
                    break
            if child.poll() is not None:
                break
        time.sleep(delay)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        os.close(master)
    return child.returncode


@pytest.mark.parametrize(
    ("rows", "rounds", "writing"),
    [(4_000, 5, 0.2), pytest.param(50_000, 12, 2.5, marks=pytest.mark.slow)],
)
def test_killed_import_is_all_or_nothing(
    tmp_path: Path, rows: int, rounds: int, writing: float
) -> None:
    """writing: about how long the command spends writing (and committing) after validation."""
    path = tmp_path / "crm.duckdb"
    db.open_base(path).close()
    source = tmp_path / "affaires.csv"
    comptes = big_file(source, rows)
    rnd = random.Random(rows)
    imported = 0
    outcomes = {"nothing written": 0, "killed after its commit": 0, "finished first": 0}
    for n in range(rounds):
        when_writing = n % 4 != 3
        delay = rnd.uniform(0, writing if when_writing else 2 * writing)
        status = import_and_kill(path, source, delay, when_writing)
        affaires_count, comptes_count, problems = counts(path)
        assert problems == []
        assert affaires_count % rows == 0, f"{affaires_count} affaires: a partial import"
        committed = affaires_count // rows - imported
        assert committed in (0, 1)
        imported += committed
        assert comptes_count == (comptes if imported else 0)
        if status != -signal.SIGKILL:
            assert status == 0 and committed == 1
            outcomes["finished first"] += 1
        else:
            outcomes["killed after its commit" if committed else "nothing written"] += 1
    status = subprocess.run(
        [sys.executable, "-m", "crm_data", "--db", str(path), "import", str(source)],
        cwd=ROOT,
        capture_output=True,
        check=False,
    ).returncode
    assert status == 0
    affaires_count, _, problems = counts(path)
    assert problems == [] and affaires_count == (imported + 1) * rows
    print(f"\nimport crash: {rounds} imports of {rows} rows, {outcomes}")
