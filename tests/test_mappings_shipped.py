"""The shipped mappings' companions and apply on the real exports (copied to tmp_path)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

from crm_data.files.reader import open_source
from crm_data.mapping.model import EtapeRef, apply
from crm_data.mapping.shipped import maven, parse_timestamp, read_companions, salesforce

DATA = Path("/work/shared/data")
ETAPES = [
    EtapeRef("Qualification", 20),
    EtapeRef("Analyse des besoins", 40),
    EtapeRef("Proposition commerciale", 60),
    EtapeRef("Négociation", 80),
]


def copy(folder: str, tmp_path: Path) -> Path:
    target = tmp_path / Path(folder).name
    shutil.copytree(DATA / folder, target)
    return target


def raw(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_maven_companions_bring_comptes_users_and_familles(tmp_path: Path) -> None:
    folder = copy("maven_crm", tmp_path)
    mapping = maven()
    found = read_companions(mapping, folder)
    teams = raw(folder / "sales_teams.csv")
    assert {c.nom for c in found.comptes} == {r["account"] for r in raw(folder / "accounts.csv")}
    assert {n for n, role in found.users if role == "commercial"} == {
        r["sales_agent"] for r in teams
    }
    assert {n for n, role in found.users if role == "manager"} == {r["manager"] for r in teams}
    assert mapping.value_for("famille_article", "GTXPro") == "GTX Pro"


def test_maven_rows_keep_every_deal_with_its_outcome(tmp_path: Path) -> None:
    folder = copy("maven_crm", tmp_path)
    mapping = maven()
    read_companions(mapping, folder)
    table = open_source(folder / "sales_pipeline.csv")
    rows = list(apply(mapping, table.header, table.rows, ETAPES))
    source = raw(folder / "sales_pipeline.csv")
    outcome = {"Won": "Gagnée", "Lost": "Perdue"}
    assert [r.values.get("statut", "En cours") for r in rows] == [
        outcome.get(s["deal_stage"], "En cours") for s in source
    ]
    assert all(r.values["compte_id"] for r in rows)
    assert sum(int(r.values.get("total_ht", "0")) for r in rows) == sum(
        int(s["close_value"]) for s in source if s["deal_stage"] == "Won"
    )


def test_salesforce_account_ids_become_account_names(tmp_path: Path) -> None:
    folder = copy("salesforce_opportunities/gen_ai_demo", tmp_path)
    mapping = salesforce()
    found = read_companions(mapping, folder)
    names = {a["Id"]: " ".join(a["Name"].split()) for a in raw(folder / "Account.csv")}
    table = open_source(folder / "Opportunity.csv")
    rows = list(apply(mapping, table.header, table.rows, ETAPES))
    source = raw(folder / "Opportunity.csv")
    assert [r.values["compte_id"] for r in rows] == [names[s["AccountId"]] for s in source]
    assert found.files == ["Account.csv"]


def test_salesforce_history_is_read_in_time_order(tmp_path: Path) -> None:
    folder = copy("salesforce_opportunities/devorg_powerbi", tmp_path)
    found = read_companions(salesforce(), folder)
    source = raw(folder / "OpportunityHistory.csv")
    assert sum(len(v) for v in found.history.values()) == len(source)
    assert all(e == sorted(e) for e in found.history.values())


def test_us_timestamps_are_read() -> None:
    assert parse_timestamp("02/23/26 08:55 PM", "us") == dt.datetime(2026, 2, 23, 20, 55)
    assert parse_timestamp("03/07/26 12:05 AM", "us") == dt.datetime(2026, 3, 7, 0, 5)
    assert parse_timestamp("2024-07-11", "us") == dt.datetime(2024, 7, 11)
    assert parse_timestamp("hier", "us") is None
