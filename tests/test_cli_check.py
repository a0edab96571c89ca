"""`python -m crm_data check`: the integrity check on demand, exit 0 when sound, 1 with every
problem listed in French."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_data.cli.main import main
from crm_data.store import db
from tests.factories import make_affaire


def test_check_of_a_sound_base_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.open_base(base)
    make_affaire(con)
    con.close()
    assert main(["--db", str(base), "check"]) == 0
    assert "aucun problème" in capsys.readouterr().out


def test_check_lists_a_problem_in_french_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.open_base(base)
    make_affaire(con)
    # A change that bypassed crm_data: the stored name no longer matches its last version.
    con.execute("UPDATE affaire SET nom = 'Changée en douce' WHERE id = 1")
    con.close()
    assert main(["--db", str(base), "check"]) == 1
    err = capsys.readouterr().err
    assert "1 problème(s) trouvé(s)" in err
    assert "dernière version" in err
