"""A DuckDB base that runs out of memory inside a write says so in French and keeps nothing:
not the conflict message a failed commit would otherwise give."""

from __future__ import annotations

import pytest

from crm_data.model import ConflictError, CrmError
from crm_data.store import db
from tests.factories import new_base

HUNGRY = """
    SELECT s, count(*)
    FROM (
        SELECT repeat('x', 200) || range AS s
        FROM range(3000000)
    )
    GROUP BY s
    ORDER BY s
"""


def test_running_out_of_memory_is_said_in_french_and_writes_nothing() -> None:
    con = new_base()  # in memory: nowhere to spill to
    con.execute("CREATE TABLE probe (i INTEGER)")
    con.execute("SET memory_limit = '20MB'")
    with pytest.raises(CrmError) as caught, db.transaction(con) as cur:
        cur.execute("INSERT INTO probe SELECT range FROM range(1000)")
        cur.execute(HUNGRY).fetchall()
    assert not isinstance(caught.value, ConflictError)
    assert str(caught.value) == db.OUT_OF_MEMORY
    con.execute("SET memory_limit = '1GB'")
    assert con.execute("SELECT count(*) FROM probe").fetchone() == (0,)
