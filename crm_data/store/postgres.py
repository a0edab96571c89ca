"""PostgreSQL behind the small interface crm_data uses of a DuckDB connection.

`PgBase` is one base (a pool of connections, thread-safe, for Streamlit's threads); its
`cursor()` borrows one connection until `close()`, as DuckDB's cursor does. Statements are
written once for both engines: `$name` and `?` placeholders are translated here, in one place;
results come back as tuples, and `df()` gives the frame DuckDB's would (DECIMAL as float64, a
nullable Int64 or boolean only where a NULL is present, dates as datetime64). `register` puts
an Arrow table or a frame under a name, as DuckDB's replacement scan does: a temporary table
filled by COPY, dropped by `unregister`.

Transactions: `BEGIN TRANSACTION` opens a REPEATABLE READ one (DuckDB's behaviour: a
write-write clash is an error, never a lost update; READ COMMITTED lost half of the saves in
our measures, see NOTES-postgres.md).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pandas as pd
import psycopg
import psycopg_pool
import pyarrow as pa
import pyarrow.csv as pa_csv

SCHEMES = ("postgresql://", "postgres://")

# psycopg_pool logs each failed connection attempt in English (« error connecting in
# 'pool-1' … »); with no handler of its own, Python's last-resort handler printed them on stderr
# before crm_data's French message. They still reach a logging configuration set up by whoever
# runs the app; the user is told once, in French (crm_data.store.db).
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())

_COUNTED = re.compile(r"(INSERT|UPDATE|DELETE|MERGE) ")
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$([A-Za-z_]\w*)|\?|%")

# Arrow types of register()'s tables, as PostgreSQL column types.
_PG_TYPES: list[tuple[Any, str]] = [
    (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_integer, "BIGINT"),
    (pa.types.is_floating, "DOUBLE PRECISION"),
    (pa.types.is_decimal, "NUMERIC"),
    (pa.types.is_date, "DATE"),
    (pa.types.is_timestamp, "TIMESTAMP"),
    (pa.types.is_binary, "BYTEA"),
    (pa.types.is_large_binary, "BYTEA"),
]

# PostgreSQL type OIDs, for df()'s dtypes.
_INT_OIDS = {20: "int64", 21: "int16", 23: "int32"}
_FLOAT_OIDS = {700, 701, 1700}
_DATE_OIDS = {1082, 1114, 1184}
_BOOL_OID = 16


def is_url(target: object) -> bool:
    """Whether a CRM_DB / --db value names a PostgreSQL base rather than a DuckDB file."""
    return isinstance(target, str) and target.startswith(SCHEMES)


@lru_cache(maxsize=4096)
def translate(query: str) -> str:
    """A statement written for DuckDB's placeholders in psycopg's: `$name` → `%(name)s`, `?` →
    `%s`, and every literal `%` doubled (inside quotes too, where psycopg also reads it). A
    quoted identifier is skipped like a string (`"Famille d'article"`)."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith(("'", '"')):
            return token.replace("%", "%%")
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({match.group(1)})s"

    return _TOKEN.sub(one, query)


def _statement(query: str, parameters: object) -> str:
    text = query.strip().rstrip(";").upper()
    if text in ("BEGIN TRANSACTION", "BEGIN"):
        return "BEGIN ISOLATION LEVEL REPEATABLE READ"
    if parameters is None:
        # Without values psycopg sends the text as it is: a literal % stays single.
        return query
    return translate(query)


