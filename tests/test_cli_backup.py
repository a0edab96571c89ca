"""`python -m crm_data backup` and `restore`: what they write, what they refuse, in French."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_data.cli.main import main
from crm_data.store import backup, db
from tests import engines
from tests.factories import make_affaire


def filled_base(path: Path | str, count: int = 3) -> None:
    con = db.open_base(path)
    for _ in range(count):
        make_affaire(con)
    con.close()


def affaire_count(path: Path | str) -> int:
    con = db.open_base(path)
    try:
        row = con.execute("SELECT count(*) FROM affaire").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


@pytest.mark.usefixtures("engine")
def test_backup_then_restore_brings_the_base_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = engines.fresh_target(tmp_path)
    saved = tmp_path / f"sauvegarde{backup.suffix_of(base)}"
    filled_base(base)
    assert main(["--db", str(base), "backup", str(saved)]) == 0
    assert "3 affaires" in capsys.readouterr().out
    filled_base(base, 2)
    assert main(["--db", str(base), "restore", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "restaurée" in out and "L'ancienne base est gardée" in out
    assert affaire_count(base) == 3


@pytest.mark.usefixtures("engine")
def test_backup_into_a_folder_names_by_date_and_keeps_the_newest(tmp_path: Path) -> None:
    base = engines.fresh_target(tmp_path)
    filled_base(base, 1)
    for _ in range(3):
        assert (
            main(["--db", str(base), "backup", f"{tmp_path / 'sauvegardes'}/", "--garder", "2"])
            == 0
        )
    files = sorted((tmp_path / "sauvegardes").glob(f"crm-*{backup.suffix_of(base)}"))
    assert len(files) == 2
    assert backup.read_backup(files[-1]).digests["affaire"][0] == 1


@pytest.mark.usefixtures("engine")
def test_restore_refuses_another_file_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, other = engines.fresh_target(tmp_path), tmp_path / "export.csv"
    filled_base(base)
    other.write_text("Nom;Compte\nA;B\n", encoding="utf-8")
    assert main(["--db", str(base), "restore", str(other)]) == 1
    assert "n'est pas une sauvegarde de CRM Affaires" in capsys.readouterr().err
    assert affaire_count(base) == 3


@pytest.fixture
def held_base(tmp_path: Path) -> Iterator[Path]:
    """A base file held open by another process, as the app's server would (DuckDB only: a
    PostgreSQL base has no lock, and test_pg_backup backs it up while it is served)."""
    base = tmp_path / "crm.duckdb"
    filled_base(base)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(base)!r}); "
            "print('ouverte', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ouverte"
    yield base
    holder.kill()
    holder.wait(timeout=30)


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_commands_refuse_a_base_the_app_holds(
    held_base: Path, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "sauvegarde.duckdb"
    con = db.open_base(":memory:")
    backup.backup(con, saved)
    con.close()
    assert main(["--db", str(held_base), command, str(saved)]) == 1
    assert "déjà ouverte par un autre programme" in capsys.readouterr().err
