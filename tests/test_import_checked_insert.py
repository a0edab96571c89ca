"""The canonical import inserts its valid rows straight from the checked table: the affaires,
comptes, contacts and versions it stores are those of the path through Affaire objects (the one
mapped imports take), chunk after chunk, source ids and new comptes named in later chunks too."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_data.files.canonical import stream_canonical
from crm_data.imports import canonical
from crm_data.imports.canonical import ImportReport, import_file, validate_rows
from crm_data.imports.writing import write_affaires
from crm_data.model import AFFAIRE_FIELDS
from crm_data.store.db import Connection, transaction
from crm_data.users import local_admin
from tests.files_helpers import HEADER, new_base

pytestmark = pytest.mark.usefixtures("engine")

CHUNK = 7


def write_file(path: Path, rows: int) -> Path:
    """Rows over comptes that first appear in later chunks, some won or lost, with source ids."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + ";Source id\n")
        for n in range(rows):
            statut, close = [
                ("En cours", ";;;;"),
                ("Gagnée", f";;01/02/2026;{n * 10},00 €;"),
                ("Perdue", ";Prix;;;20/02/2026"),
            ][n % 3]
            out.write(
                f"Affaire {n};15/01/2026;2026-06-30;Client {n * n % 11};Jean Dupont{n % 2};;"
                f"{statut};Qualification;Nouveau;Logiciel;note {n % 4};{n} 000,50 €;"
                f"{n % 90} %;{n},5{close};src-{n}\n"
            )
    return path


def stored(con: Connection) -> list[tuple[object, ...]]:
    """Every affaire with its compte's and contact's names and its first version's fields."""
    fields = [f"a.{n}" for n in AFFAIRE_FIELDS if n not in ("compte_id", "contact_id")]
    versions = [f"v.{n}" for n in AFFAIRE_FIELDS if n not in ("compte_id", "contact_id")]
    return [
        tuple(r)
        for r in con.execute(
            f"""
            SELECT {", ".join(fields)}, a.source_id, k.nom, c.prenom, c.nom, ck.nom,
                   {", ".join(versions)}, v.version
            FROM affaire AS a
            JOIN compte AS k ON k.id = a.compte_id
            LEFT JOIN contact AS c ON c.id = a.contact_id
            LEFT JOIN compte AS ck ON ck.id = c.compte_id
            JOIN affaire_version AS v ON v.affaire_id = a.id
            ORDER BY a.source_id
            """
        ).fetchall()
    ]


def through_objects(con: Connection, path: Path) -> ImportReport:
    """The file imported in one chunk through validate_rows and write_affaires."""
    admin = local_admin(con)
    source = stream_canonical(path)
    report = ImportReport()
    with transaction(con) as cur:
        rows = list(source.rows)
        valid, names = validate_rows(cur, admin, rows, source.headers, report, None, None)
        report.affaire_ids = write_affaires(cur, admin, valid, names)
    source.release()
    return report


@pytest.mark.parametrize("reader", ["by column", "row by row"])
def test_chunks_inserted_from_the_checked_table_store_what_affaires_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    path = write_file(tmp_path / "f.csv", 5 * CHUNK + 3)
    reference, _ = new_base()
    expected = through_objects(reference, path)
    assert not expected.errors
    monkeypatch.setattr(canonical, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(canonical, "COLUMN_CHUNK_ROWS", CHUNK)
    if reader == "row by row":
        monkeypatch.setattr(canonical, "stream_columnar", lambda path, rows: None)
    con, admin = new_base()
    report = import_file(con, admin, path)
    assert report.written and not report.errors
    assert len(report.affaire_ids) == len(expected.affaire_ids) == 5 * CHUNK + 3
    assert sorted(report.comptes_crees) == sorted(set(expected.comptes_crees))
    assert stored(con) == stored(reference)
    assert len({r[-1] for r in stored(con)}) == 1
