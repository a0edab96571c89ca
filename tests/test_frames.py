"""store.frames: statements reading rows built in Python, on both engines."""

from __future__ import annotations

import pyarrow as pa
import pytest

from crm_data.store.db import transaction
from crm_data.store.engine import ENGINE_ERRORS
from crm_data.store.frames import execute_all_with_frame
from tests.factories import new_base

pytestmark = pytest.mark.usefixtures("engine")


def test_every_statement_reads_the_same_frame_in_order_and_none_of_it_stays() -> None:
    con = new_base()
    frame = pa.table({"n": pa.array([3, 1, 2], pa.int64())})
    with transaction(con) as cur:
        cur.execute("CREATE TEMP TABLE seen (n BIGINT)")
        results = execute_all_with_frame(
            cur,
            [
                ("INSERT INTO seen SELECT n * $k FROM bulk_frame", {"k": 10}),
                ("SELECT count(*), sum(n) FROM bulk_frame", None),
                ("SELECT sum(n) FROM seen", None),
            ],
            frame,
        )
        assert results[1:] == [[(3, 6)], [(60,)]]
        with pytest.raises(ENGINE_ERRORS):
            cur.execute("SELECT count(*) FROM bulk_frame").fetchall()
