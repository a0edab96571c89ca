"""The command line through `python -m crm_data`: exit codes, the base's location, commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from crm_data.cli.main import HANDLERS, build_parser, main
from crm_data.store.db import open_base
from crm_data.store.schema import SCHEMA_VERSION
from tests import engines
from tests.files_helpers import csv_bytes

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "CRM_DB"}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "crm_data", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def count(db: Path | str, table: str) -> int:
    con = open_base(db)
    try:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


@pytest.mark.usefixtures("engine")
def test_init_is_idempotent(tmp_path: Path) -> None:
    db = engines.fresh_target(tmp_path)
    first = run("--db", str(db), "init", cwd=tmp_path)
    second = run("init", "--db", str(db), cwd=tmp_path)
    assert (first.returncode, second.returncode) == (0, 0)
    assert "Base prête" in second.stdout
    assert count(db, "schema_version") == SCHEMA_VERSION and count(db, "utilisateur") == 1


def test_the_base_comes_from_db_then_crm_db_then_the_default(tmp_path: Path) -> None:
    run("init", cwd=tmp_path, env={"CRM_DB": str(tmp_path / "env.duckdb")})
    run("init", cwd=tmp_path)
    run("--db", "option.duckdb", "init", cwd=tmp_path, env={"CRM_DB": "ignored.duckdb"})
    created = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.duckdb"))
    assert created == ["data/crm.duckdb", "env.duckdb", "option.duckdb"]


def test_crm_db_takes_a_postgresql_url(tmp_path: Path) -> None:
    for _ in engines.use(engines.POSTGRESQL):
        url = engines.new_pg_url()
        done = run("user", "add", "cmartin", "--role", "manager", cwd=tmp_path, env={"CRM_DB": url})
        assert done.returncode == 0, done.stderr
        assert count(url, "utilisateur") == 2
    assert not list(tmp_path.rglob("*.duckdb"))


def test_an_unreachable_postgresql_url_exits_1_in_french(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nobody listens on the port just freed.
    done = run("--db", f"postgresql://crm:secret@127.0.0.1:{port}/crm", "init", cwd=tmp_path)
    assert done.returncode == 1
    assert "Impossible d'ouvrir la base PostgreSQL" in done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_import_export_and_a_rejected_import_exit_0_0_1(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    (tmp_path / "ok.csv").write_bytes(csv_bytes("A;;;Acme;Ann Lee", "B;;;Acme"))
    (tmp_path / "bad.csv").write_bytes(csv_bytes("C;;;Acme", ";31/02/2026;;Acme"))
    ok = run("--db", str(db), "import", "ok.csv", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "2 affaires importées" in ok.stdout and "Acme" in ok.stdout
    bad = run("--db", str(db), "import", "bad.csv", cwd=tmp_path)
    assert bad.returncode == 1
    assert "Ligne 3, colonne « Nom »" in bad.stderr
    assert "Ligne 3, colonne « Date de début »" in bad.stderr
    assert "rien n'a été enregistré" in bad.stderr
    assert count(db, "affaire") == 2
    exported = run("--db", str(db), "export", "out.xlsx", cwd=tmp_path)
    assert exported.returncode == 0 and (tmp_path / "out.xlsx").exists()


def test_dry_run_and_skip_invalid(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    (tmp_path / "mixed.csv").write_bytes(csv_bytes("A;;;Acme", ";;;Acme"))
    dry = run("--db", str(db), "import", "mixed.csv", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 1 and "1 ligne valide, 1 ligne en erreur" in dry.stdout
    assert count(db, "affaire") == 0
    skip = run("--db", str(db), "import", "mixed.csv", "--skip-invalid", cwd=tmp_path)
    assert skip.returncode == 0 and "1 ligne ignorée" in skip.stdout
    assert count(db, "affaire") == 1


def test_unreadable_file_and_unknown_mapping_exit_1_in_french(tmp_path: Path) -> None:
    (tmp_path / "binaire.csv").write_bytes(b"\x00\xff\x00")
    binary = run("--db", "b.duckdb", "import", "binaire.csv", cwd=tmp_path)
    mapping = run("--db", "b.duckdb", "import", "binaire.csv", "--mapping", "zoho", cwd=tmp_path)
    assert (binary.returncode, mapping.returncode) == (1, 1)
    assert "n'est ni un CSV ni un classeur" in binary.stderr
    assert "Mapping inconnu" in mapping.stderr
    assert "Traceback" not in binary.stderr + mapping.stderr


@pytest.mark.usefixtures("engine")
def test_user_add_then_a_duplicate_then_a_bad_role(tmp_path: Path) -> None:
    db = str(engines.fresh_target(tmp_path))
    added = run(
        "--db",
        db,
        "user",
        "add",
        "cmartin",
        "--role",
        "commercial",
        "--nom",
        "Claire Martin",
        "--email",
        "claire@example.fr",
        cwd=tmp_path,
    )
    again = run("--db", db, "user", "add", "cmartin", "--role", "manager", cwd=tmp_path)
    bad_role = run("--db", db, "user", "add", "x", "--role", "chef", cwd=tmp_path)
    assert (added.returncode, again.returncode, bad_role.returncode) == (0, 1, 2)
    assert "existe déjà" in again.stderr
    con = open_base(db)
    try:
        users = con.execute(
            "SELECT login, nom, email, role FROM utilisateur ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    assert users[1:] == [("cmartin", "Claire Martin", "claire@example.fr", "commercial")]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["inconnue"],
        ["export"],
        ["export", "x.txt"],
        ["import"],
        ["user"],
        ["demo", "--affaires", "x"],
    ],
)
def test_wrong_usage_exits_2(tmp_path: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(tmp_path / "b.duckdb"), *args])
    assert exit_info.value.code == 2


def test_an_unwritable_export_exits_1_in_french(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("")
    status = main(
        ["--db", str(tmp_path / "b.duckdb"), "export", str(tmp_path / "fichier" / "a.csv")]
    )
    assert status == 1


def test_a_base_held_by_another_process_exits_1_in_french(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    holder = duckdb.connect(str(db))
    try:
        result = run("--db", str(db), "init", cwd=tmp_path)
    finally:
        holder.close()
    assert result.returncode == 1
    assert "déjà ouverte" in result.stderr and "Traceback" not in result.stderr


def test_every_command_of_the_parser_has_a_handler() -> None:
    parser = build_parser()
    samples = {
        "init": ["init"],
        "demo": ["demo"],
        "import": ["import", "f.csv"],
        "export": ["export", "f.csv"],
        "analyse": ["analyse", "pipe"],
        "user add": ["user", "add", "x", "--role", "admin"],
        "backup": ["backup", "s.duckdb"],
        "restore": ["restore", "s.duckdb"],
        "check": ["check"],
        "objectifs": ["objectifs", "import", "f.csv"],
        "copy": ["copy", "--vers", "postgresql://localhost/crm"],
    }
    assert set(samples) == set(HANDLERS)
    for argv in samples.values():
        assert parser.parse_args(argv).command == argv[0]


def test_demo_fills_an_empty_base_once(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    first = run("--db", str(db), "demo", "--affaires", "300", "--seed", "3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "300 affaires" in first.stdout
    assert count(db, "affaire") == 300
    again = run("--db", str(db), "demo", "--affaires", "10", cwd=tmp_path)
    assert again.returncode == 1
    assert "déjà des affaires" in again.stderr
    assert count(db, "affaire") == 300