def _params(parameters: object) -> Any:
    if parameters is None:
        return None
    if isinstance(parameters, dict):
        return {k: _value(v) for k, v in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return [_value(v) for v in parameters]
    raise TypeError(f"unsupported parameters: {type(parameters).__name__}")


def _value(value: object) -> object:
    # DuckDB binds a Python list as a LIST; PostgreSQL as an ARRAY (cast it in the SQL).
    if isinstance(value, tuple):
        return list(value)
    return value


def _column(values: list[Any], oid: int) -> pd.Series[Any]:
    has_null = any(v is None for v in values)
    if oid in _INT_OIDS:
        kind = _INT_OIDS[oid]
        return pd.Series(values, dtype=kind.replace("int", "Int") if has_null else kind)
    if oid in _FLOAT_OIDS:
        return pd.Series([float("nan") if v is None else float(v) for v in values], dtype=float)
    if oid in _DATE_OIDS:
        return pd.Series(pd.to_datetime(values), dtype="datetime64[us]")
    if oid == _BOOL_OID:
        return pd.Series(values, dtype="boolean" if has_null else bool)
    if oid in (25, 1043, 1042):
        # DuckDB gives a text column without any value (empty, or NULL only) as objects.
        return pd.Series(values, dtype="str" if any(v is not None for v in values) else object)
    return pd.Series(values, dtype=object)


class PgCursor:
    """One borrowed connection of a PgBase: statements, results, registered tables.

    Results are fetched whole when a statement ends (as psycopg's client cursor does), so a
    base-level execute() can give its connection back at once.
    """

    dialect = "postgresql"

    def __init__(self, base: PgBase, conn: psycopg.Connection[Any]) -> None:
        self.base = base
        self._conn: psycopg.Connection[Any] | None = conn
        self._rows: list[tuple[Any, ...]] = []
        self._position = 0
        self._description: list[tuple[Any, ...]] | None = None
        self._registered: set[str] = set()

    @property
    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise psycopg.InterfaceError("cursor already closed")
        return self._conn

    def execute(self, query: str, parameters: object = None) -> PgCursor:
        with self.connection.cursor() as cur:
            cur.execute(_statement(query, parameters), _params(parameters))
            if cur.description is None and cur.statusmessage and _COUNTED.match(cur.statusmessage):
                # DuckDB answers an INSERT, UPDATE or DELETE with one row: its count.
                self._description = [("Count", 20, None, None, None, None, None)]
                self._rows = [(cur.rowcount,)]
            elif cur.description is None:
                self._description = None
                self._rows = []
            else:
                self._description = [
                    (c.name, c.type_code, None, None, None, None, None) for c in cur.description
                ]
                self._rows = cur.fetchall()
        self._position = 0
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return rows

    @property
    def description(self) -> list[tuple[Any, ...]] | None:
        return self._description

    def df(self) -> pd.DataFrame:
        description = self._description or []
        rows = self.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(description)
        return pd.DataFrame(
            {
                d[0]: _column(list(values), d[1])
                for d, values in zip(description, columns, strict=True)
            },
            columns=[d[0] for d in description],
        )

    def register(self, view_name: str, python_object: object) -> PgCursor:
        """A temporary table named view_name holding the Arrow table (or frame), by COPY."""
        table = (
            pa.Table.from_pandas(python_object, preserve_index=False)
            if isinstance(python_object, pd.DataFrame)
            else python_object
        )
        if not isinstance(table, pa.Table):
            raise TypeError(f"cannot register {type(python_object).__name__}")
        columns = ", ".join(f'"{field.name}" {_pg_type(field.type)}' for field in table.schema)
        conn = self.connection
        with conn.cursor() as cur:
            cur.execute(f'DROP TABLE IF EXISTS "{view_name}"')
            cur.execute(f'CREATE TEMP TABLE "{view_name}" ({columns})')
            names = ", ".join(f'"{n}"' for n in table.column_names)
            if _csv_writable(table):
                with cur.copy(f'COPY "{view_name}" ({names}) FROM STDIN (FORMAT csv)') as copy:
                    for batch in table.to_batches(max_chunksize=65_536):
                        copy.write(_csv_block(batch))
            else:
                with cur.copy(f'COPY "{view_name}" ({names}) FROM STDIN') as copy:
                    for batch in table.to_batches(max_chunksize=65_536):
                        for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                            copy.write_row(row)
        self._registered.add(view_name)
        return self

    def unregister(self, view_name: str) -> PgCursor:
        self.connection.execute(f'DROP TABLE IF EXISTS "{view_name}"')
        self._registered.discard(view_name)
        return self

    def cursor(self) -> PgCursor:
        return self.base.cursor()

    def interrupt(self) -> None:
        if self._conn is not None:
            self._conn.cancel_safe()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()
            for name in self._registered:
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        except psycopg.Error:
            # A broken connection: the pool discards it rather than hand it out again.
            pass
        self._registered.clear()
        self.base.give_back(conn)


_CSV_TYPES = (
    pa.types.is_integer,
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_date32,
    pa.types.is_decimal,
    pa.types.is_boolean,
)


def _csv_writable(table: pa.Table) -> bool:
    """Whether Arrow's CSV writer renders every column as PostgreSQL's COPY reads it back: a
    whole table then goes as CSV blocks, not one Python row at a time."""
    return all(any(kind(field.type) for kind in _CSV_TYPES) for field in table.schema)


def _csv_block(batch: pa.RecordBatch) -> bytes:
    """A batch as COPY's CSV: every value quoted, a NULL left empty and unquoted, so that an
    empty text stays an empty text and a missing one NULL."""
    sink = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    pa_csv.write_csv(batch, sink, options)
    return bytes(sink.getvalue().to_pybytes())


def _pg_type(kind: pa.DataType) -> str:
    for test, name in _PG_TYPES:
        if test(kind):
            return name
    return "TEXT"


class PgBase:
    """One PostgreSQL base: its URL and a pool of connections (one per unit of work)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = 10) -> None:
        self.url = url
        self._last = threading.local()
        # A wrong URL or a stopped server is told at once, by this first connection's error,
        # rather than after the pool's retries.
        psycopg.connect(_conninfo(url), connect_timeout=10).close()
        self.pool = psycopg_pool.ConnectionPool(
            _conninfo(url),
            min_size=1,
            max_size=max_size,
            # Values are bound client-side, as DuckDB binds them: a NULL compared or tested
            # needs no declared type (`$id IS NULL`), a list becomes an ARRAY literal.
            kwargs={"autocommit": True, "cursor_factory": psycopg.ClientCursor},
            open=True,
            # A connection cut by a server restart is replaced, not handed out.
            check=psycopg_pool.ConnectionPool.check_connection,
            timeout=30,
        )
        try:
            # A server that went away since is told now, not at the first query.
            self.pool.wait(timeout=10)
        except psycopg_pool.PoolTimeout:
            self.pool.close()
            raise

    def cursor(self) -> PgCursor:
        return PgCursor(self, self.pool.getconn())

    def give_back(self, conn: psycopg.Connection[Any]) -> None:
        self.pool.putconn(conn)

    def execute(self, query: str, parameters: object = None) -> PgCursor:
        """One statement on a connection of its own, given back at once (results are kept, and
        read from the base too, as from a DuckDB connection, by the thread that ran it)."""
        cur = self.cursor()
        try:
            self._last.result = cur.execute(query, parameters)
            return cur
        finally:
            cur.close()

    def _result(self) -> PgCursor:
        result: PgCursor | None = getattr(self._last, "result", None)
        if result is None:
            raise psycopg.ProgrammingError("no statement was run on this base by this thread")
        return result

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._result().fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._result().fetchall()

    def df(self) -> pd.DataFrame:
        return self._result().df()

    @property
    def description(self) -> list[tuple[Any, ...]] | None:
        return self._result().description

    def register(self, view_name: str, python_object: object) -> PgCursor:
        raise psycopg.ProgrammingError("register() needs a cursor: a base has no session")

    def unregister(self, view_name: str) -> PgCursor:
        raise psycopg.ProgrammingError("unregister() needs a cursor: a base has no session")

    def interrupt(self) -> None:
        """Nothing to interrupt: each unit of work runs on a cursor of its own."""

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def session(self) -> Iterator[PgCursor]:
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()


SESSION_SETTINGS = {"TimeZone": "UTC", "jit": "off"}
"""Each connection's settings, unless the URL's options set them: UTC as the time zone
(timestamps are stored naive, in UTC, as DuckDB's current_timestamp gives them), and no JIT
compilation, which cost 50 to 130 ms of each analysis over a million affaires (its emission
alone), about a tenth of a Ventes tab's time, for queries that run well under a second."""


_OPTION_NAME = re.compile(r"(?:-c\s*|--)([\w.]+)\s*=")
"""A setting named in libpq's options (`-c name=value` or `--name=value`)."""


def _conninfo(url: str) -> str:
    """The URL with SESSION_SETTINGS added to its options."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    options = query.get("options", "")
    own = {name.lower() for name in _OPTION_NAME.findall(options)}
    for setting, value in SESSION_SETTINGS.items():
        if setting.lower() not in own:
            options = f"{options} -c {setting}={value}".strip()
    query["options"] = options
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
