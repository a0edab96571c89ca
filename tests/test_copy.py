"""`copy --vers`: a whole base from DuckDB to PostgreSQL and back gives the same tables, the same
sequences and the same analyses; a target holding affaires is refused; a failed copy writes
nothing (SPEC §5)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from crm_data.analyses.registry import REGISTRY, Filters
from crm_data.cli.main import main
from crm_data.demo import generate
from crm_data.store import copy, db, pg_versions
from crm_data.users import local_admin
from tests import engines
from tests.factories import make_affaire
from tests.test_pg_versions import ends, wrong_ends

TODAY = dt.date(2026, 6, 15)
PERIOD = Filters(du=dt.date(2020, 1, 1), au=dt.date(2030, 12, 31), today=TODAY)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, migrated PostgreSQL base, dropped after the test."""
    for _ in engines.use(engines.POSTGRESQL):
        yield engines.new_pg_url()


@pytest.fixture
def demo_base(tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    con = db.open_base(path)
    generate.generate(con, affaires=400, seed=7, today=TODAY)
    con.close()
    return path


def tables(target: str | Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in one order whatever the engine."""
    con = db.open_base(target)
    try:
        with db.read(con) as cur:
            names = [
                str(name)
                for (name,) in cur.execute(
                    """
                    SELECT table_name
                    FROM information_schema.tables
                    WHERE table_schema = current_schema()
                      AND table_type = 'BASE TABLE'
                    """
                ).fetchall()
            ]
            # applied_at differs by nothing but is a timestamp like the others: kept. The
            # columns PostgreSQL derives (pg_versions.DERIVED) are left out: test_pg_versions
            # checks it.
            return {
                name: sorted(
                    cur.execute(f'SELECT {_kept(cur, name)} FROM "{name}"').fetchall(), key=repr
                )
                for name in sorted(names)
            }
    finally:
        con.close()


def _kept(cur: db.Connection, table: str) -> str:
    """The table's columns both engines keep, quoted, in order."""
    derived = pg_versions.DERIVED.get(table, ())
    return ", ".join(
        f'"{name}"' for name, _ in copy.table_columns(cur, table) if name not in derived
    )


def analyses(target: str | Path) -> dict[str, pd.DataFrame]:
    con = db.open_base(target)
    try:
        return {name: run(con, local_admin(con), PERIOD) for name, run in REGISTRY.items()}
    finally:
        con.close()


def test_demo_base_to_postgresql_and_back_gives_identical_tables_and_analyses(
    demo_base: Path, pg_url: str, tmp_path: Path
) -> None:
    back = tmp_path / "retour.duckdb"
    assert main(["--db", str(demo_base), "copy", "--vers", pg_url]) == 0
    assert main(["--db", pg_url, "copy", "--vers", str(back)]) == 0
    original = tables(demo_base)
    assert original["affaire_version"] and original["document"]
    assert tables(pg_url) == original
    assert tables(back) == original
    before, after = analyses(demo_base), analyses(back)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, check_exact=True)


def test_analyses_of_the_postgresql_copy_equal_the_duckdb_ones(
    demo_base: Path, pg_url: str
) -> None:
    assert main(["--db", str(demo_base), "copy", "--vers", pg_url]) == 0
    on_duckdb, on_postgresql = analyses(demo_base), analyses(pg_url)
    for name, frame in on_duckdb.items():
        pd.testing.assert_frame_equal(on_postgresql[name], frame, check_exact=False)


def test_ids_go_on_after_the_highest_copied_one(demo_base: Path, pg_url: str) -> None:
    copy_con = db.open_base(demo_base)
    copy.copy_base(copy_con, pg_url)
    copy_con.close()
    con = db.open_base(pg_url)
    try:
        assert make_affaire(con) == 401
    finally:
        con.close()


def test_a_target_holding_affaires_is_refused_in_french(
    demo_base: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    con = db.open_base(pg_url)
    make_affaire(con, nom="Déjà là")
    con.close()
    before = tables(pg_url)
    assert main(["--db", str(demo_base), "copy", "--vers", pg_url]) == 1
    assert "contient déjà des affaires" in capsys.readouterr().err
    assert tables(pg_url) == before


def test_a_copy_failing_midway_writes_nothing(
    demo_base: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    con = db.open_base(pg_url)
    # A rule of the target that one row of the source breaks: a late table of the copy fails.
    con.execute("ALTER TABLE projet ADD CHECK (nom <> 'Refusé par la cible')")
    con.close()
    source = db.open_base(demo_base)
    source.execute("UPDATE projet SET nom = 'Refusé par la cible' WHERE id = 1")
    source.close()
    before = tables(pg_url)
    assert main(["--db", str(demo_base), "copy", "--vers", pg_url]) == 1
    assert "a échoué : rien n'a été écrit" in capsys.readouterr().err
    assert tables(pg_url) == before


def test_a_copy_whose_compaction_fails_is_whole_and_says_so(
    demo_base: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A compaction statement the server refuses, as it refuses VACUUM FULL to a role that
    # does not own the tables.
    refused = (*pg_versions.COMPACT[:1], "VACUUM (FULL) table_absente")
    monkeypatch.setattr(pg_versions, "COMPACT", refused)
    with caplog.at_level(logging.WARNING, logger="crm_data.store.copy"):
        assert main(["--db", str(demo_base), "copy", "--vers", pg_url]) == 0
    assert tables(pg_url) == tables(demo_base)
    [warning] = [r for r in caplog.records if r.name == "crm_data.store.copy"]
    assert "son compactage a échoué" in warning.getMessage()
    assert "table_absente" in warning.getMessage()
    assert "VACUUM (FULL) affaire_version" in warning.getMessage()


def test_a_new_file_the_copy_could_not_fill_is_removed(tmp_path: Path, pg_url: str) -> None:
    con = db.open_base(pg_url)
    make_affaire(con, reussite=50)
    # A row DuckDB's schema refuses: the copy into a new file fails on it.
    con.execute("ALTER TABLE affaire DROP CONSTRAINT affaire_reussite_check")
    con.execute("UPDATE affaire SET reussite = 150")
    try:
        with pytest.raises(copy.CopyError, match="rien n'a été écrit"):
            copy.copy_base(con, tmp_path / "neuve.duckdb")
    finally:
        con.close()
    assert list(tmp_path.glob("neuve.duckdb*")) == []


def test_progress_goes_up_to_the_end(demo_base: Path, pg_url: str) -> None:
    seen: list[float] = []
    con = db.open_base(demo_base)
    try:
        copy.copy_base(con, pg_url, progress=lambda fraction, _: seen.append(fraction))
    finally:
        con.close()
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2


def test_a_copy_onto_the_base_itself_is_refused(
    demo_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(demo_base), "copy", "--vers", str(demo_base)]) == 1
    assert "une autre base que la base copiée" in capsys.readouterr().err


def test_a_copy_to_postgresql_keeps_the_version_neighbours_in_a_compact_table(
    demo_base: Path, pg_url: str
) -> None:
    """The triggers of crm_data.store.pg_versions fill each copied version's neighbours, and
    their update is compacted away: a further VACUUM FULL hardly shrinks the table."""
    assert main(["--db", str(demo_base), "copy", "--vers", pg_url]) == 0
    con = db.open_base(pg_url)
    try:
        assert ends(con) > 0
        assert wrong_ends(con) == 0
        size = "SELECT pg_relation_size('affaire_version')"
        copied = int(con.execute(size).fetchone()[0])  # type: ignore[index]
        for statement in pg_versions.COMPACT:
            con.execute(statement)
        compacted = int(con.execute(size).fetchone()[0])  # type: ignore[index]
        assert copied <= compacted * 1.1
    finally:
        con.close()
