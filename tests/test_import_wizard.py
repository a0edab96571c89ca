"""The screen's helpers that hold logic of their own: proposing a mapping, the rejected rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crm_data.imports.canonical import RowError
from crm_data.imports.mapped_report import MappedImportReport
from crm_ui.admin.import_wizard import SUGGESTED, mapping_choices, rejected_csv, rejected_frame
from tests.factories import new_base

DATA = Path("/work/shared/data")


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("maven_crm/sales_pipeline.csv", "maven"),
        ("salesforce_opportunities/devorg_powerbi/Opportunity.csv", "salesforce"),
        ("salesforce_opportunities/gen_ai_demo/Opportunity.csv", "salesforce"),
        ("maven_crm/accounts.csv", SUGGESTED),
    ],
)
def test_the_mapping_that_knows_the_file_is_proposed(path: str, expected: str) -> None:
    names, index = mapping_choices(new_base(), header_of(DATA / path))
    assert names[index] == expected


def test_rejected_rows_are_in_line_order_in_a_french_excel_csv() -> None:
    report = MappedImportReport(
        errors=[RowError(9, "Amount", "Montant invalide"), RowError(3, "Name", "Trop long")]
    )
    frame = rejected_frame(report)
    assert frame["Ligne"].tolist() == [3, 9]
    data = rejected_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == [
        "Ligne;Colonne;Motif",
        "3;Name;Trop long",
        "9;Amount;Montant invalide",
    ]
