"""Shared pytest settings: every test gets its own base; nothing touches data/crm.duckdb."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_data.store import db


@pytest.fixture(autouse=True)
def _isolated_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "crm.duckdb"
    monkeypatch.setenv("CRM_DB", str(path))
    yield path
    db.close_shared(path)
