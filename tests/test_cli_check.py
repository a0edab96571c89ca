"""`python -m crm_data check`: the integrity check on demand, exit 0 when sound, 1 with every
problem listed in French."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_data.cli.main import main
from crm_data.store import db
from tests import engines
from tests.factories import make_affaire

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def base(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    return engines.fresh_target(tmp_path)


def test_check_of_a_sound_base_exits_0(
    base: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    con = db.open_base(base)
    make_affaire(con)
    con.close()
    assert main(["--db", str(base), "check"]) == 0
    assert "aucun problème" in capsys.readouterr().out


def test_check_lists_a_problem_in_french_and_exits_1(
    base: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    con = db.open_base(base)
    make_affaire(con)
    # A change that bypassed crm_data: the stored name no longer matches its last version.
    con.execute("UPDATE affaire SET nom = 'Changée en douce' WHERE id = 1")
    con.close()
    assert main(["--db", str(base), "check"]) == 1
    err = capsys.readouterr().err
    assert "1 problème trouvé" in err
    assert "dernière version" in err
