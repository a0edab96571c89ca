"""Peak memory of a large canonical import stays flat in the file's size, measured from the
importing process itself (a spawned child; its peak resident size, not a timing).

The bound does not depend on the chunk size: the two files have fixed sizes, and the allowance is
computed from what the extra rows cost when held as the reader gives them, measured here with
tracemalloc. The children import in chunks of CHUNK rows (CRM_IMPORT_CHUNK_ROWS), fewer than the
small file holds: a CSV read by column is otherwise taken 100 000 rows at a time, and both files
would be one chunk each.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from crm_data.files.canonical import stream_canonical
from tests import engines
from tests.files_helpers import HEADER

pytestmark = pytest.mark.usefixtures("engine")

SMALL = 20_000
BIG = 4 * SMALL
"""Rows of the two files: the big one holds 3 × SMALL rows more."""
CHUNK = SMALL // 2
SHARE = {engines.POSTGRESQL: 4, engines.DUCKDB: 1}
"""The streamed import may grow by at most 1 / SHARE of what holding the extra rows costs.

DuckDB keeps about 0.8 KB per uncommitted row in the importing process until the commit
(the transaction's local storage; measured 45–53 MB for 60,000 rows, where holding them as
Python rows costs 94 MB), so its bound is the cost of holding the rows itself: an import that
held them would grow by both. PostgreSQL's server holds them, not the process."""
MEMORY_LIMIT = "64MB"
"""DuckDB's memory limit in the importing process: DuckDB holds a transaction's uncommitted rows
and indexes in its buffer pool, which grows up to its limit (80 % of the machine by default)
before spilling them to disk; the import's own memory is what must stay flat."""


def row(n: int) -> str:
    """A canonical row of varied text: 400 comptes, their contacts, amounts in French."""
    statut = ("En cours", "Gagnée", "Perdue")[n % 3]
    closing = {
        "En cours": ";;;",
        "Gagnée": ";15/06/2026;9 000,00;15/06/2026",
        "Perdue": "Prix;;;15/06/2026",
    }[statut]
    return (
        f"Affaire importée numéro {n} pour le renouvellement;15/01/2026;30/06/2026;"
        f"Client {n % 400} SARL;Jean Dupont{n % 3};;{statut};Qualification;Nouveau;Logiciel;"
        f"Note {n};{n % 97 + 10 * n},50 €;20 %;;{closing}"
    )


def write_file(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            out.write(row(n) + "\n")
    return path


def held_bytes(path: Path) -> int:
    """What holding every row of path costs, as the reader yields them (traced allocations)."""
    source = stream_canonical(path)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        rows = list(source.rows)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        source.release()
    assert len(rows) > 0
    return held


def import_child(target: str, path: str, out: Any) -> None:
    """Spawned: import path into the base at target; report rows written and peak KiB."""
    os.environ["CRM_DUCKDB_MEMORY_LIMIT"] = MEMORY_LIMIT
    os.environ["CRM_IMPORT_CHUNK_ROWS"] = str(CHUNK)
    from crm_data.imports.canonical import import_file
    from crm_data.store.db import open_base
    from crm_data.store.db import target as as_target
    from crm_data.users import local_admin

    con = open_base(as_target(target))
    report = import_file(con, local_admin(con), path)
    con.close()
    errors = [str(e) for e in report.errors[:3]]
    # ru_maxrss is in KiB on Linux.
    out.put((len(report.affaire_ids), errors, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def peak_bytes(target: str | Path, path: Path) -> int:
    """The peak resident size of a fresh process importing path into target."""
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    child = spawn.Process(target=import_child, args=(str(target), str(path), out))
    child.start()
    done, errors, peak_kib = out.get(timeout=600)
    child.join()
    assert child.exitcode == 0
    assert errors == []
    assert done == sum(1 for _ in path.open(encoding="utf-8")) - 1
    return int(peak_kib) * 1024


def test_peak_memory_grows_far_less_than_holding_the_extra_rows(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page test run before in this worker (Streamlit's AppTest) leaves dashboard.py as the
    # __main__ module: spawned children would run it again. They need only this module.
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    monkeypatch.delattr(main, "__file__", raising=False)
    small = write_file(tmp_path / "small.csv", SMALL)
    big = write_file(tmp_path / "big.csv", BIG)
    extra = held_bytes(small) * (BIG - SMALL) // SMALL
    # Held rows cost at least their text: the allowance below is not measured as nothing.
    assert extra > big.stat().st_size - small.stat().st_size
    first = peak_bytes(engines.fresh_target(tmp_path, "small.duckdb"), small)
    second = peak_bytes(engines.fresh_target(tmp_path, "big.duckdb"), big)
    growth = second - first
    assert growth < extra / SHARE[engine], (
        f"importing {BIG} rows instead of {SMALL} grew the peak by {growth / 1e6:.1f} MB; "
        f"holding the {BIG - SMALL} extra rows costs {extra / 1e6:.1f} MB"
    )
