"""Backups of a PostgreSQL base (pg_dump / pg_restore behind the same commands): a restore brings
back exactly what was saved, keeps the replaced base, bumps the change stamp, and refuses any file
that is not an intact backup of ours, in French."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from crm_data import affaires, documents
from crm_data.cli.main import main
from crm_data.store import backup, db, marker, pg_backup
from crm_data.store.schema import SCHEMA_VERSION
from tests import engines
from tests.factories import admin, make_affaire
from tests.test_backup import PDF, fill

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def url() -> Iterator[str]:
    """A new PostgreSQL base; it and the bases its restores kept are dropped afterwards."""
    for _ in engines.use(engines.POSTGRESQL):
        base = engines.new_pg_url()
        yield base
        db.close_shared(base)
        name = base.rpartition("/")[2]
        with psycopg.connect(engines.server_url(), autocommit=True) as conn:
            kept = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name}_avant_%"]
            ).fetchall()
            for (old,) in kept:
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'.encode())


def digests(con: db.Connection) -> marker.Digests:
    with db.read(con) as cur:
        return pg_backup.table_digests(cur)


def count(con: db.Connection, table: str = "affaire") -> int:
    with db.read(con) as cur:
        row = cur.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_restore_brings_back_exactly_what_was_saved(url: str, tmp_path: Path) -> None:
    con = db.shared_connection(url)
    fill(con)
    saved = digests(con)
    info = backup.backup(con, tmp_path / "sauvegarde.pg.tar")
    make_affaire(con, nom="Après la sauvegarde")
    aff = affaires.get_affaire(con, admin(con), 1)
    affaires.update_affaire(con, admin(con), 1, {"nom": "Renommée"}, aff.version)

    restored = backup.restore(url, tmp_path / "sauvegarde.pg.tar")

    con = db.shared_connection(url)
    assert digests(con) == saved == info.digests == restored.restored.digests
    assert documents.document_file(con, admin(con), 1) == ("document.pdf", PDF)
    assert make_affaire(con, nom="Nouvelle") == 6


def test_restore_keeps_the_replaced_base_and_bumps_the_change_stamp(
    url: str, tmp_path: Path
) -> None:
    con = db.shared_connection(url)
    backup.backup(con, tmp_path / "vide.pg.tar")
    fill(con)
    before = digests(con)
    with db.read(con) as cur:
        stamp = db.change_stamp(cur)
    result = backup.restore(url, tmp_path / "vide.pg.tar")
    assert isinstance(result.previous, str) and "_avant_" in result.previous
    kept = db.open_base(result.previous)
    try:
        assert digests(kept) == before
    finally:
        kept.close()
    con = db.shared_connection(url)
    with db.read(con) as cur:
        assert db.change_stamp(cur) > stamp
    assert count(con) == 0


def test_cli_backup_and_restore_on_a_url(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = db.open_base(url)
    for _ in range(3):
        make_affaire(con)
    con.close()
    saved = tmp_path / "sauvegarde.pg.tar"
    assert main(["--db", url, "backup", str(saved)]) == 0
    assert "3 affaires" in capsys.readouterr().out
    con = db.open_base(url)
    make_affaire(con)
    con.close()
    assert main(["--db", url, "restore", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "restaurée" in out and "L'ancienne base est gardée" in out
    assert count(db.shared_connection(url)) == 3


def test_backup_from_the_command_line_while_this_process_serves_the_base(
    url: str, tmp_path: Path
) -> None:
    con = db.shared_connection(url)
    make_affaire(con)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CRM_DB": url}
    target = tmp_path / "sauvegardes"
    done = subprocess.run(
        [sys.executable, "-m", "crm_data", "backup", f"{target}/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    make_affaire(con)
    files = list(target.glob("crm-*.pg.tar"))
    assert len(files) == 1
    assert backup.read_backup(files[0]).digests["affaire"][0] == 1


def _tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _rewrite(path: Path, change: str) -> None:
    with tarfile.open(path) as archive:
        members = {}
        for member in archive.getmembers():
            data = archive.extractfile(member)
            assert data is not None
            members[member.name] = data.read()
    found = json.loads(members[pg_backup.MARKER_MEMBER])
    if change == "newer":
        found["schema_version"] = SCHEMA_VERSION + 1
    elif change == "dump":
        dump = bytearray(members[pg_backup.DUMP_MEMBER])
        dump[len(dump) // 2] ^= 0xFF
        members[pg_backup.DUMP_MEMBER] = bytes(dump)
    elif change == "digest":
        found["tables"]["affaire"][1] = "0:0"
    members[pg_backup.MARKER_MEMBER] = json.dumps(found).encode()
    _tar(path, members)


@pytest.mark.parametrize(
    "make_file",
    [
        lambda p: p.write_bytes(b""),
        lambda p: p.write_text("Nom;Compte\nA;B\n", encoding="utf-8"),
        lambda p: p.write_bytes(PDF),
        lambda p: _tar(p, {"autre.txt": b"rien"}),
        lambda p: _tar(p, {pg_backup.MARKER_MEMBER: b'{"application": "Autre logiciel"}'}),
    ],
    ids=["empty", "text", "pdf", "tar", "foreign-marker"],
)
def test_restore_refuses_a_file_that_is_not_ours(
    url: str, tmp_path: Path, make_file: object
) -> None:
    con = db.shared_connection(url)
    fill(con)
    before = digests(con)
    intruder = tmp_path / "intrus.pg.tar"
    assert callable(make_file)
    make_file(intruder)
    with pytest.raises(marker.BackupError, match="n'est pas une sauvegarde de CRM Affaires"):
        backup.restore(url, intruder)
    assert digests(db.shared_connection(url)) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [("dump", "endommagée"), ("digest", "endommagée"), ("newer", "plus récente")],
)
def test_restore_refuses_an_altered_backup(
    url: str, tmp_path: Path, change: str, message: str
) -> None:
    con = db.shared_connection(url)
    fill(con)
    before = digests(con)
    target = tmp_path / "sauvegarde.pg.tar"
    backup.backup(con, target)
    _rewrite(target, change)
    with pytest.raises(marker.BackupError, match=message):
        backup.restore(url, target)
    assert digests(db.shared_connection(url)) == before


def test_a_duckdb_backup_is_refused_in_a_postgresql_base(url: str, tmp_path: Path) -> None:
    duck = db.open_base(tmp_path / "crm.duckdb")
    backup.backup(duck, tmp_path / "sauvegarde.duckdb")
    duck.close()
    with pytest.raises(marker.BackupError, match="vient d'une base DuckDB"):
        backup.restore(url, tmp_path / "sauvegarde.duckdb")


def test_a_signed_backup_altered_afterwards_is_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backup.SECRET_ENV, "une clé de cette installation")
    con = db.shared_connection(url)
    make_affaire(con)
    target = tmp_path / "sauvegarde.pg.tar"
    backup.backup(con, target)
    backup.restore(url, target)
    _rewrite(target, "none")
    with tarfile.open(target) as archive:
        data = archive.extractfile(pg_backup.MARKER_MEMBER)
        assert data is not None
        found = json.loads(data.read())
    found["tables"]["affaire"][0] = 2
    _tar(target, {pg_backup.MARKER_MEMBER: json.dumps(found).encode(), pg_backup.DUMP_MEMBER: b""})
    with pytest.raises(marker.BackupError, match="n'est pas signée par la clé"):
        backup.restore(url, target)


def test_scheduled_backups_of_a_postgresql_base(url: str, tmp_path: Path) -> None:
    con = db.shared_connection(url)
    make_affaire(con)
    made = [backup.backup_to_folder(con, tmp_path / "programmees", keep=2) for _ in range(3)]
    kept = sorted((tmp_path / "programmees").iterdir())
    assert kept == [made[1].path, made[2].path]
    assert all(p.name.endswith(".pg.tar") for p in kept)


def test_scheduled_backups_run_beside_the_app(url: str, tmp_path: Path) -> None:
    make_affaire(db.shared_connection(url))
    folder = tmp_path / "programmees"
    stop = backup.start_scheduled_backups(url, folder, every_hours=0.2 / 3600, keep=3)
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("crm-*.pg.tar"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    files = sorted(folder.glob("crm-*.pg.tar"))
    assert len(files) >= 2
    assert backup.read_backup(files[-1]).digests["affaire"][0] == 1


SERVER = """
import sys, time
from crm_data.model import CrmError
from crm_data.store import db
con = db.shared_connection(sys.argv[1])
while True:
    try:
        with db.read(con) as cur:
            print(cur.execute("SELECT count(*) FROM affaire").fetchone()[0], flush=True)
    except CrmError as exc:
        print("refus", exc, flush=True)
    time.sleep(0.05)
