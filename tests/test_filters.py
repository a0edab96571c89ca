"""The one filter model of the list, the analyses and the drill-downs, and its one WHERE builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_data.affaires_list import list_totals
from crm_data.analyses import drill as analyses_drill
from crm_data.analyses.registry import pipe_by_etape, sales_summary
from crm_data.filters import Filters
from crm_data.model import Role
from tests.analyses_factory import D, new_affaire, new_base, new_user

pytestmark = pytest.mark.usefixtures("engine")

CRM_DATA = Path(__file__).resolve().parent.parent / "crm_data"


def _written(fragment: str) -> list[str]:
    return sorted(p.name for p in CRM_DATA.rglob("*.py") if fragment in p.read_text("utf-8"))


def test_filters_given_as_tuples_equal_the_same_filters_given_as_lists() -> None:
    assert Filters(types=("Nouveau",), gestion_par=(3,)) == Filters(
        types=["Nouveau"], gestion_par=[3]
    )


def test_a_drill_down_keeps_every_affaire_filter_and_drops_the_period_and_the_day() -> None:
    asked = Filters(
        du=D("2026-01-01"), au=D("2026-03-31"), today=D("2026-02-01"), types=["Récurrent"]
    )
    assert analyses_drill.base(asked) == Filters(types=["Récurrent"])


def test_the_list_and_the_pipe_count_the_same_open_affaires_for_the_same_filters() -> None:
    con, admin = new_base()
    new_affaire(con, type="Récurrent", famille_article="Logiciel")
    new_affaire(con, type="Récurrent")
    new_affaire(con, type="Nouveau", famille_article="Logiciel")
    asked = Filters(types=["Récurrent"], familles=["Logiciel"])
    pipe = int(pipe_by_etape(con, admin, asked)["nombre"].sum())
    shown = list_totals(con, admin, analyses_drill.open_at_etape(asked)).nombre
    assert (pipe, shown) == (1, 1)


def test_an_analysis_applies_the_list_filters_too() -> None:
    con, admin = new_base()
    new_affaire(
        con, nom="Serveur Lyon", statut="Gagnée", total_ht=100, date_signature=D("2026-02-01")
    )
    new_affaire(con, nom="Licences", statut="Gagnée", total_ht=40, date_signature=D("2026-02-02"))
    asked = Filters(du=D("2026-01-01"), au=D("2026-12-31"), search="serveur")
    assert int(sales_summary(con, admin, asked)["gagnees"].iloc[0]) == 1


def test_a_commercial_sees_only_their_own_affaires_in_the_list_and_the_analyses() -> None:
    con, _admin = new_base()
    alice = new_user(con, "alice", Role.COMMERCIAL)
    new_affaire(con, gestion_par=alice.id)
    new_affaire(con)
    pipe = int(pipe_by_etape(con, alice, Filters())["nombre"].sum())
    assert (pipe, list_totals(con, alice, Filters()).nombre) == (1, 1)


def test_the_visibility_rule_is_written_once_with_one_spelling_of_its_parameters() -> None:
    assert _written("CAST($sees_everything AS BOOLEAN) OR a.gestion_par = $actor_id") == ["sql.py"]


def test_the_closing_date_of_spec_3_is_written_once() -> None:
    assert _written("THEN a.date_signature ELSE a.date_cloture") == ["sql.py"]


def test_the_weighted_amount_of_spec_3_is_written_once() -> None:
    assert _written("coalesce(a.reussite, 0)") == ["sql.py"]
