"""`analyse NAME` prints each analysis as the screen computes it, in CSV or JSON (SPEC §5)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from crm_data.analyses.registry import REGISTRY, Filters
from crm_data.cli import analyse as cli_analyse
from crm_data.store import db
from crm_data.users import local_admin
from tests.analyses_factory import D, new_affaire, new_named_user, new_user


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm_data")
    cli_analyse.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args = _parser().parse_args(argv)
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


def _fill(path: Path) -> None:
    con = db.open_base(path)
    alice = new_user(con, "alice")
    new_affaire(con, gestion_par=alice.id, ca_potentiel=1234.5, reussite=40)
    new_affaire(con, statut="Gagnée", date_signature=D("2026-02-03"), total_ht=1500.25)
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_cloture=D("2026-03-01"))
    new_affaire(
        con, type="Récurrent", statut="Perdue", code_cloture="Prix", date_cloture=D("2026-03-01")
    )
    con.close()


@pytest.mark.parametrize("name", list(REGISTRY))
def test_csv_output_equals_the_analysis(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _fill(path)
    code, out, _ = _run(
        ["analyse", name, "--du", "2026-01-01", "--au", "2026-12-31", "--db", str(path)], capsys
    )
    assert code == 0
    con = db.open_base(path)
    expected = REGISTRY[name](
        con, local_admin(con), Filters(du=D("2026-01-01"), au=D("2026-12-31"))
    )
    con.close()
    printed = pd.read_csv(io.StringIO(out), keep_default_na=False, na_values=[""])
    assert list(printed.columns) == list(expected.columns)
    for column in expected.select_dtypes("datetime").columns:
        printed[column] = pd.to_datetime(printed[column]).astype(expected[column].dtype)
    pd.testing.assert_frame_equal(printed, expected, check_dtype=False, check_exact=False)


def test_csv_uses_a_dot_and_no_thousands_separator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _fill(path)
    code, out, _ = _run(["analyse", "pipe", "--db", str(path)], capsys)
    assert code == 0
    assert out.splitlines()[:2] == [
        "etape,nombre,ca_potentiel,ca_pondere,ca_attendu",
        "Qualification,1,1234.5,493.8,0.0",
    ]


def test_json_prints_one_object_per_row_with_null_for_empty_rates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _fill(path)
    argv = ["analyse", "resultats-type", "--du", "2026-01-01", "--au", "2026-12-31"]
    code, out, _ = _run([*argv, "--format", "json", "--db", str(path)], capsys)
    assert code == 0
    data = json.loads(out)
    assert [row["type"] for row in data] == ["Nouveau", "Récurrent", "Mise à jour"]
    assert data[0]["taux_reussite"] == 0.5
    assert data[0]["ca_signe"] == 1500.25
    assert data[2]["taux_reussite"] is None


def test_filters_match_names_ignoring_case_and_accents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _fill(path)
    argv = ["analyse", "pipe", "--gestion-par", "ALICE", "--type", "nouveau", "--db", str(path)]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    assert out.splitlines()[1] == "Qualification,1,1234.5,493.8,0.0"
    code, out, _ = _run(
        ["analyse", "pertes-code", "--type", "recurrent", "--du", "2026-01-01", "--db", str(path)],
        capsys,
    )
    assert out.splitlines()[1:] == ["Prix,interne,1,1.0,0.0"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--gestion-par", "Personne"], "Utilisateur inconnu(e) : « Personne »."),
        (["--type", "Ancien"], "Type inconnu(e)"),
        (["--famille", "Bijoux"], "Famille d'article inconnu(e)"),
        (["--du", "2026-05-01", "--au", "2026-04-01"], "--du doit précéder"),
    ],
)
def test_refused_input_exits_1_with_a_french_message(
    options: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["analyse", "pipe", *options, "--db", str(tmp_path / "b.duckdb")], capsys)
    assert code == 1
    assert out == ""
    assert message in err


@pytest.mark.parametrize("argv", [["analyse", "inconnue"], ["analyse", "pipe", "--du", "3/4/2026"]])
def test_wrong_usage_exits_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(argv)
    assert exc.value.code == 2


@pytest.mark.parametrize("db_first", [False, True])
def test_python_m_crm_data_analyse_prints_the_analysis(
    db_first: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_data.cli.main import main

    path = tmp_path / "crm.duckdb"
    _fill(path)
    command = ["analyse", "pipe", "--format", "json"]
    argv = ["--db", str(path), *command] if db_first else [*command, "--db", str(path)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)[0]["ca_potentiel"] == 1234.5
    assert main(["analyse", "pipe", "--type", "Ancien", "--db", str(path)]) == 1
    assert "Type inconnu(e)" in capsys.readouterr().err


def _namesakes(path: Path) -> None:
    con = db.open_base(path)
    first = new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    new_affaire(con, gestion_par=first.id, ca_potentiel=100, reussite=50)
    new_affaire(con, gestion_par=second.id, ca_potentiel=300, reussite=50)
    con.close()


def test_commerciaux_tells_apart_two_users_with_the_same_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _namesakes(path)
    code, out, _ = _run(["analyse", "commerciaux", "--db", str(path)], capsys)
    assert code == 0
    printed = pd.read_csv(io.StringIO(out))
    assert list(printed.columns) == [
        "gestion_par",
        "nombre_ouvertes",
        "ca_pondere",
        "gagnees",
        "perdues",
        "ca_signe",
        "taux_reussite",
        "actions_faites",
    ]
    assert printed[["gestion_par", "ca_pondere"]].values.tolist() == [
        ["Martin Dupont (mdupont)", 50.0],
        ["Martin Dupont (mdupont2)", 150.0],
    ]


@pytest.mark.parametrize(
    ("given", "expected"), [("mdupont2", "150.0"), ("Martin Dupont (mdupont2)", "150.0")]
)
def test_gestion_par_names_one_of_two_namesakes_by_login_or_shown_name(
    given: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _namesakes(path)
    code, out, _ = _run(["analyse", "pipe", "--gestion-par", given, "--db", str(path)], capsys)
    assert code == 0
    assert out.splitlines()[1].split(",")[3] == expected


def test_a_full_name_two_users_share_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crm.duckdb"
    _namesakes(path)
    argv = ["analyse", "pipe", "--gestion-par", "Martin Dupont", "--db", str(path)]
    code, out, err = _run(argv, capsys)
    assert out == ""
    assert code == 1
    assert "« Martin Dupont »" in err