"""


def test_another_server_reads_the_restored_base_after_the_swap(url: str, tmp_path: Path) -> None:
    con = db.shared_connection(url)
    target = tmp_path / "sauvegarde.pg.tar"
    make_affaire(con)
    backup.backup(con, target)
    make_affaire(con)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, url],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "2"
        backup.restore(url, target)
        # Lines printed during the restore are still in the pipe: read on until the new base's.
        seen = [server.stdout.readline().strip()]
        while seen[-1] != "1" and len(seen) < 5000 and server.poll() is None:
            seen.append(server.stdout.readline().strip())
        after = [server.stdout.readline().strip() for _ in range(10)]
    finally:
        server.kill()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors
    print(f"\n{len(seen)} reads until the restored base, {sum(x != '2' for x in seen) - 1} refused")
    assert seen[-1] == "1" and after == ["1"] * 10
    assert all(line in ("1", "2") or line.startswith("refus") for line in seen)


def test_restores_keep_only_the_newest_replaced_bases(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "KEEP_PREVIOUS", 2)
    target = tmp_path / "sauvegarde.pg.tar"
    backup.backup(db.shared_connection(url), target)
    kept = [backup.restore(url, target).previous for _ in range(4)]
    name = url.rpartition("/")[2]
    with psycopg.connect(engines.server_url(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname",
            [f"{name}_avant_%"],
        ).fetchall()
    head = url.rpartition("/")[0]
    assert [f"{head}/{old}" for (old,) in left] == kept[-2:]


def test_the_restored_base_keeps_the_rights_guard_before_any_server_opens_it(
    url: str, tmp_path: Path
) -> None:
    """A server's pool reconnects to the swapped-in base without opening it again: its policies
    and its roles' grants must already be there."""
    con = db.shared_connection(url)
    make_affaire(con)
    target = tmp_path / "sauvegarde.pg.tar"
    backup.backup(con, target)
    backup.restore(url, target)
    with psycopg.connect(url) as raw:
        row = raw.execute(
            """
            SELECT c.relrowsecurity,
                   (SELECT count(*) FROM pg_policies WHERE tablename = 'affaire'),
                   has_table_privilege('crm_commercial', 'affaire', 'SELECT'),
                   has_table_privilege('crm_full', 'action', 'UPDATE'),
                   pg_get_userbyid(c.relowner) = current_user
            FROM pg_class AS c
            WHERE c.oid = 'affaire'::regclass
            """
        ).fetchone()
    assert row == (True, 2, True, True, True)
