"""`analyse pipe --le`, `mouvements`, `fiabilite` and `glissements` on the command line print
the screens' figures with SPEC §3's columns, and refuse options that do not apply (SPEC §5)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from crm_data.cli.main import main
from crm_data.store import db
from tests.analyses_factory import D
from tests.versions_factory import create, save


def _fill(path: Path) -> None:
    con = db.open_base(path)
    a = create(con, "2026-03-01T09:00", ca_potentiel=1000, reussite=20, date_fin=D("2026-04-20"))
    b = create(con, "2026-03-02T09:00", ca_potentiel=500, reussite=40, date_fin=D("2026-04-10"))
    save(con, a, "2026-04-05T09:00", ca_potentiel=1500)
    save(con, b, "2026-04-06T09:00", statut="Gagnée", total_ht=450)
    create(con, "2026-04-07T09:00", ca_potentiel=300, reussite=20, date_fin=D("2026-06-01"))
    for i, day in enumerate(["2026-05-01", "2026-06-01", "2026-07-01"]):
        save(con, a, f"2026-04-1{i}T09:00", date_fin=D(day))
    con.close()


def _run(argv: list[str], path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([*argv, "--db", str(path)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "crm.duckdb"
    _fill(path)
    return path


def test_pipe_le_prints_the_pipe_as_on_that_day(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["analyse", "pipe", "--le", "2026-03-31"], base, capsys)
    assert code == 0
    assert out.splitlines()[:2] == [
        "etape,nombre,ca_potentiel,ca_pondere,ca_attendu",
        "Qualification,2,1500.0,400.0,0.0",
    ]


def test_mouvements_prints_the_waterfall_in_order(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["analyse", "mouvements", "--du", "2026-03-31", "--au", "2026-04-30"]
    code, out, _ = _run([*argv, "--format", "json"], base, capsys)
    assert code == 0
    assert json.loads(out) == [
        {"categorie": "debut", "nombre": 2, "montant": 1500.0},
        {"categorie": "nouvelles", "nombre": 1, "montant": 300.0},
        {"categorie": "entrees", "nombre": 0, "montant": 0.0},
        {"categorie": "hausses", "nombre": 1, "montant": 500.0},
        {"categorie": "baisses", "nombre": 0, "montant": 0.0},
        {"categorie": "gagnees", "nombre": 1, "montant": -500.0},
        {"categorie": "perdues", "nombre": 0, "montant": 0.0},
        {"categorie": "abandonnees", "nombre": 0, "montant": 0.0},
        {"categorie": "sorties", "nombre": 0, "montant": 0.0},
        {"categorie": "fin", "nombre": 2, "montant": 1800.0},
    ]


def test_mouvements_in_ca_pondere_within_a_window(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["analyse", "mouvements", "--du", "2026-03-31", "--au", "2026-04-30"]
    window = ["--valeur", "ca_pondere", "--fenetre-du", "2026-04-01", "--fenetre-au", "2026-04-30"]
    code, out, _ = _run([*argv, *window], base, capsys)
    assert code == 0
    frame = pd.read_csv(io.StringIO(out)).set_index("categorie")
    # a (1000 × 20 %, date fin 20/04) moved its date fin to July: out of the window.
    assert frame.loc["debut"].tolist() == [2, 400.0]
    assert frame.loc["sorties"].tolist() == [1, -200.0]
    assert frame.loc["gagnees"].tolist() == [1, -200.0]
    assert frame.loc["fin"].tolist() == [0, 0.0]


def test_fiabilite_and_glissements_print_their_columns(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        ["analyse", "fiabilite", "--du", "2026-04-01", "--au", "2026-04-30"], base, capsys
    )
    assert code == 0
    assert out.splitlines() == [
        "mois,prevu,prevu_haut,signe,realisation",
        "2026-04,400.0,1500.0,450.0,1.125",
    ]
    code, out, _ = _run(["analyse", "glissements"], base, capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "id,nom,gestion_par,date_fin,reports,premiere_date_fin"
    assert lines[1].endswith(",2026-07-01,3,2026-04-20")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["analyse", "qualite", "--le", "2026-03-31"], "--le ne vaut que"),
        (["analyse", "pipe", "--valeur", "ca_pondere"], "ne valent que pour mouvements"),
        (["analyse", "mouvements", "--fenetre-du", "2026-04-01"], "ensemble"),
        (
            ["analyse", "mouvements", "--du", "2026-04-30", "--au", "2026-03-31"],
            "précéder",
        ),
    ],
)
def test_options_that_do_not_apply_are_refused_in_french(
    base: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(argv, base, capsys)
    assert (code, out) == (1, "")
    assert message in err
