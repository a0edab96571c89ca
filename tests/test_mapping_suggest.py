"""Suggestions: the headers and stage values of the real exports in /work/shared/data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crm_data.mapping.suggest import suggest_columns, suggest_field, suggest_mapping, suggest_values

DATA = Path("/work/shared/data")
ETAPES = ["Qualification", "Analyse des besoins", "Proposition commerciale", "Négociation"]


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def test_maven_headers_are_all_suggested() -> None:
    header = header_of(DATA / "maven_crm" / "sales_pipeline.csv")
    assert suggest_columns(header) == {
        "opportunity_id": "source_id",
        "sales_agent": "gestion_par",
        "product": "famille_article",
        "account": "compte_id",
        "deal_stage": "etape",
        "engage_date": "date_debut",
        "close_date": "date_fin",
        "close_value": "total_ht",
    }


@pytest.mark.parametrize("folder", ["gen_ai_demo", "data_cloud_workshop", "devorg_powerbi"])
def test_salesforce_headers_are_suggested(folder: str) -> None:
    path = DATA / "salesforce_opportunities" / folder / "Opportunity.csv"
    columns = suggest_columns(header_of(path))
    expected = {
        "Id": "source_id",
        "AccountId": "compte_id",
        "Name": "nom",
        "StageName": "etape",
        "Amount": "ca_potentiel",
        "Probability": "reussite",
        "CloseDate": "date_fin",
        "CreatedDate": "date_debut",
    }
    assert {k: columns.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Montant", "ca_potentiel"),
        ("CA potentiel", "ca_potentiel"),
        ("Date de début", "date_debut"),
        ("Opportunity Name", "nom"),
        ("Account Name", "compte_id"),
        ("Type", "type"),
        ("gestion_par", "gestion_par"),
        ("Colonne sans rapport", None),
    ],
)
def test_suggest_field(header: str, field: str | None) -> None:
    assert suggest_field(header) == field


def test_a_field_is_suggested_for_the_first_header_only() -> None:
    assert suggest_columns(["Amount", "Montant"]) == {"Amount": "ca_potentiel"}


@pytest.mark.parametrize(
    ("value", "ours"),
    [
        ("Closed Won", "Gagnée"),
        ("Closed Lost", "Perdue"),
        ("Won", "Gagnée"),
        ("Lost", "Perdue"),
        ("Engaging", "Analyse des besoins"),
        ("Prospecting", "Qualification"),
        ("Negotiation/Review", "Négociation"),
        ("negociation", "Négociation"),
        ("Proposal/Price Quote", "Proposition commerciale"),
    ],
)
def test_stage_values_are_suggested(value: str, ours: str) -> None:
    assert list(suggest_values("etape", [value], ETAPES).values()) == [ours]


def test_type_and_famille_values_are_suggested() -> None:
    assert suggest_values("type", ["New Business", "Existing Business"], []) == {
        "new business": "Nouveau",
        "existing business": "Récurrent",
    }
    assert suggest_values("famille_article", ["logiciel", "GTXPro"], ["Logiciel"]) == {
        "logiciel": "Logiciel"
    }


def test_suggest_mapping_maps_values_of_suggested_columns() -> None:
    mapping = suggest_mapping(
        "x", ["deal_stage", "account"], {"deal_stage": {"Won", "Engaging"}}, {"etape": ETAPES}
    )
    assert mapping.columns == {"deal_stage": "etape", "account": "compte_id"}
    assert mapping.values["etape"] == {"won": "Gagnée", "engaging": "Analyse des besoins"}
