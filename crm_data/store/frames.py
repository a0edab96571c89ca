"""Rows built in Python read by one statement of a unit of work, released when it ends.

DuckDB keeps every object passed to `register` alive until the transaction ends, even after
`unregister` (the dropped view stays in the transaction's catalog): a load written chunk by chunk
in one transaction held every chunk's frame until its commit. A replacement scan (a Python
variable named in the SQL) is released with its statement. PostgreSQL has none: there the rows
go through the cursor's register (COPY into a temporary table, held by the server).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from crm_data.store.engine import ENGINE_ERRORS, POSTGRESQL, Connection, dialect

FRAME = "bulk_frame"
"""The name by which the SQL given to execute_with_frame reads its frame."""


def execute_with_frame(
    cur: Connection, sql: str, frame: object, params: object = None
) -> list[tuple[Any, ...]]:
    """Run sql, which reads frame (an Arrow table or a pandas DataFrame) as the table
    `bulk_frame`, and return its rows; nothing of frame is kept once it returns."""
    if dialect(cur) == POSTGRESQL:
        cur.register(FRAME, frame)
        try:
            rows = cur.execute(sql, params).fetchall()
        except BaseException:
            # The failed statement aborted the transaction, which refuses the DROP (the cursor's
            # close drops the table): the original error is the one to raise.
            with suppress(*ENGINE_ERRORS):
                cur.unregister(FRAME)
            raise
        cur.unregister(FRAME)
        return rows
    # DuckDB finds the table bulk_frame by this variable's name in the calling frame.
    bulk_frame = frame  # noqa: F841
    return cur.execute(sql, params).fetchall()


def execute_all_with_frame(
    cur: Connection, statements: list[tuple[str, object]], frame: object
) -> list[list[tuple[Any, ...]]]:
    """Run each (sql, params) in order, every sql reading frame as the table `bulk_frame`, and
    return their rows; frame is loaded once on PostgreSQL and nothing of it is kept after."""
    if dialect(cur) == POSTGRESQL:
        cur.register(FRAME, frame)
        try:
            return [cur.execute(sql, params).fetchall() for sql, params in statements]
        finally:
            cur.unregister(FRAME)
    # DuckDB finds the table bulk_frame by this variable's name in the calling frame (a
    # comprehension's frame would not have it: hence the loop).
    bulk_frame = frame  # noqa: F841
    results = []
    for sql, params in statements:
        results.append(cur.execute(sql, params).fetchall())
    return results
