"""The two storage engines under one test suite: DuckDB (a file, or memory) and PostgreSQL.

A module marked `pytestmark = pytest.mark.usefixtures("engine")` runs each of its tests on both
engines. Inside such a test, `new_base()` (tests.factories) and `base_target(tmp_path)` give a
fresh base on the test's engine: for PostgreSQL, a new database copied from a migrated template
(so no test pays the migrations), dropped after the test.

The PostgreSQL server is the one named by CRM_TEST_PG_URL (started by .ci/run), else one this
worker starts itself in a temporary folder (Debian's binaries; see crm_data.store.pg_server).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import psycopg

from crm_data.store import db
from crm_data.store.pg_server import PgServer

DUCKDB = "duckdb"
POSTGRESQL = "postgresql"
ENGINES = (DUCKDB, POSTGRESQL)

_current = [DUCKDB]
_created: list[str] = []
_counter = itertools.count(1)
_server: list[PgServer] = []
_template: list[str] = []


def current() -> str:
    """The engine of the running test (DUCKDB outside modules that use the engine fixture)."""
    return _current[0]


def server_url() -> str:
    """The URL of the tests' PostgreSQL server's maintenance database, started on first use."""
    url = os.environ.get("CRM_TEST_PG_URL")
    if url:
        return url
    if not _server:
        _server.append(PgServer(durable=False))
    return _server[0].url


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_url(name: str) -> str:
    head, _, _ = server_url().rpartition("/")
    return f"{head}/{name}"


def _admin(statement: str) -> None:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(statement)


def _template_name() -> str:
    if not _template:
        name = f"crm_template_{_worker()}_{os.getpid()}"
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"CREATE DATABASE {name}")
        db.open_base(_database_url(name)).close()
        _template.append(name)
    return _template[0]


def new_pg_url(*, kept: bool = False) -> str:
    """A fresh, migrated PostgreSQL base, dropped at the end of the test; kept: dropped only by
    drop_pg_url (a base a module-scoped fixture shares between tests)."""
    template = _template_name()
    name = f"crm_t_{_worker()}_{os.getpid()}_{next(_counter)}"
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    url = _database_url(name)
    if not kept:
        _created.append(url)
    return url


def kept_pg_url() -> str:
    """A fresh, migrated PostgreSQL base that outlives the test (a module's base, shared by its
    tests): the caller drops it with drop_pg_url."""
    name = f"crm_m_{_worker()}_{os.getpid()}_{next(_counter)}"
    _admin(f"CREATE DATABASE {name} TEMPLATE {_template_name()}")
    return _database_url(name)


def drop_pg_url(url: str) -> None:
    """Close this process's connections to the base at url and drop it (a base made by
    kept_pg_url, or one a test must drop before its end)."""
    db.close_shared(url)
    with suppress(psycopg.Error):
        _admin(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")


def module_target(engine: str) -> str:
    """Where a module-scoped base of engine lives (a fixture parametrized by ENGINES): memory
    for DuckDB, a kept PostgreSQL base (kept_pg_url) otherwise; drop it with drop_target."""
    return kept_pg_url() if engine == POSTGRESQL else ":memory:"


def drop_target(target: str) -> None:
    """Drop a base made by module_target (DuckDB's memory goes with its connection)."""
    if target != ":memory:":
        drop_pg_url(target)


def fresh_target(tmp_path: Path, name: str = "crm.duckdb") -> str | Path:
    """Where a new base of the running test's engine lives: a file in tmp_path, or a URL."""
    return new_pg_url() if current() == POSTGRESQL else tmp_path / name


def use(engine: str) -> Iterator[None]:
    """Run the test on engine; afterwards close and drop the PostgreSQL bases it created."""
    _current[0] = engine
    try:
        yield
    finally:
        _current[0] = DUCKDB
        while _created:
            drop_pg_url(_created.pop())


def stop() -> None:
    """Drop this worker's template base, then stop the server this worker started, if any (a
    shared server, CRM_TEST_PG_URL's, keeps no base of a finished run)."""
    while _template:
        drop_pg_url(_database_url(_template.pop()))
    while _server:
        _server.pop().stop()
