"""Importing canonical rows: every format of SPEC §4, names, all or nothing, dry run, skips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data import history
from crm_data.affaires import get_affaire
from crm_data.comptes import create_compte
from crm_data.files.canonical import FileFormatError, read_canonical_bytes
from crm_data.imports.canonical import ImportReport, import_file, import_rows
from crm_data.model import AFFAIRE_FIELDS, Actor
from crm_data.store.db import Connection
from tests.files_helpers import HEADER, add_commercial, csv_bytes, new_base, table_digest

ROW = (
    "Projet Alpha;{debut};;Société Générale;Jean Dupont;;En cours;Qualification;Nouveau;;;"
    "{ca};{r};;;;;"
)
DEBUTS = ("15/03/2026", "2026-03-15")
AMOUNTS = ("1234.5", "1 234,50", "1\u00a0234,50 €", "1\u202f234,50\u202f€")
REUSSITES = ("60 %", "60")

pytestmark = pytest.mark.usefixtures("engine")


def _import(con: Connection, actor: Actor, data: bytes, **options: bool) -> ImportReport:
    source = read_canonical_bytes(data, "f.csv")
    return import_rows(con, actor, source.rows, headers=source.headers, **options)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("separator", [";", ","])
def test_every_date_amount_and_reussite_form_imports_the_same_affaire(
    encoding: str, separator: str
) -> None:
    con, admin = new_base()
    lines = []
    for debut in DEBUTS:
        for ca in AMOUNTS:
            for r in REUSSITES:
                cell = f'"{ca}"' if separator == "," else ca
                if encoding == "cp1252":
                    cell = cell.replace("\u202f", " ").replace("\u00a0", "\xa0")
                lines.append(ROW.format(debut=debut, ca=cell, r=r).replace(";", separator))
    data = csv_bytes(*lines, header=HEADER.replace(";", separator), encoding=encoding)
    report = _import(con, admin, data)
    assert report.errors == [] and len(report.affaire_ids) == len(lines)
    stored = con.execute(
        """
        SELECT DISTINCT nom, date_debut, ca_potentiel, reussite
        FROM affaire
        """
    ).fetchall()
    assert stored == [("Projet Alpha", dt.date(2026, 3, 15), Decimal("1234.50"), 60)]


def test_code_name_headers_in_any_case_are_accepted() -> None:
    con, admin = new_base()
    data = b"NOM,compte_id,CA_POTENTIEL,reussite,Date_Debut\nA,Acme,12,30,2026-01-02\n"
    report = _import(con, admin, data)
    aff = get_affaire(con, admin, report.affaire_ids[0])
    assert (aff.ca_potentiel, aff.reussite, aff.date_debut) == (
        Decimal("12.00"),
        30,
        dt.date(2026, 1, 2),
    )


def test_defaults_fill_what_the_file_leaves_empty() -> None:
    con, admin = new_base()
    report = _import(con, admin, b"Nom;Compte;Etape\nA;Acme;Proposition commerciale\n")
    aff = get_affaire(con, admin, report.affaire_ids[0])
    assert (aff.statut, aff.type, aff.reussite, aff.gestion_par, aff.date_debut) == (
        "En cours",
        "Nouveau",
        60,
        admin.id,
        dt.date.today(),
    )


def test_reference_values_match_ignoring_case_and_accents() -> None:
    con, admin = new_base()
    data = "Nom;Compte;Statut;Etape;Type;Famille d'article;Code clôture\n" + (
        "A;Acme;perdue;NEGOCIATION;recurrent;materiel;delai de reponse\n"
    )
    report = _import(con, admin, data.encode())
    aff = get_affaire(con, admin, report.affaire_ids[0])
    assert (aff.statut, aff.etape, aff.type, aff.famille_article, aff.code_cloture) == (
        "Perdue",
        "Négociation",
        "Récurrent",
        "Matériel",
        "Délai de réponse",
    )


def test_unknown_comptes_and_contacts_are_created_once_and_reported() -> None:
    con, admin = new_base()
    create_compte(con, admin, {"nom": "Société Générale"})
    data = csv_bytes(
        "A;Nouveau Client;Marie Curie",
        "B;nouveau client;MARIE CURIE",
        "C;societe generale;Jean Dupont",
        "D;Société Générale;",
        header="Nom;Compte;Contact",
    )
    report = _import(con, admin, data)
    assert report.comptes_crees == ["Nouveau Client"]
    assert report.contacts_crees == [
        "Marie Curie (Nouveau Client)",
        "Jean Dupont (Société Générale)",
    ]
    counts = con.execute(
        "SELECT (SELECT count(*) FROM compte), (SELECT count(*) FROM contact),"
        " (SELECT count(*) FROM compte_cle)"
    ).fetchone()
    assert counts == (2, 2, 2)
    prenom_nom = con.execute("SELECT prenom, nom FROM contact ORDER BY id").fetchall()
    assert prenom_nom == [("Marie", "Curie"), ("Jean", "Dupont")]


def test_gestion_par_matches_a_user_by_name_or_login() -> None:
    con, admin = new_base()
    claire = add_commercial(con)
    report = _import(con, admin, b"Nom;Compte;Gestion par\nA;X;claire martin\nB;X;CMARTIN\n")
    owners = {get_affaire(con, admin, i).gestion_par for i in report.affaire_ids}
    assert owners == {claire.id}


def test_an_unknown_gestion_par_is_an_error_and_no_user_is_created() -> None:
    con, admin = new_base()
    report = _import(con, admin, b"Nom;Compte;Gestion par\nA;X;Inconnu Total\n")
    assert [(e.line, e.column) for e in report.errors] == [(2, "Gestion par")]
    assert "inconnu" in report.errors[0].message
    assert con.execute("SELECT count(*) FROM utilisateur").fetchone() == (1,)


def test_a_row_with_several_problems_lists_each_with_its_column() -> None:
    con, admin = new_base()
    line = ";31/02/2026;;;;;Gagnée;Étape X;;;;abc;150;;;;;"
    report = _import(con, admin, csv_bytes("Ok;;;Acme", line))
    assert report.errors and {e.line for e in report.errors} == {3}
    columns = {e.column for e in report.errors}
    assert {
        "Nom",
        "Date de début",
        "Compte",
        "Etape",
        "CA potentiel",
        "Réussite",
        "Total HT",
    } <= columns
    assert all(e.message and str(e).startswith("Ligne 3, colonne") for e in report.errors)


def test_one_invalid_row_and_nothing_is_written() -> None:
    con, admin = new_base()
    before = table_digest(con)
    report = _import(con, admin, csv_bytes("A;;;Acme;Jean Dupont", ";;;Acme"))
    assert not report.written and report.invalid_lines == [3]
    assert report.affaire_ids == []
    assert table_digest(con) == before


def test_dry_run_validates_and_writes_nothing() -> None:
    con, admin = new_base()
    before = table_digest(con)
    report = _import(con, admin, csv_bytes("A;;;Acme;Jean Dupont", "B;;;Acme"), dry_run=True)
    assert (report.valid_rows, report.errors, report.written) == (2, [], False)
    assert report.comptes_crees == ["Acme"]
    assert table_digest(con) == before


def test_skip_invalid_writes_the_valid_rows_and_reports_the_others() -> None:
    con, admin = new_base()
    report = _import(
        con,
        admin,
        csv_bytes("A;;;Acme", "B;;;Nouveau;Ann Lee", ";;;Autre", "C;;;Acme;;;Perdue"),
        skip_invalid=True,
    )
    assert report.written and report.invalid_lines == [4, 5]
    assert len(report.affaire_ids) == 2
    assert report.comptes_crees == ["Acme", "Nouveau"]
    assert con.execute("SELECT nom FROM compte ORDER BY id").fetchall() == [("Acme",), ("Nouveau",)]


def test_an_imported_affaire_has_one_version_equal_to_its_row() -> None:
    con, admin = new_base()
    lines = (
        ROW.format(debut="01/02/2026", ca="10", r=""),
        "Gagnée;2025-12-31;;Acme;;;Gagnée;Négociation;Récurrent;Logiciel;Note;0;;5,5;;"
        "2026-01-15;999 999 999 999,99;",
        "Perdue;2025-12-31;2026-06-30;Acme;Ann Lee;;Perdue;;;;;;0;;Prix;;;2026-02-01",
    )
    report = _import(con, admin, csv_bytes(*lines))
    assert report.errors == []
    expected = []
    for affaire_id in report.affaire_ids:
        aff = get_affaire(con, admin, affaire_id)
        expected.append(
            (affaire_id, 1, aff.updated_at, admin.id, *(getattr(aff, f) for f in AFFAIRE_FIELDS))
        )
    stored = con.execute(
        f"""
        SELECT affaire_id, version, valid_from, written_by, {", ".join(AFFAIRE_FIELDS)}
        FROM affaire_version
        ORDER BY affaire_id
        """
    ).fetchall()
    assert stored == expected
    assert con.execute("SELECT count(*) FROM affaire_historique").fetchone() == (0,)
    creation = history.affaire_history(con, admin, report.affaire_ids[0])
    assert set(creation["ancien"].dropna()) == set()


def test_a_commercial_imports_only_affaires_of_their_own() -> None:
    con, _ = new_base()
    claire = add_commercial(con)
    report = _import(con, claire, b"Nom;Compte;Gestion par\nA;X;\nB;X;Administrateur local\n")
    assert report.invalid_lines == [3]


def test_progress_reaches_one() -> None:
    con, admin = new_base()
    seen: list[float] = []
    source = read_canonical_bytes(csv_bytes("A;;;Acme"), "f.csv")
    import_rows(con, admin, source.rows, progress=lambda f, _m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_import_file_reports_unknown_columns(tmp_path: Path) -> None:
    con, admin = new_base()
    path = tmp_path / "affaires.csv"
    path.write_bytes(b"Nom;Compte;Couleur\nA;Acme;bleu\n")
    report = import_file(con, admin, path)
    assert report.unknown_columns == ["Couleur"] and len(report.affaire_ids) == 1


def test_a_bad_file_leaves_the_base_unchanged(tmp_path: Path) -> None:
    con, admin = new_base()
    _import(con, admin, csv_bytes("A;;;Acme"))
    before = table_digest(con)
    path = tmp_path / "mauvais.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(FileFormatError):
        import_file(con, admin, path)
    assert table_digest(con) == before


def test_arbitrary_bytes_end_in_a_report_or_a_french_error() -> None:
    con, admin = new_base()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.binary(max_size=400), with_header=st.booleans())
    def check(data: bytes, with_header: bool) -> None:
        _check_never_partial(con, admin, HEADER.encode() + b"\n" + data if with_header else data)

    check()


def test_arbitrary_cells_end_in_a_report_or_a_french_error() -> None:
    con, admin = new_base()
    cell = st.text(max_size=12).map(lambda t: t.replace("\n", " ").replace('"', ""))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cells=st.lists(st.lists(cell, min_size=1, max_size=18), min_size=1, max_size=5))
    def check(cells: list[list[str]]) -> None:
        _check_never_partial(con, admin, csv_bytes(*(";".join(row) for row in cells)))

    check()


def _check_never_partial(con: Connection, admin: Actor, data: bytes) -> None:
    before = table_digest(con)
    affaires_before = con.execute("SELECT count(*) FROM affaire").fetchone()
    assert affaires_before is not None
    try:
        report = _import(con, admin, data)
    except FileFormatError as exc:
        assert str(exc)
        assert table_digest(con) == before
        return
    assert all(e.message for e in report.errors)
    if not report.written:
        assert table_digest(con) == before
        return
    assert report.errors == []
    count = con.execute("SELECT count(*) FROM affaire").fetchone()
    assert count == (affaires_before[0] + len(report.affaire_ids),)


def test_every_problem_of_a_rejected_row_is_reported() -> None:
    con, admin = new_base()
    row = (
        "Projet Alpha;32/13/2026;;Société Générale;Jean Dupont;;En cours;Qualification;Nouveau;;;"
        "abc;60;-5;;;;"
    )
    report = _import(con, admin, csv_bytes(row))
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "Date de début"),
        (2, "CA potentiel"),
        (2, "CA attendu"),
    ]
    assert not report.written
