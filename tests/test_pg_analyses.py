"""PostgreSQL's indexes for the analyses (crm_data.store.pg_analyses): a base gets them, and the
figures they serve are those DuckDB gives (tests.test_engines_identical)."""

from __future__ import annotations

from urllib.parse import quote

from crm_data.analyses.registry import QUALITY_CHECKS, Filters, data_quality
from crm_data.store import db
from crm_data.store.postgres import PgBase
from tests.factories import admin, make_affaire


def test_a_base_has_the_index_of_the_affaires_perdues_without_a_code(pg_con: db.Connection) -> None:
    row = pg_con.execute(
        """
        SELECT indexdef
        FROM pg_indexes
        WHERE indexname = 'affaire_perdue_sans_code_idx'
        """
    ).fetchone()
    assert row is not None
    assert "WHERE" in str(row[0]) and "code_cloture IS NULL" in str(row[0])
    make_affaire(pg_con)
    counts = data_quality(pg_con, admin(pg_con), Filters())
    assert dict(zip(QUALITY_CHECKS, counts["nombre"], strict=True))["perdue_sans_code"] == 0


def _settings(con: db.Connection) -> tuple[str, ...]:
    with db.read(con) as cur:
        row = cur.execute("SELECT current_setting('jit'), current_setting('TimeZone')").fetchone()
    assert row is not None
    return tuple(row)


def _with_options(con: db.Connection, options: str) -> db.Connection:
    assert isinstance(con, PgBase)
    separator = "&" if "?" in con.url else "?"
    return db.connect(f"{con.url}{separator}options={quote(options)}")


def test_every_connection_runs_without_jit_in_utc_unless_the_url_says_otherwise(
    pg_con: db.Connection,
) -> None:
    assert _settings(pg_con) == ("off", "UTC")
    for options, expected in (
        ("-c jit=on", ("on", "UTC")),
        # A setting whose name begins like jit's is another setting.
        ("-c jit_above_cost=0", ("off", "UTC")),
    ):
        own = _with_options(pg_con, options)
        try:
            assert _settings(own) == expected, options
        finally:
            own.close()
