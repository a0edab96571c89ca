"""Tampered backups: a restore brings back our tables' rows and nothing else of the file, and a
file altered after a signed backup is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from crm_data import users
from crm_data.model import Role
from crm_data.store import backup, db, marker
from tests.factories import make_affaire, make_user


def backup_with_users(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    make_user(con, Role.ADMIN)
    make_user(con, Role.COMMERCIAL)
    make_affaire(con)
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(con, target)
    return base, target


def tamper(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    for statement in statements:
        con.execute(statement)
    con.close()


def forge_marker(path: Path) -> None:
    """Recompute the marker's digests as anyone can without the secret."""
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS f", [str(path)])
    digests = marker.table_digests(con, "f")
    con.execute(f"UPDATE f.main.{marker.MARKER_TABLE} SET tables = ?", [json.dumps(digests)])
    con.close()


def test_a_macro_added_to_a_backup_does_not_survive_the_restore(tmp_path: Path) -> None:
    base, target = backup_with_users(tmp_path)
    tamper(target, "CREATE MACRO lower(x) AS 'x'")
    backup.restore(base, target)
    con = db.shared_connection(base)
    with db.read(con) as cur:
        macros = cur.execute(
            "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'lower' "
            "AND database_name = current_database()"
        ).fetchone()
    assert macros == (0,)


def test_after_a_macro_backup_another_email_does_not_sign_in(tmp_path: Path) -> None:
    base, target = backup_with_users(tmp_path)
    tamper(target, "CREATE MACRO lower(x) AS 'x'")
    backup.restore(base, target)
    con = db.shared_connection(base)
    assert users.actor_by_email(con, "intrus@evil.example") is None


def test_sign_in_ignores_a_lower_macro_in_the_base(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.open_base(base)
    admin_user = make_user(con, Role.ADMIN)
    con.execute("CREATE MACRO lower(x) AS 'x'")
    assert users.actor_by_email(con, "intrus@evil.example") is None
    assert users.actor_by_email(con, f"{admin_user.login.upper()}@EXEMPLE.FR") == admin_user
    con.close()


def _view(path: Path) -> str:
    tamper(path, "CREATE VIEW espion AS SELECT * FROM utilisateur")
    return "SELECT count(*) FROM duckdb_views() WHERE view_name = 'espion'"


def _schema(path: Path) -> str:
    tamper(path, "CREATE SCHEMA pirate", "CREATE TABLE pirate.t AS SELECT 1 AS x")
    return "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'pirate'"


def _table(path: Path) -> str:
    tamper(path, "CREATE TABLE pirate AS SELECT 1 AS x")
    return "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'pirate'"


@pytest.mark.parametrize("add", [_view, _schema, _table])
def test_what_a_backup_adds_beside_our_tables_does_not_survive(
    tmp_path: Path, add: Callable[[Path], str]
) -> None:
    base, target = backup_with_users(tmp_path)
    probe = add(target)
    forge_marker(target)
    backup.restore(base, target)
    with db.read(db.shared_connection(base)) as cur:
        assert cur.execute(probe).fetchone() == (0,)
        assert cur.execute("SELECT count(*) FROM affaire").fetchone() == (1,)


def test_a_signed_backup_altered_afterwards_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backup.SECRET_ENV, "une clé de cette installation")
    base, target = backup_with_users(tmp_path)
    tamper(target, "UPDATE utilisateur SET role = 'admin'")
    forge_marker(target)
    with pytest.raises(marker.BackupError, match="n'est pas signée par la clé"):
        backup.restore(base, target)
    with db.read(db.shared_connection(base)) as cur:
        assert cur.execute("SELECT count(*) FROM utilisateur WHERE role = 'admin'").fetchone() == (
            2,
        )


def test_an_unsigned_backup_is_refused_when_a_secret_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, target = backup_with_users(tmp_path)
    monkeypatch.setenv(backup.SECRET_ENV, "une clé de cette installation")
    with pytest.raises(marker.BackupError, match="n'est pas signée"):
        backup.restore(base, target)


def test_a_signed_backup_is_restored_with_its_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backup.SECRET_ENV, "une clé de cette installation")
    base, target = backup_with_users(tmp_path)
    make_affaire(db.shared_connection(base))
    backup.restore(base, target)
    with db.read(db.shared_connection(base)) as cur:
        assert cur.execute("SELECT count(*) FROM affaire").fetchone() == (1,)


def test_a_macro_shadowing_the_digest_does_not_hide_a_damage(tmp_path: Path) -> None:
    base, target = backup_with_users(tmp_path)
    con = duckdb.connect(str(target))
    row = con.execute(f"SELECT tables FROM {marker.MARKER_TABLE}").fetchone()
    assert row is not None
    zeros = {name: [count, "0:0"] for name, (count, _) in json.loads(row[0]).items()}
    con.execute("UPDATE utilisateur SET role = 'admin'")
    con.execute("CREATE MACRO md5_number_lower(x) AS 0")
    con.execute("CREATE MACRO md5_number_upper(x) AS 0")
    con.execute(f"UPDATE {marker.MARKER_TABLE} SET tables = ?", [json.dumps(zeros)])
    con.close()
    with pytest.raises(marker.BackupError, match="endommagée"):
        backup.restore(base, target)
