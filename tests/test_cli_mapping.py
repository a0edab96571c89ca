"""`python -m crm_data import FILE --mapping NAME`: shipped and saved mappings from the shell."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crm_data.cli.main import main
from crm_data.mapping.model import Mapping
from crm_data.mapping.store import save_mapping
from crm_data.store.db import open_base
from crm_data.users import local_admin

DATA = Path("/work/shared/data")


def salesforce_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "devorg"
    shutil.copytree(DATA / "salesforce_opportunities" / "devorg_powerbi", folder)
    return folder / "Opportunity.csv"


def count(db: Path) -> int:
    con = open_base(db)
    try:
        row = con.execute("SELECT count(*) FROM affaire").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def test_shipped_mapping_imports_then_reimport_updates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, path = tmp_path / "crm.duckdb", salesforce_copy(tmp_path)
    assert main(["--db", str(db), "import", str(path), "--mapping", "salesforce"]) == 0
    assert "36 affaires ont été créées" in capsys.readouterr().out
    assert main(["--db", str(db), "import", str(path), "--mapping", "salesforce"]) == 0
    assert "0 affaire a été créée" in capsys.readouterr().out
    assert count(db) == 36


def test_dry_run_with_a_mapping_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, path = tmp_path / "crm.duckdb", salesforce_copy(tmp_path)
    code = main(["--db", str(db), "import", str(path), "--mapping", "salesforce", "--dry-run"])
    assert code == 0
    assert "36 affaires seraient créées" in capsys.readouterr().out
    assert count(db) == 0


def test_saved_mapping_is_used_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "crm.duckdb"
    con = open_base(db)
    mapping = Mapping("tableur", columns={"Affaire": "nom", "Client": "compte_id"})
    save_mapping(con, local_admin(con), mapping)
    con.close()
    path = tmp_path / "tableur.csv"
    path.write_text("Affaire;Client\nRefonte site;Durand SA\n", encoding="utf-8")
    assert main(["--db", str(db), "import", str(path), "--mapping", "tableur"]) == 0
    assert "Nouveaux comptes (1) : Durand SA." in capsys.readouterr().out


def test_bad_rows_exit_1_and_are_listed_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Id,Name,AccountId,Amount\n1,A,Acme,beaucoup\n", encoding="utf-8")
    db = tmp_path / "crm.duckdb"
    assert main(["--db", str(db), "import", str(path), "--mapping", "salesforce"]) == 1
    err = capsys.readouterr().err
    assert "Ligne 2, colonne « Amount »" in err
    assert count(db) == 0


def test_unknown_mapping_exits_1_naming_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    code = main(["--db", str(tmp_path / "crm.duckdb"), "import", str(path), "--mapping", "zoho"])
    assert code == 1
    assert "maven, salesforce" in capsys.readouterr().err
