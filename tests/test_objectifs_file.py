"""The objectifs file: read all or nothing with the line and column of every bad cell, written as
CSV or XLSX and read back the same, any input ending in objectifs set or a French refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data.files.objectifs_file import export_objectifs, import_objectifs, read_changes
from crm_data.files.reader import source_from_bytes
from crm_data.model import PermissionDeniedError, ValidationError
from crm_data.objectifs import Change, list_objectifs, set_objectifs
from tests.analyses_factory import D, new_base, new_named_user, new_user

pytestmark = pytest.mark.usefixtures("engine")

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def _file(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


def _stored(con, admin) -> list[tuple[str, str, float]]:  # type: ignore[no-untyped-def]
    found = list_objectifs(con, admin, *YEAR)
    return [
        (str(n), f"{m:%Y-%m}", float(a))
        for n, m, a in found[["gestion_par", "mois", "montant"]].itertuples(index=False)
    ]


def test_a_file_sets_its_rows_and_leaves_the_others() -> None:
    con, admin = new_base()
    alice = new_named_user(con, "amartin", "Alice Martin")
    new_user(con, "bob")
    set_objectifs(con, admin, [Change(alice.id, D("2026-05-01"), Decimal("5"))])
    data = _file(
        "commercial;MOIS;Objectif",
        "Alice Martin;2026-01;1 000,50",
        "amartin;02/2026;1234.5",
        "BOB;2026-03;2 000,00 €",
        ";;",
    )
    changes = read_changes(con, source_from_bytes(data, "o.csv"))
    set_objectifs(con, admin, changes)
    assert _stored(con, admin) == [
        ("Alice Martin", "2026-01", 1000.5),
        ("Alice Martin", "2026-02", 1234.5),
        ("Alice Martin", "2026-05", 5.0),
        ("Bob", "2026-03", 2000.0),
    ]


def test_every_bad_cell_is_reported_with_its_line_and_column_and_nothing_is_set(
    tmp_path: Path,
) -> None:
    con, admin = new_base()
    new_user(con, "alice")
    path = tmp_path / "objectifs.csv"
    path.write_bytes(
        _file(
            "Commercial;Mois;Objectif",
            "alice;2026-01;1000",
            "inconnu;2026-02;10",
            "alice;13/2026;-5",
            "alice;2026-04;",
            "alice;2026-01;20",
        )
    )
    with pytest.raises(ValidationError) as raised:
        import_objectifs(con, admin, path)
    assert [m for _, m in raised.value.errors] == [
        "Ligne 3, colonne Commercial : Commercial inconnu « inconnu ».",
        "Ligne 4, colonne Mois : Mois invalide « 13/2026 » : attendu AAAA-MM ou MM/AAAA (2026-03).",
        "Ligne 4, colonne Objectif : Objectif négatif « -5 » : un objectif est un montant positif "
        "ou nul.",
        "Ligne 5, colonne Objectif : Objectif vide : indiquez un montant (0 accepté).",
        "Ligne 6, colonne Mois : alice a déjà un objectif pour ce mois ligne 2.",
    ]
    assert _stored(con, admin) == []


def test_a_missing_column_is_named() -> None:
    con, _ = new_base()
    with pytest.raises(ValidationError, match="Colonne\\(s\\) manquante\\(s\\) : Objectif"):
        read_changes(con, source_from_bytes(_file("Commercial;Mois", "a;2026-01"), "o.csv"))


def test_a_name_two_users_share_is_refused_but_their_logins_work() -> None:
    con, _ = new_base()
    new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    data = _file("Commercial;Mois;Objectif", "Martin Dupont;2026-01;1", "mdupont2;2026-01;2")
    with pytest.raises(ValidationError) as raised:
        read_changes(con, source_from_bytes(data, "o.csv"))
    assert [m for _, m in raised.value.errors] == [
        "Ligne 2, colonne Commercial : Commercial inconnu « Martin Dupont »."
    ]
    ok = _file("Commercial;Mois;Objectif", "Martin Dupont (mdupont2);2026-01;2")
    assert read_changes(con, source_from_bytes(ok, "o.csv")) == [
        Change(second.id, D("2026-01-01"), Decimal("2.00"))
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_exported_file_imports_back_the_same_objectifs(tmp_path: Path, suffix: str) -> None:
    con, admin = new_base()
    alice = new_named_user(con, "amartin", "Alice Martin")
    trap = new_named_user(con, "piege", "=1+1")
    set_objectifs(
        con,
        admin,
        [
            Change(alice.id, D("2026-01-01"), Decimal("1000.10")),
            Change(alice.id, D("2026-12-01"), Decimal("0")),
            Change(trap.id, D("2026-06-01"), Decimal("12345678.99")),
        ],
    )
    path = tmp_path / f"objectifs{suffix}"
    assert export_objectifs(con, admin, path, *YEAR) == 3
    before = _stored(con, admin)
    fresh, fresh_admin = new_base()
    new_named_user(fresh, "amartin", "Alice Martin")
    new_named_user(fresh, "piege", "=1+1")
    assert import_objectifs(fresh, fresh_admin, path) == 3
    assert _stored(fresh, fresh_admin) == before


def test_the_csv_is_for_french_excel(tmp_path: Path) -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    set_objectifs(con, admin, [Change(alice.id, D("2026-03-01"), Decimal("1500.5"))])
    path = tmp_path / "o.csv"
    export_objectifs(con, admin, path, *YEAR)
    assert path.read_bytes() == b"\xef\xbb\xbfCommercial;Mois;Objectif\r\nAlice;2026-03;1500.50\r\n"


def test_a_commercial_cannot_import_objectifs(tmp_path: Path) -> None:
    con, _ = new_base()
    alice = new_user(con, "alice")
    path = tmp_path / "o.csv"
    path.write_bytes(_file("Commercial;Mois;Objectif", "alice;2026-01;1"))
    with pytest.raises(PermissionDeniedError):
        import_objectifs(con, alice, path)


_cells = st.text(alphabet=st.sampled_from("alice;bob,0123456789-/ €.\n\"'é="), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_cells, _cells, _cells), max_size=5))
def test_any_file_sets_its_rows_or_is_refused_in_french(rows: list[tuple[str, str, str]]) -> None:
    con, admin = new_base()
    new_user(con, "alice")
    text = "Commercial;Mois;Objectif\n" + "\n".join(";".join(r) for r in rows)
    try:
        changes = read_changes(con, source_from_bytes(text.encode(), "o.csv"))
    except ValidationError as exc:
        assert exc.errors
        assert all(m.startswith(("Ligne ", "Colonne")) for _, m in exc.errors)
        assert _stored(con, admin) == []
        return
    except Exception as exc:  # the reader's own refusals (a broken quote) are French too
        assert exc.__class__.__name__ == "SourceFileError", exc
        return
    set_objectifs(con, admin, changes)
    assert len(_stored(con, admin)) == len({(c.utilisateur_id, c.mois) for c in changes})
