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


def test_a_frame_reads_back_every_value_as_given() -> None:
    """Texts that a CSV could confuse (empty, NULL, quotes, separators, line breaks, accents),
    exact amounts, dates, flags and timestamps come back as given (PostgreSQL loads a frame
    as CSV blocks, or row by row when a column's type is not one CSV renders exactly)."""
    import datetime as dt
    from decimal import Decimal

    texts = ["", None, '"', '""', "a,b;c", "deux\nlignes\r\n", "\\N", "NULL", "é€\u202f", " "]
    count = len(texts)
    columns = {
        "t": pa.array(texts, pa.string()),
        "n": pa.array([None, *range(-4, count - 5)], pa.int64()),
        "m": pa.array(
            [Decimal("1234.50"), None, *[Decimal("-0.01")] * (count - 2)], pa.decimal128(14, 2)
        ),
        "d": pa.array([dt.date(2026, 12, 31), None, *[dt.date(1999, 1, 1)] * (count - 2)]),
        "b": pa.array([True, False, None, *[True] * (count - 3)]),
    }
    for frame in (
        pa.table(columns),
        pa.table(
            {
                **columns,
                "moment": pa.array(
                    [dt.datetime(2026, 1, 2, 3, 4, 5, 600_000)] * count, pa.timestamp("us")
                ),
            }
        ),
    ):
        with transaction(con := new_base()) as cur:
            names = ", ".join(frame.column_names)
            rows = execute_all_with_frame(
                cur, [(f"SELECT {names} FROM bulk_frame ORDER BY n NULLS FIRST", None)], frame
            )[0]
        expected = sorted(
            zip(*(frame.column(c).to_pylist() for c in frame.column_names), strict=True),
            key=lambda r: (r[1] is not None, r[1] or 0),
        )
        assert [tuple(r) for r in rows] == expected
        con.close()
