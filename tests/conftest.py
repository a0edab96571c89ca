"""Shared pytest settings: every test gets its own base; nothing touches data/crm.duckdb."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_data.store import db
from tests import engines
from tests.factories import new_base


@pytest.fixture(params=engines.ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """The engine a test runs on: each test of a module using this fixture runs on both."""
    for _ in engines.use(request.param):
        yield request.param


@pytest.fixture
def pg_con() -> Iterator[db.Connection]:
    """A fresh, migrated PostgreSQL base, for a test of what only that engine has (its
    indexes, triggers, row-level security): closed and dropped after the test."""
    for _ in engines.use(engines.POSTGRESQL):
        base = new_base()
        yield base
        base.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    engines.stop()


@pytest.fixture(autouse=True)
def _isolated_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "crm.duckdb"
    monkeypatch.setenv("CRM_DB", str(path))
    yield path
    db.close_shared(path)
