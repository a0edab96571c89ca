"""An affaire is neither signed nor closed before it starts: refused in French by the API, the
imports and (through them) every screen, so that no average cycle goes negative."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm_data import affaires
from crm_data.analyses.registry import Filters, results_by_type
from crm_data.files.canonical import read_canonical_bytes
from crm_data.imports.canonical import import_rows
from crm_data.imports.mapped import import_mapped_file
from crm_data.mapping.model import Mapping
from crm_data.model import ValidationError
from tests import analyses_factory
from tests.factories import admin, make_affaire, make_compte, new_base
from tests.files_helpers import csv_bytes

SIGNATURE_FIRST = (
    "La date de signature (01/01/2026) ne peut pas précéder la date de début (01/03/2026)."
)
CLOSING_FIRST = (
    "La date de clôture (01/01/2026) ne peut pas précéder la date de début (01/03/2026)."
)

pytestmark = pytest.mark.usefixtures("engine")


def test_a_signature_before_the_start_is_refused_on_that_field() -> None:
    con = new_base()
    compte = make_compte(con)
    values = {
        "nom": "Trop tôt",
        "compte_id": compte,
        "date_debut": "2026-03-01",
        "statut": "Gagnée",
        "total_ht": 100,
        "date_signature": "2026-01-01",
    }
    with pytest.raises(ValidationError) as caught:
        affaires.create_affaire(con, admin(con), values)
    assert caught.value.errors == [("date_signature", SIGNATURE_FIRST)]
    assert con.execute("SELECT count(*) FROM affaire").fetchone() == (0,)


@pytest.mark.parametrize("statut", ["Perdue", "Abandonnée"])
def test_a_closing_before_the_start_is_refused_on_that_field(statut: str) -> None:
    con = new_base()
    values = {
        "nom": "Close trop tôt",
        "compte_id": make_compte(con),
        "date_debut": "2026-03-01",
        "statut": statut,
        "code_cloture": "Prix",
        "date_cloture": "2026-01-01",
    }
    with pytest.raises(ValidationError) as caught:
        affaires.create_affaire(con, admin(con), values)
    assert caught.value.errors == [("date_cloture", CLOSING_FIRST)]


def test_moving_the_start_after_the_signature_is_refused_by_update() -> None:
    con = new_base()
    affaire_id = make_affaire(
        con, date_debut="2025-12-01", statut="Gagnée", total_ht=1, date_signature="2026-01-01"
    )
    opened = affaires.get_affaire(con, admin(con), affaire_id)
    with pytest.raises(ValidationError) as caught:
        affaires.update_affaire(
            con, admin(con), affaire_id, {"date_debut": "2026-03-01"}, opened.version
        )
    assert caught.value.errors == [("date_signature", SIGNATURE_FIRST)]
    assert affaires.get_affaire(con, admin(con), affaire_id) == opened


def test_a_signature_on_the_start_day_is_accepted() -> None:
    con = new_base()
    affaire_id = make_affaire(
        con, date_debut="2026-03-01", statut="Gagnée", total_ht=1, date_signature="2026-03-01"
    )
    saved = affaires.get_affaire(con, admin(con), affaire_id)
    assert saved.date_cloture == dt.date(2026, 3, 1)


def test_a_closing_before_the_start_in_a_canonical_file_is_refused() -> None:
    con = new_base()
    make_compte(con, "Client")
    line = "Perdue tôt;01/03/2026;;Client;;;Perdue;Qualification;Nouveau;;;;;;Prix;;;01/01/2026"
    source = read_canonical_bytes(csv_bytes(line), "f.csv")
    report = import_rows(con, admin(con), source.rows, headers=source.headers)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (2, "Date de clôture", CLOSING_FIRST)
    ]
    assert not report.written


def test_a_closing_before_the_start_in_a_mapped_file_is_refused(tmp_path: Path) -> None:
    con = new_base()
    path = tmp_path / "deals.csv"
    path.write_text("Id,Stage,Account,Start,Closed\nX1,lost,Client,2026-03-01,2026-01-01\n")
    mapping = Mapping(
        nom="test",
        columns={
            "Id": "source_id",
            "Stage": "etape",
            "Account": "compte_id",
            "Start": "date_debut",
            "Closed": "date_cloture",
        },
        values={"etape": {"lost": "Perdue"}},
        defaults={"code_cloture": "Prix"},
    )
    report = import_mapped_file(con, admin(con), path, mapping)
    assert [e.message for e in report.errors] == [CLOSING_FIRST]
    assert con.execute("SELECT count(*) FROM affaire").fetchone() == (0,)


def test_the_average_cycle_ignores_a_refused_signature_before_the_start() -> None:
    # Hand-worked: one Gagnée signed 30 days after its start; a second, signed 45 days before
    # its start, is refused and so cannot pull the average cycle to -7.5 days.
    con = new_base()
    actor = admin(con)
    d = analyses_factory.D
    analyses_factory.new_affaire(
        con, statut="Gagnée", date_debut=d("2026-01-01"), date_signature=d("2026-01-31")
    )
    with pytest.raises(ValidationError):
        affaires.create_affaire(
            con,
            actor,
            {
                "nom": "Signée avant son début",
                "compte_id": analyses_factory.new_compte(con),
                "date_debut": d("2026-03-01"),
                "statut": "Gagnée",
                "total_ht": 0,
                "date_signature": d("2026-01-15"),
            },
        )
    frame = results_by_type(con, actor, Filters(du=d("2026-01-01"), au=d("2026-03-31")))
    nouveau = frame[frame["type"] == "Nouveau"].iloc[0]
    assert (int(nouveau["gagnees"]), float(nouveau["cycle_moyen_jours"])) == (1, 30.0)
