"""Issue 17's stream at its own size: a canonical file of a million rows with a bad row at the
start, in the middle and at the end writes nothing and names each bad line, read in the
importer's own chunks (tests/test_import_stream.py checks the same over small chunks in every
gate; this one runs with `bash .ci/run -m slow`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_data.imports.canonical import import_file
from tests.files_helpers import new_base, table_digest
from tests.test_import_stream import row, write_file

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("engine")]

ROWS = 1_000_000
BAD = {
    0: row(0).replace("15/01/2026", "31/02/2026"),
    ROWS // 2: row(ROWS // 2).replace("En cours", "Signée"),
    ROWS - 1: row(ROWS - 1).replace(f"{ROWS - 1},50", f"-{ROWS - 1},50"),
}


def test_a_million_rows_with_three_bad_ones_write_nothing_and_name_each(tmp_path: Path) -> None:
    con, admin = new_base()
    before = table_digest(con)
    report = import_file(con, admin, write_file(tmp_path / "million.csv", ROWS, BAD))
    assert not report.written
    assert report.rows_read == ROWS
    assert report.invalid_lines == [n + 2 for n in sorted(BAD)]
    columns = {e.line: e.column for e in report.errors}
    assert columns == {2: "Date de début", ROWS // 2 + 2: "Statut", ROWS + 1: "CA potentiel"}
    assert table_digest(con) == before
