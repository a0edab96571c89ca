"""Streamed canonical imports: chunks written inside one transaction, all or nothing, bad lines
named wherever they fall, memory flat in the file's size, a killed import leaving nothing."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_data.imports import canonical
from crm_data.imports.canonical import import_file
from crm_data.store import db
from crm_data.store.db import Connection
from tests import engines
from tests.files_helpers import HEADER, new_base, table_digest

pytestmark = pytest.mark.usefixtures("engine")

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 500
ROWS = 10 * CHUNK + 7
"""Rows of the streamed file: many chunks, the last one short."""


def row(n: int) -> str:
    return (
        f"Import {n};15/01/2026;30/06/2026;Client {n % 37};Jean Dupont{n % 3};;En cours;"
        f"Qualification;Nouveau;Logiciel;;{n},50;20;;;;;"
    )


def write_file(path: Path, rows: int, bad: dict[int, str] | None = None) -> Path:
    """A canonical CSV of rows affaires over 37 comptes; bad maps a data row's index to its
    replacement text. The row of index i is on line i + 2."""
    bad = bad or {}
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            out.write(bad.get(n, row(n)) + "\n")
    return path


def count(con: Connection, table: str) -> int:
    found = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert found is not None
    return int(found[0])


BAD = {
    0: row(0).replace("15/01/2026", "31/02/2026"),
    ROWS // 2: row(ROWS // 2).replace("En cours", "Signée"),
    ROWS - 1: row(ROWS - 1).replace(f"{ROWS - 1},50", f"-{ROWS - 1},50"),
}
"""A bad row at the start (an impossible date), the middle (a statut) and the end (an amount)."""


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canonical, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(canonical, "COLUMN_CHUNK_ROWS", CHUNK)


@pytest.mark.usefixtures("small_chunks")
def test_bad_rows_at_start_middle_and_end_write_nothing_and_are_each_named(
    tmp_path: Path,
) -> None:
    con, admin = new_base()
    before = table_digest(con)
    report = import_file(con, admin, write_file(tmp_path / "f.csv", ROWS, BAD))
    assert not report.written
    assert report.rows_read == ROWS
    assert report.invalid_lines == [n + 2 for n in sorted(BAD)]
    columns = {e.line: e.column for e in report.errors}
    assert columns == {2: "Date de début", ROWS // 2 + 2: "Statut", ROWS + 1: "CA potentiel"}
    assert report.affaire_ids == []
    assert table_digest(con) == before


@pytest.mark.usefixtures("small_chunks")
def test_skipping_invalid_rows_writes_every_other_chunk_with_each_compte_once(
    tmp_path: Path,
) -> None:
    con, admin = new_base()
    report = import_file(con, admin, write_file(tmp_path / "f.csv", ROWS, BAD), skip_invalid=True)
    assert report.written
    assert count(con, "affaire") == ROWS - len(BAD) == len(report.affaire_ids)
    assert count(con, "compte") == 37 == len(report.comptes_crees)
    assert count(con, "contact") == 37 * 3 == len(report.contacts_crees)
    assert count(con, "affaire_version") == ROWS - len(BAD)


@pytest.mark.usefixtures("small_chunks")
def test_a_streamed_dry_run_counts_every_chunk_and_writes_nothing(tmp_path: Path) -> None:
    con, admin = new_base()
    before = table_digest(con)
    report = import_file(con, admin, write_file(tmp_path / "f.csv", ROWS), dry_run=True)
    assert (report.rows_read, report.valid_rows, report.errors) == (ROWS, ROWS, [])
    assert len(report.comptes_crees) == 37
    assert not report.written
    assert table_digest(con) == before


@pytest.mark.usefixtures("small_chunks")
def test_progress_reports_rows_done_in_order_up_to_the_end(tmp_path: Path) -> None:
    con, admin = new_base()
    seen: list[tuple[float, str]] = []
    import_file(
        con, admin, write_file(tmp_path / "f.csv", ROWS), progress=lambda f, m: seen.append((f, m))
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(seen) > ROWS // CHUNK
    assert any(f"{5 * CHUNK:,}".replace(",", "\u202f") in m for _, m in seen)


def _kill_while_writing(target: str | Path, source: Path) -> int:
    """Run the import command and SIGKILL it once it has written its second chunk."""
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "crm_data", "--db", str(target), "import", str(source)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env={**os.environ, "CRM_IMPORT_CHUNK_ROWS": str(CHUNK)},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while seen.count(b"Enregistrement") < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            if child.poll() is not None:
                break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        os.close(master)
    assert seen.count(b"Enregistrement") >= 2, seen[-300:]
    return child.returncode


def test_an_import_killed_after_writing_chunks_leaves_nothing(tmp_path: Path) -> None:
    target = engines.fresh_target(tmp_path)
    db.open_base(target).close()
    status = _kill_while_writing(target, write_file(tmp_path / "f.csv", 40 * CHUNK))
    assert status == -signal.SIGKILL
    con = db.open_base(target)
    try:
        assert [count(con, t) for t in ("affaire", "compte", "contact", "affaire_version")] == [
            0,
            0,
            0,
            0,
        ]
    finally:
        con.close()
