"""`python -m crm_data objectifs import|export` and `analyse objectifs` (SPEC §5): exit codes,
all or nothing, the same file both ways, A14 printed with §3's column names."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal
from pathlib import Path

import pytest

from crm_data.cli.main import main
from crm_data.store import db
from crm_data.users import add_user
from tests.analyses_factory import D, new_affaire

pytestmark = pytest.mark.usefixtures("engine")


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "cli.duckdb"
    con = db.open_base(path)
    add_user(con, None, "amartin", "commercial", nom="Alice Martin")
    new_affaire(
        con, gestion_par=2, statut="Gagnée", total_ht=Decimal("250"), date_signature=D("2026-02-03")
    )
    con.close()
    return path


def test_import_then_export_then_analyse(base: Path, tmp_path: Path) -> None:
    source = tmp_path / "objectifs.csv"
    source.write_text("Commercial;Mois;Objectif\namartin;2026-01;1 000\nAlice Martin;02/2026;500\n")
    code, out, err = _cli("--db", str(base), "objectifs", "import", str(source))
    assert (code, err) == (0, "")
    assert out == f"2 objectifs enregistrés depuis {source}.\n"

    target = tmp_path / "export.xlsx"
    code, out, _ = _cli("objectifs", "export", str(target), "--annee", "2026", "--db", str(base))
    assert code == 0 and out.startswith("2 objectifs exportés")

    code, out, _ = _cli(
        "--db", str(base), "analyse", "objectifs", "--du", "2026-01-01", "--au", "2026-02-28"
    )
    assert code == 0
    assert out.splitlines() == [
        "gestion_par,mois,objectif,ca_signe,realisation,cumul_objectif,cumul_signe,couverture",
        "Alice Martin,2026-01,1000.0,0.0,0.0,1000.0,0.0,",
        "Alice Martin,2026-02,500.0,250.0,0.5,1500.0,250.0,",
    ]
    code, out, _ = _cli(
        "--db",
        str(base),
        "analyse",
        "objectifs",
        "--du",
        "2026-02-01",
        "--au",
        "2026-02-28",
        "--format",
        "json",
    )
    assert json.loads(out)[0]["realisation"] == 0.5


def test_a_bad_file_exits_1_lists_every_bad_cell_and_sets_nothing(
    base: Path, tmp_path: Path
) -> None:
    source = tmp_path / "objectifs.csv"
    source.write_text("Commercial;Mois;Objectif\namartin;2026-01;1000\nzoe;2026-02;-1\n")
    code, out, err = _cli("--db", str(base), "objectifs", "import", str(source))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "Ligne 3, colonne Commercial : Commercial inconnu « zoe ».",
        "Ligne 3, colonne Objectif : Objectif négatif « -1 » : un objectif est un montant "
        "positif ou nul.",
    ]
    export = tmp_path / "vide.csv"
    assert _cli("--db", str(base), "objectifs", "export", str(export))[0] == 0
    assert export.read_bytes() == b"\xef\xbb\xbfCommercial;Mois;Objectif\r\n"


def test_wrong_usage_exits_2(base: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        _cli("--db", str(base), "objectifs", "supprimer")
    assert raised.value.code == 2


def test_export_refuses_another_suffix(base: Path, tmp_path: Path) -> None:
    code, _, err = _cli("--db", str(base), "objectifs", "export", str(tmp_path / "o.txt"))
    assert code == 1 and ".csv ou .xlsx" in err
