"""Backups: a consistent copy while writers run, restores that bring back exactly what was saved
and refuse any file that is not one of ours."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from crm_data import actions, affaires, documents
from crm_data.store import backup, db, marker
from crm_data.store.schema import SCHEMA_VERSION
from tests.factories import admin, make_affaire, make_compte, make_contact

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4


def fill(con: db.Connection) -> None:
    compte = make_compte(con, "Société Générale d'Équipement")
    contact = make_contact(con, compte, "Dupont")
    for n in range(5):
        affaire = make_affaire(
            con,
            compte_id=compte,
            contact_id=contact,
            nom=f"Affaire « {n} » ; '--",
            ca_potentiel=f"{n}1234.56",
            notes="<script>alert(1)</script>\nligne 2",
        )
        actions.create_action(con, admin(con), affaire, {"type": "Mail", "objet": "Relance"})
        documents.create_document(
            con,
            admin(con),
            affaire,
            {
                "type": "Devis",
                "numero": f"D-{n}",
                "date_document": "2026-03-01",
                "montant_ht": "10.5",
                "statut": "Envoyé",
                "fichier": PDF,
            },
        )


def digests(con: db.Connection) -> marker.Digests:
    with db.read(con) as cur:
        row = cur.execute("SELECT current_database()").fetchone()
        assert row is not None
        return marker.table_digests(cur, str(row[0]))


def test_restore_brings_back_exactly_what_was_saved(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    fill(con)
    saved = digests(con)
    info = backup.backup(con, tmp_path / "sauvegarde.duckdb")
    make_affaire(con, nom="Après la sauvegarde")
    aff = affaires.get_affaire(con, admin(con), 1)
    affaires.update_affaire(con, admin(con), 1, {"nom": "Renommée"}, aff.version)

    restored = backup.restore(base, tmp_path / "sauvegarde.duckdb")

    con = db.shared_connection(base)
    assert digests(con) == saved == info.digests == restored.restored.digests
    assert documents.document_file(con, admin(con), 1) == ("document.pdf", PDF)


def test_restore_keeps_the_replaced_base_as_a_backup(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    backup.backup(con, tmp_path / "vide.duckdb")
    fill(con)
    before = digests(con)
    result = backup.restore(base, tmp_path / "vide.duckdb")
    assert result.previous is not None
    assert result.previous.name.startswith("crm.avant-restauration-")
    assert backup.read_backup(result.previous).digests == before


def test_restored_base_accepts_new_records(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    fill(con)
    backup.backup(con, tmp_path / "sauvegarde.duckdb")
    backup.restore(base, tmp_path / "sauvegarde.duckdb")
    con = db.shared_connection(base)
    new_id = make_affaire(con, nom="Nouvelle")
    assert new_id == 6


def test_backup_by_path_of_a_closed_base(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.open_base(base)
    fill(con)
    saved = digests(con)
    con.close()
    info = backup.backup(base, tmp_path / "copie.duckdb")
    assert info.digests == saved
    assert backup.read_backup(tmp_path / "copie.duckdb").digests == saved


def test_backup_of_a_missing_base_is_refused(tmp_path: Path) -> None:
    with pytest.raises(marker.BackupError, match="n'existe pas"):
        backup.backup(tmp_path / "absente.duckdb", tmp_path / "copie.duckdb")
    assert not (tmp_path / "copie.duckdb").exists()


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path) -> None:
    path.write_text("Nom;Compte\nAffaire;Client\n", encoding="utf-8")


def _pdf(path: Path) -> None:
    path.write_bytes(PDF)


def _other_duckdb(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE affaire AS SELECT 1 AS id")
    con.close()


def _a_live_base(path: Path) -> None:
    con = db.open_base(path)
    fill(con)
    con.close()


def _fake_marker(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE {marker.MARKER_TABLE} (application VARCHAR)")
    con.execute(f"INSERT INTO {marker.MARKER_TABLE} VALUES ('Autre logiciel')")
    con.close()


@pytest.mark.parametrize(
    "make_file", [_empty, _text, _pdf, _other_duckdb, _a_live_base, _fake_marker]
)
def test_restore_refuses_a_file_that_is_not_ours(tmp_path: Path, make_file: object) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    fill(con)
    before = digests(con)
    intruder = tmp_path / "intrus.duckdb"
    assert callable(make_file)
    make_file(intruder)
    with pytest.raises(marker.BackupError, match="n'est pas une sauvegarde de CRM Affaires"):
        backup.restore(base, intruder)
    assert digests(db.shared_connection(base)) == before


def test_restore_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(marker.BackupError, match="introuvable"):
        backup.restore(tmp_path / "crm.duckdb", tmp_path / "absente.duckdb")


def test_restore_refuses_a_damaged_backup(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    fill(con)
    before = digests(con)
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(con, target)
    tampered = duckdb.connect(str(target))
    tampered.execute("UPDATE affaire SET ca_potentiel = ca_potentiel + 1 WHERE id = 3")
    tampered.close()
    with pytest.raises(marker.BackupError, match="endommagée"):
        backup.restore(base, target)
    assert digests(db.shared_connection(base)) == before


def test_restore_refuses_a_backup_of_a_newer_version(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(db.shared_connection(base), target)
    newer = duckdb.connect(str(target))
    newer.execute(f"UPDATE {marker.MARKER_TABLE} SET schema_version = ?", [SCHEMA_VERSION + 1])
    newer.close()
    with pytest.raises(marker.BackupError, match="plus récente"):
        backup.restore(base, target)


def test_backup_while_writers_run_holds_whole_saves_only(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    compte = make_compte(con)
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                affaires.create_affaire(
                    con, admin(con), {"nom": "Écriture", "compte_id": compte, "ca_potentiel": "5"}
                )
        except BaseException as exc:
            failures.append(exc)

    writers = [threading.Thread(target=write) for _ in range(4)]
    for thread in writers:
        thread.start()
    try:
        copies = [backup.backup(con, tmp_path / f"copie{n}.duckdb") for n in range(5)]
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert not failures
    for info in copies:
        copy = duckdb.connect(str(info.path), read_only=True)
        # A creation writes the affaire and its first version, in one transaction.
        row = copy.execute(
            """
            SELECT
                (SELECT count(*) FROM affaire),
                (SELECT count(*) FROM affaire_version WHERE ca_potentiel = 5),
                (SELECT count(DISTINCT affaire_id) FROM affaire_version)
            """
        ).fetchone()
        copy.close()
        assert row is not None
        assert row[0] == row[1] == row[2] == info.digests["affaire"][0]


def test_backups_to_a_folder_keep_the_newest(tmp_path: Path) -> None:
    con = db.shared_connection(tmp_path / "crm.duckdb")
    made = []
    for n in range(3):
        make_affaire(con, nom=f"Affaire {n}")
        made.append(backup.backup_to_folder(con, tmp_path / "sauvegardes", keep=2))
    kept = sorted((tmp_path / "sauvegardes").iterdir())
    assert kept == [made[1].path, made[2].path]


def test_scheduled_backups_run_beside_the_app(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    make_affaire(db.shared_connection(base))
    folder = tmp_path / "programmees"
    stop = backup.start_scheduled_backups(base, folder, every_hours=0.2 / 3600, keep=3)
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("crm-*.duckdb"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    files = sorted(folder.glob("crm-*.duckdb"))
    assert len(files) >= 2
    assert backup.read_backup(files[-1]).digests["affaire"][0] == 1


def test_restores_keep_only_the_newest_replaced_bases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "KEEP_PREVIOUS", 2)
    base = tmp_path / "crm.duckdb"
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(db.shared_connection(base), target)
    kept = [backup.restore(base, target).previous for _ in range(4)]
    left = sorted(tmp_path.glob("crm.avant-restauration-*.duckdb"))
    assert left == sorted(p for p in kept[-2:] if p is not None)


def test_a_restore_removes_the_partial_files_killed_restores_left(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(db.shared_connection(base), target)
    stale = tmp_path / ".crm.duckdb.0123.partiel"
    recent = tmp_path / ".crm.duckdb.4567.partiel"
    for leftover in (stale, recent):
        leftover.write_bytes(b"reste")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    backup.restore(base, target)
    assert not stale.exists()
    assert recent.exists()


def test_the_kept_copy_can_itself_be_opened_and_backed_up(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    con = db.shared_connection(base)
    fill(con)
    before = digests(con)
    target = tmp_path / "sauvegarde.duckdb"
    backup.backup(con, target)
    previous = backup.restore(base, target).previous
    assert previous is not None
    copy = backup.backup(previous, tmp_path / "copie-de-la-copie.duckdb")
    assert copy.digests == before


def test_a_refusal_names_the_users_file_not_a_temporary_one(tmp_path: Path) -> None:
    base = tmp_path / "crm.duckdb"
    target = tmp_path / "ma-sauvegarde.duckdb"
    backup.backup(db.shared_connection(base), target)
    tampered = duckdb.connect(str(target))
    tampered.execute("DROP TABLE import_mapping")
    tampered.close()
    with pytest.raises(marker.BackupError) as refused:
        backup.restore(base, target)
    assert "ma-sauvegarde.duckdb" in str(refused.value)
    assert "partiel" not in str(refused.value)
