"""Importing the real exports through the shipped mappings, checked against the raw CSV."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from crm_data.imports import mapped as mapped_import
from crm_data.imports.mapped import import_mapped_file
from crm_data.imports.mapped_report import MappedImportReport
from crm_data.mapping.model import Mapping
from crm_data.mapping.store import load_mapping
from crm_data.model import PermissionDeniedError, Role
from crm_data.store import integrity
from crm_data.store.db import Connection
from tests import engines
from tests.factories import admin, make_user, new_base

DATA = Path("/work/shared/data")
SALESFORCE = ["gen_ai_demo", "data_cloud_workshop", "devorg_powerbi"]

pytestmark = pytest.mark.usefixtures("engine")


CONSECUTIVE = """
    SELECT affaire_id, statut, etape,
           lag(statut) OVER w AS avant_statut,
           lag(etape) OVER w AS avant_etape
    FROM affaire_version
    WINDOW w AS (PARTITION BY affaire_id ORDER BY version)
"""
"""Each version beside the one before it (statut and étape)."""


def ported_checks() -> bool:
    """Whether integrity.check and the analyses run on this test's engine: on PostgreSQL they
    wait for their own port (QUALIFY, list_* there); the import's own checks run on both."""
    return engines.current() == engines.DUCKDB


def copy(folder: str, tmp_path: Path) -> Path:
    target = tmp_path / Path(folder).name
    shutil.copytree(DATA / folder, target)
    return target


