"""Amounts: one parser for the API, the forms, the documents and the files, rounding half-up to
the cent once (French commercial rounding)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm_data import affaires, documents
from crm_data.files.canonical import read_canonical_bytes
from crm_data.imports.canonical import import_rows
from crm_data.money import parse_amount, round_cents
from tests.factories import admin, make_affaire, make_compte, new_base
from tests.files_helpers import csv_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10.005", "10.01"), ("10.004", "10.00"), ("-10.005", "-10.01"), ("2.675", "2.68")],
)
def test_round_cents_rounds_half_up(value: str, expected: str) -> None:
    assert round_cents(Decimal(value)) == Decimal(expected)


@pytest.mark.parametrize(
    "value", [10.005, "10.005", "10,005", Decimal("10.005"), " 10,005 € ", "1 0,005"]
)
def test_every_form_of_a_half_cent_parses_to_the_upper_cent(value: object) -> None:
    assert parse_amount(value) == Decimal("10.01")


def test_a_float_is_read_as_typed_not_as_its_binary_value() -> None:
    # 2.675 is 2.67499999… in binary: rounding the float gives 2.67.
    assert parse_amount(2.675) == Decimal("2.68")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, "abc", "1e5"])
def test_parse_amount_refuses_non_amounts_in_french(value: object) -> None:
    with pytest.raises(ValueError, match="Montant invalide"):
        parse_amount(value)


@pytest.mark.usefixtures("engine")
def test_a_half_cent_rounds_up_through_create_affaire() -> None:
    con = new_base()
    affaire_id = make_affaire(con, ca_potentiel=10.005, ca_attendu="10.005")
    saved = affaires.get_affaire(con, admin(con), affaire_id)
    assert (saved.ca_potentiel, saved.ca_attendu) == (Decimal("10.01"), Decimal("10.01"))


@pytest.mark.usefixtures("engine")
def test_a_half_cent_decimal_rounds_up_through_update_affaire() -> None:
    con = new_base()
    affaire_id = make_affaire(con)
    opened = affaires.get_affaire(con, admin(con), affaire_id)
    saved = affaires.update_affaire(
        con, admin(con), affaire_id, {"ca_potentiel": Decimal("0.125")}, opened.version
    )
    assert saved.ca_potentiel == Decimal("0.13")


@pytest.mark.usefixtures("engine")
def test_a_half_cent_rounds_up_through_the_canonical_import() -> None:
    con = new_base()
    make_compte(con, "Client")
    line = "Import;2026-01-05;;Client;;;En cours;Qualification;Nouveau;;;10,005;;10.005;;;;"
    source = read_canonical_bytes(csv_bytes(line), "f.csv")
    report = import_rows(con, admin(con), source.rows, headers=source.headers)
    assert report.errors == []
    saved = affaires.get_affaire(con, admin(con), report.affaire_ids[0])
    assert (saved.ca_potentiel, saved.ca_attendu) == (Decimal("10.01"), Decimal("10.01"))


@pytest.mark.usefixtures("engine")
def test_a_half_cent_rounds_up_in_a_documents_montant_ht() -> None:
    con = new_base()
    affaire_id = make_affaire(con)
    values = {"type": "Devis", "numero": "D-1", "date_document": "2026-01-05", "statut": "Envoyé"}
    doc_id = documents.create_document(con, admin(con), affaire_id, values | {"montant_ht": 10.005})
    assert documents.get_document(con, admin(con), doc_id)["montant_ht"] == Decimal("10.01")