def raw(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def run(con: Connection, path: Path, mapping: str | Mapping, **kwargs: bool) -> MappedImportReport:
    chosen = load_mapping(con, mapping) if isinstance(mapping, str) else mapping
    return import_mapped_file(con, admin(con), path, chosen, **kwargs)


def by_statut(con: Connection) -> dict[str, int]:
    rows = con.execute("SELECT statut, count(*) FROM affaire GROUP BY statut").fetchall()
    return {str(s): int(n) for s, n in rows}


def one(con: Connection, sql: str) -> tuple[object, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def sf_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%m/%d/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise AssertionError(text)


def test_maven_import_matches_the_raw_file(tmp_path: Path) -> None:
    folder = copy("maven_crm", tmp_path)
    con = new_base()
    report = run(con, folder / "sales_pipeline.csv", "maven")
    source = raw(folder / "sales_pipeline.csv")
    statut = {"Won": "Gagnée", "Lost": "Perdue"}
    assert report.written and not report.errors
    assert by_statut(con) == dict(Counter(statut.get(r["deal_stage"], "En cours") for r in source))
    won = [r for r in source if r["deal_stage"] == "Won"]
    closed = [r for r in source if r["close_date"]]
    assert one(con, "SELECT sum(total_ht) FROM affaire WHERE statut = 'Gagnée'") == (
        Decimal(sum(int(r["close_value"]) for r in won)),
    )
    assert one(
        con, "SELECT min(date_signature), max(date_signature) FROM affaire WHERE statut = 'Gagnée'"
    ) == (
        dt.date.fromisoformat(min(r["close_date"] for r in won)),
        dt.date.fromisoformat(max(r["close_date"] for r in won)),
    )
    assert one(con, "SELECT min(date_cloture), max(date_cloture) FROM affaire") == (
        dt.date.fromisoformat(min(r["close_date"] for r in closed)),
        dt.date.fromisoformat(max(r["close_date"] for r in closed)),
    )
    engaged = [r["engage_date"] for r in source if r["engage_date"]]
    assert one(
        con,
        "SELECT min(date_debut) FROM affaire WHERE source_id IN "
        "(SELECT source_id FROM affaire WHERE statut <> 'En cours' OR etape <> 'Qualification')",
    ) == (dt.date.fromisoformat(min(engaged)),)


def test_maven_sales_agents_and_managers_become_users(tmp_path: Path) -> None:
    folder = copy("maven_crm", tmp_path)
    con = new_base()
    report = run(con, folder / "sales_pipeline.csv", "maven")
    teams = raw(folder / "sales_teams.csv")
    roles = dict(con.execute("SELECT nom, role FROM utilisateur").fetchall())
    assert all(roles[t["sales_agent"]] == "commercial" for t in teams)
    assert all(roles[t["manager"]] == "manager" for t in teams)
    assert len(report.users_crees) == len({t["sales_agent"] for t in teams}) + len(
        {t["manager"] for t in teams}
    )
    per_agent = Counter(r["sales_agent"] for r in raw(folder / "sales_pipeline.csv"))
    counted = dict(
        con.execute(
            "SELECT u.nom, count(*) FROM affaire AS a JOIN utilisateur AS u "
            "ON u.id = a.gestion_par GROUP BY u.nom"
        ).fetchall()
    )
    assert counted == dict(per_agent)


def test_maven_comptes_keep_their_secteur_and_blank_accounts_share_one(tmp_path: Path) -> None:
    folder = copy("maven_crm", tmp_path)
    con = new_base()
    run(con, folder / "sales_pipeline.csv", "maven")
    secteurs = dict(con.execute("SELECT nom, secteur FROM compte").fetchall())
    assert all(secteurs[a["account"]] == a["sector"] for a in raw(folder / "accounts.csv"))
    blank = sum(1 for r in raw(folder / "sales_pipeline.csv") if not r["account"])
    assert one(
        con,
        "SELECT count(*) FROM affaire AS a JOIN compte AS c ON c.id = a.compte_id "
        "WHERE c.nom = 'Compte non renseigné'",
    ) == (blank,)


@pytest.mark.parametrize("folder", SALESFORCE)
def test_salesforce_import_matches_the_raw_file(folder: str, tmp_path: Path) -> None:
    path = copy(f"salesforce_opportunities/{folder}", tmp_path) / "Opportunity.csv"
    con = new_base()
    report = run(con, path, "salesforce")
    source = raw(path)
    statut = {"Closed Won": "Gagnée", "Closed Lost": "Perdue"}
    assert report.written and not report.errors
    assert by_statut(con) == dict(Counter(statut.get(r["StageName"], "En cours") for r in source))
    amounts = [Decimal(r["Amount"]) for r in source if r["Amount"]]
    won = [Decimal(r["Amount"]) for r in source if r["StageName"] == "Closed Won"]
    assert one(con, "SELECT sum(ca_potentiel) FROM affaire") == (sum(amounts),)
    assert one(con, "SELECT coalesce(sum(total_ht), 0) FROM affaire") == (sum(won),)
    dates = [sf_date(r["CloseDate"]) for r in source]
    assert one(con, "SELECT min(date_fin), max(date_fin) FROM affaire") == (min(dates), max(dates))


def test_salesforce_accounts_are_named_from_account_csv(tmp_path: Path) -> None:
    folder = copy("salesforce_opportunities/data_cloud_workshop", tmp_path)
    con = new_base()
    run(con, folder / "Opportunity.csv", "salesforce")
    names = {a["Id"]: a["Name"] for a in raw(folder / "Account.csv")}
    expected = Counter(names[r["AccountId"]] for r in raw(folder / "Opportunity.csv"))
    rows = con.execute(
        "SELECT c.nom, count(*) FROM affaire AS a JOIN compte AS c ON c.id = a.compte_id "
        "GROUP BY c.nom"
    ).fetchall()
    assert dict(rows) == dict(expected)


def test_opportunity_history_feeds_the_affaire_history(tmp_path: Path) -> None:
    folder = copy("salesforce_opportunities/devorg_powerbi", tmp_path)
    con = new_base()
    report = run(con, folder / "Opportunity.csv", "salesforce")
    assert report.historique > 0
    won_then_lost = con.execute(
        f"""
        SELECT a.source_id
        FROM ({CONSECUTIVE}) AS v
        JOIN affaire AS a ON a.id = v.affaire_id
        WHERE v.avant_statut = 'Gagnée'
          AND v.statut = 'Perdue'
        """
    ).fetchall()
    history = sorted(
        raw(folder / "OpportunityHistory.csv"),
        key=lambda h: dt.datetime.strptime(h["CreatedDate"], "%m/%d/%y %I:%M %p"),
    )
    stages: dict[str, list[str]] = {}
    for h in history:
        stages.setdefault(h["OpportunityId"], []).append(h["StageName"])
    expected = {o for o, s in stages.items() if s[-2:] == ["Closed Won", "Closed Lost"]}
    assert len(expected) == 7
    assert {str(s) for (s,) in won_then_lost} == expected
    dated = one(
        con,
        "SELECT count(*) FROM affaire_version WHERE CAST(valid_from AS DATE) = DATE '2026-02-23'",
    )
    assert dated[0] > 0
    assert one(con, "SELECT count(*) FROM affaire_historique") == (0,)


def test_opportunity_history_gives_amount_probability_and_close_date(tmp_path: Path) -> None:
    folder = copy("salesforce_opportunities/devorg_powerbi", tmp_path)
    con = new_base()
    run(con, folder / "Opportunity.csv", "salesforce")
    rows = raw(folder / "OpportunityHistory.csv")
    first = {}
    for h in sorted(
        rows, key=lambda h: dt.datetime.strptime(h["CreatedDate"], "%m/%d/%y %I:%M %p")
    ):
        first.setdefault(h["OpportunityId"], h)
    versions = {
        str(src): (ca, reussite, fin)
        for src, ca, reussite, fin in con.execute(
            """
            SELECT a.source_id, v.ca_potentiel, v.reussite, v.date_fin
            FROM affaire_version AS v
            JOIN affaire AS a ON a.id = v.affaire_id
            WHERE v.version = 1
            """
        ).fetchall()
    }
    checked = 0
    for src, h in first.items():
        if src in versions and h["Amount"] and h["Probability"]:
            close = dt.datetime.strptime(h["CloseDate"], "%m/%d/%y").date()
            assert versions[src] == (Decimal(h["Amount"]), int(h["Probability"]), close)
            checked += 1
    assert checked > 10
    if ported_checks():
        assert integrity.check(con) == []


def test_reimport_updates_instead_of_duplicating(tmp_path: Path) -> None:
    folder = copy("salesforce_opportunities/gen_ai_demo", tmp_path)
    con = new_base()
    first = run(con, folder / "Opportunity.csv", "salesforce")
    text = (folder / "Opportunity.csv").read_text(encoding="utf-8-sig")
    changed = text.count("Qualification,3463.88,10,")
    (folder / "Opportunity.csv").write_text(
        text.replace("Qualification,3463.88,10,", "Negotiation,3463.88,90,"), encoding="utf-8"
    )
    second = run(con, folder / "Opportunity.csv", "salesforce")
    assert one(con, "SELECT count(*) FROM affaire") == (first.created,)
    assert changed > 0
    assert (second.created, second.updated) == (0, changed)
    assert second.unchanged == first.created - changed
    assert f"{changed} mises à jour (déjà importées)" in second.summary()[0]
    assert one(
        con,
        f"SELECT count(*) FROM ({CONSECUTIVE}) AS v "
        "WHERE v.etape = 'Négociation' AND v.avant_etape = 'Qualification'",
    ) == (changed,)


def test_dry_run_counts_everything_and_writes_nothing(tmp_path: Path) -> None:
    folder = copy("maven_crm", tmp_path)
    con = new_base()
    users_before = one(con, "SELECT count(*) FROM utilisateur")
    report = run(con, folder / "sales_pipeline.csv", "maven", dry_run=True)
    assert report.created == len(raw(folder / "sales_pipeline.csv"))
    assert report.users_crees and report.comptes_crees and report.familles_creees
    assert not report.written
    assert one(con, "SELECT count(*) FROM affaire") == (0,)
    assert one(con, "SELECT count(*) FROM compte") == (0,)
    assert one(con, "SELECT count(*) FROM utilisateur") == users_before


def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(
        "Id,Name,AccountId,StageName,Amount,CloseDate\n"
        "1,Bonne affaire,Acme,Qualification,100,2030-01-31\n"
        "2,Montant faux,Acme,Qualification,cent,2030-01-31\n"
        f"3,{'N' * 201},Acme,Qualification,100,2030-01-31\n"
        "4,Etape inconnue,Acme,Limbo,100,2030-01-31\n"
        "5,Date fausse,Acme,Qualification,100,31/02/2030\n",
        encoding="utf-8",
    )
    return path


def test_bad_rows_write_nothing_and_every_row_is_named(tmp_path: Path) -> None:
    con = new_base()
    mapping = load_mapping(con, "salesforce")
    mapping.format_date = "auto"
    report = run(con, bad_file(tmp_path), mapping)
    assert not report.written
    assert report.invalid_lines == [3, 4, 5, 6]
    columns = {e.line: e.column for e in report.errors}
    assert columns == {3: "Amount", 4: "Name", 5: "StageName", 6: "CloseDate"}
    assert all(e.message for e in report.errors)
    assert one(con, "SELECT count(*) FROM affaire") == (0,)
    assert one(con, "SELECT count(*) FROM compte") == (0,)


def test_skip_invalid_writes_the_good_rows_only(tmp_path: Path) -> None:
    con = new_base()
    mapping = load_mapping(con, "salesforce")
    mapping.format_date = "auto"
    report = run(con, bad_file(tmp_path), mapping, skip_invalid=True)
    assert report.written
    assert one(con, "SELECT count(*), min(nom) FROM affaire") == (1, "Bonne affaire")


@pytest.mark.parametrize("chunk_rows", [1, 1000])
def test_source_id_twice_in_a_file_is_an_error(
    chunk_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mapped_import, "CHUNK_ROWS", chunk_rows)
    path = tmp_path / "double.csv"
    path.write_text("Id,Name,AccountId\n7,A,Acme\n8,B,Acme\n7,C,Acme\n", encoding="utf-8")
    con = new_base()
    report = run(con, path, "salesforce")
    assert report.invalid_lines == [4]
    assert "déjà présent ligne 2" in report.errors[0].message
    assert one(con, "SELECT count(*) FROM affaire") == (0,)


def test_only_an_admin_imports(tmp_path: Path) -> None:
    con = new_base()
    manager = make_user(con, Role.MANAGER)
    with pytest.raises(PermissionDeniedError):
        import_mapped_file(con, manager, bad_file(tmp_path), load_mapping(con, "salesforce"))


def test_imported_history_is_dated_at_start_and_close(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.csv"
    path.write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "W1,Anna Snelling,GTX Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
        "E1,Anna Snelling,GTX Basic,Cancity,Engaging,2016-11-02,,\n",
        encoding="utf-8",
    )
    con = new_base()
    run(con, path, "maven")
    rows = con.execute(
        """
        SELECT a.source_id, v.version, CAST(v.valid_from AS DATE), v.statut, v.total_ht,
               v.date_cloture
        FROM affaire_version AS v
        JOIN affaire AS a ON a.id = v.affaire_id
        ORDER BY a.source_id, v.version
        """
    ).fetchall()
    assert rows == [
        ("E1", 1, dt.date(2016, 11, 2), "En cours", None, None),
        ("W1", 1, dt.date(2016, 10, 20), "En cours", None, None),
        ("W1", 2, dt.date(2017, 3, 1), "Gagnée", Decimal("1054.00"), dt.date(2017, 3, 1)),
    ]
    # While open, the won deal had the réussite of its étape (Analyse des besoins).
    assert one(
        con,
        "SELECT reussite FROM affaire_version WHERE version = 1 AND total_ht IS NULL "
        "AND affaire_id = (SELECT id FROM affaire WHERE source_id = 'W1')",
    ) == (40,)
    if ported_checks():
        assert integrity.check(con) == []


def small_maven(tmp_path: Path, lines: int = 150) -> Path:
    """A copy of the Maven export with its first and last lines only (open and closed deals)."""
    folder = copy("maven_crm", tmp_path)
    pipeline = folder / "sales_pipeline.csv"
    text = pipeline.read_text(encoding="utf-8").splitlines()
    pipeline.write_text(
        "\n".join([text[0], *text[1 : lines + 1], *text[-lines:]]) + "\n", encoding="utf-8"
    )
    return folder


def test_dry_runs_use_up_no_affaire_or_compte_number(tmp_path: Path) -> None:
    folder = small_maven(tmp_path)
    con = new_base()
    for _ in range(3):
        dry = run(con, folder / "sales_pipeline.csv", "maven", dry_run=True)
        assert dry.created == 300 and dry.comptes_crees
    report = run(con, folder / "sales_pipeline.csv", "maven")
    comptes = one(con, "SELECT count(*) FROM compte")[0]
    assert report.created == 300
    assert one(con, "SELECT min(id), max(id) FROM affaire") == (1, 300)
    assert one(con, "SELECT min(id), max(id) FROM compte") == (1, comptes)


def test_dry_run_of_a_reimport_naming_new_comptes_uses_up_no_number(tmp_path: Path) -> None:
    folder = small_maven(tmp_path, 5)
    con = new_base()
    run(con, folder / "sales_pipeline.csv", "maven")
    comptes = one(con, "SELECT count(*) FROM compte")[0]
    pipeline = folder / "sales_pipeline.csv"
    text = pipeline.read_text(encoding="utf-8").splitlines()
    first = text[1].split(",")
    first[3] = "Compte Nouveau"
    pipeline.write_text("\n".join([text[0], ",".join(first), *text[2:]]), encoding="utf-8")
    dry = run(con, pipeline, "maven", dry_run=True)
    assert dry.updated == 1
    run(con, pipeline, "maven")
    assert one(con, "SELECT id FROM compte WHERE nom = 'Compte Nouveau'") == (comptes + 1,)


def test_reimport_without_products_csv_keeps_the_familles_and_says_so(tmp_path: Path) -> None:
    folder = small_maven(tmp_path)
    con = new_base()
    run(con, folder / "sales_pipeline.csv", "maven")
    before = con.execute("SELECT id, famille_article FROM affaire ORDER BY id").fetchall()
    assert ("GTX Pro",) in con.execute("SELECT famille_article FROM affaire").fetchall()
    (folder / "products.csv").unlink()
    report = run(con, folder / "sales_pipeline.csv", "maven")
    after = con.execute("SELECT id, famille_article FROM affaire ORDER BY id").fetchall()
    assert after == before
    assert report.familles_creees == []
    assert one(con, "SELECT count(*) FROM famille_article WHERE nom = 'GTXPro'") == (0,)
    assert (
        "products.csv absent : les familles d'article déjà importées sont gardées."
        in report.summary()
    )


def test_open_maven_deals_weigh_their_products_list_price_in_the_pipe(tmp_path: Path) -> None:
    from crm_data.analyses.common import Filters
    from crm_data.analyses.pipe import pipe_by_etape

    folder = copy("maven_crm", tmp_path)
    con = new_base()
    run(con, folder / "sales_pipeline.csv", "maven")
    price = {
        r["product"].replace(" ", "").lower(): Decimal(r["sales_price"])
        for r in raw(folder / "products.csv")
    }
    open_deals = [
        r for r in raw(folder / "sales_pipeline.csv") if r["deal_stage"] not in ("Won", "Lost")
    ]
    expected = sum(price[r["product"].replace(" ", "").lower()] for r in open_deals)
    assert len(open_deals) > 2000
    if not ported_checks():
        return
    pipe = pipe_by_etape(con, admin(con), Filters())
    assert Decimal(str(pipe["ca_potentiel"].sum())) == expected
    assert int(pipe["nombre"].sum()) == len(open_deals)


def test_every_problem_of_a_rejected_mapped_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Id,Name,AccountId,StageName,Amount,CloseDate\n"
        f"1,{'N' * 201},Acme,Qualification,cent,31/02/2030\n",
        encoding="utf-8",
    )
    con = new_base()
    mapping = load_mapping(con, "salesforce")
    mapping.format_date = "auto"
    report = run(con, path, mapping)
    assert sorted(e.column for e in report.errors if e.line == 2) == [
        "Amount",
        "CloseDate",
        "Name",
    ]
