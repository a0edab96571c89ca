"""A3–A6 on small bases whose figures are worked out by hand."""

from __future__ import annotations

import math

import pytest

from crm_data.analyses.registry import (
    Filters,
    avoidable_share,
    losses_by_code,
    losses_matrix,
    monthly_revenue,
    objective,
    results_by_type,
    sales_summaries,
    sales_summary,
)
from tests.analyses_factory import D, new_affaire, new_base, new_named_user, new_won, rows

pytestmark = pytest.mark.usefixtures("engine")

Q1_2026 = Filters(du=D("2026-01-01"), au=D("2026-03-31"))


def test_results_by_type_on_an_empty_base_has_a_row_per_type_and_empty_rates() -> None:
    con, admin = new_base()
    assert rows(results_by_type(con, admin, Q1_2026)) == [
        ("Nouveau", 0, 0, 0, None, 0.0, None, None),
        ("Récurrent", 0, 0, 0, None, 0.0, None, None),
        ("Mise à jour", 0, 0, 0, None, 0.0, None, None),
    ]


def test_results_by_type_keeps_abandoned_out_of_the_rate_and_bounds_inclusive() -> None:
    con, admin = new_base()
    new_won(con, D("2025-12-02"), D("2026-01-01"), 1000)
    new_won(con, D("2026-03-21"), D("2026-03-31"), 3000)
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_cloture=D("2026-02-01"))
    new_affaire(con, statut="Abandonnée", date_cloture=D("2026-02-02"))
    new_affaire(con, statut="Gagnée", date_signature=D("2026-04-01"), total_ht=5)
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_debut=D("2025-12-31"))
    new_affaire(con, type="Récurrent", statut="Abandonnée", date_cloture=D("2026-03-01"))
    new_affaire(con, type="Récurrent", ca_potentiel=100)
    assert rows(results_by_type(con, admin, Q1_2026)) == [
        ("Nouveau", 2, 1, 1, round(2 / 3, 6), 4000.0, 2000.0, 20.0),
        ("Récurrent", 0, 0, 1, None, 0.0, None, None),
        ("Mise à jour", 0, 0, 0, None, 0.0, None, None),
    ]


def test_sales_summary_adds_up_every_type() -> None:
    con, admin = new_base()
    new_won(con, D("2026-01-01"), D("2026-01-11"), 100)
    new_won(con, D("2026-01-01"), D("2026-01-21"), 300, type="Récurrent")
    new_affaire(con, type="Mise à jour", statut="Perdue", code_cloture="Prix")
    new_affaire(con, statut="Abandonnée")
    assert rows(sales_summary(con, admin, Q1_2026)) == [(400.0, 2, 1, round(2 / 3, 6), 200.0, 15.0)]


def test_sales_summaries_give_each_period_its_own_summary_in_one_pass() -> None:
    con, admin = new_base()
    new_won(con, D("2025-01-01"), D("2025-02-10"), 50)
    new_won(con, D("2026-01-01"), D("2026-01-11"), 100)
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_cloture=D("2026-03-31"))
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_cloture=D("2026-04-01"))
    periods = [
        (D("2026-01-01"), D("2026-03-31")),
        (D("2025-01-01"), D("2025-03-31")),
        (D("2026-04-01"), D("2026-04-30")),
        (D("2024-01-01"), D("2024-12-31")),
    ]
    summaries = sales_summaries(con, admin, Q1_2026, periods)
    assert [rows(s) for s in summaries] == [
        [(100.0, 1, 1, 0.5, 100.0, 10.0)],
        [(50.0, 1, 0, 1.0, 50.0, 40.0)],
        [(0.0, 0, 1, 0.0, None, None)],
        [(0.0, 0, 0, None, None, None)],
    ]
    for (du, au), summary in zip(periods, summaries, strict=True):
        expected = sales_summary(con, admin, Filters(du=du, au=au))
        assert summary.equals(expected)


def _losses() -> tuple[object, ...]:
    con, admin = new_base()
    new_affaire(
        con, statut="Perdue", code_cloture="Prix", ca_potentiel=100, date_cloture=D("2026-01-01")
    )
    new_affaire(
        con, statut="Perdue", code_cloture="Prix", etape="Négociation", date_cloture=D("2026-03-31")
    )
    new_affaire(
        con,
        statut="Perdue",
        code_cloture="Projet annulé",
        etape="Négociation",
        ca_potentiel=300,
        date_cloture=D("2026-02-01"),
    )
    new_affaire(
        con,
        statut="Perdue",
        code_cloture="Concurrent",
        etape="Proposition commerciale",
        ca_potentiel=50,
        date_cloture=D("2026-02-01"),
    )
    new_affaire(
        con, statut="Abandonnée", code_cloture="Projet annulé", date_cloture=D("2026-02-01")
    )
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_cloture=D("2026-04-01"))
    return con, admin


def test_losses_by_code_counts_perdues_only_with_their_share_and_category() -> None:
    con, admin = _losses()
    frame = losses_by_code(con, admin, Q1_2026)  # type: ignore[arg-type]
    assert rows(frame) == [
        ("Prix", "interne", 2, 0.5, 100.0),
        ("Concurrent", "interne", 1, 0.25, 50.0),
        ("Projet annulé", "externe", 1, 0.25, 300.0),
    ]
    assert avoidable_share(frame) == 0.75


def test_losses_matrix_places_each_loss_at_the_etape_where_it_was_lost() -> None:
    con, admin = _losses()
    matrix = losses_matrix(con, admin, Q1_2026)  # type: ignore[arg-type]
    assert list(matrix.columns) == ["etape", "Prix", "Concurrent", "Projet annulé"]
    assert rows(matrix) == [
        ("Qualification", 1, 0, 0),
        ("Proposition commerciale", 0, 1, 0),
        ("Négociation", 1, 0, 1),
    ]


def test_losses_on_an_empty_base_are_empty_and_have_no_avoidable_share() -> None:
    con, admin = new_base()
    frame = losses_by_code(con, admin, Q1_2026)
    assert frame.empty
    assert avoidable_share(frame) is None
    assert losses_matrix(con, admin, Q1_2026).empty


def _signed(con: object, day: str, total: float, **fields: object) -> None:
    new_affaire(
        con,
        statut="Gagnée",
        date_debut=D("2024-06-01"),  # type: ignore[arg-type]
        date_signature=D(day),
        total_ht=total,
        **fields,
    )


def test_monthly_revenue_lists_every_month_beside_the_year_before() -> None:
    con, admin = new_base()
    _signed(con, "2026-01-15", 100)
    _signed(con, "2026-01-31", 200, type="Récurrent")
    _signed(con, "2026-03-31", 50)
    _signed(con, "2025-01-10", 70)
    _signed(con, "2025-03-31", 30)
    _signed(con, "2025-04-01", 999)
    _signed(con, "2026-04-01", 999)
    assert rows(monthly_revenue(con, admin, Q1_2026)) == [
        ("2026-01", 300.0, 2, 70.0),
        ("2026-02", 0.0, 0, 0.0),
        ("2026-03", 50.0, 1, 30.0),
    ]


def test_monthly_revenue_breaks_down_by_type() -> None:
    con, admin = new_base()
    _signed(con, "2026-01-15", 100)
    _signed(con, "2026-01-31", 200, type="Récurrent")
    _signed(con, "2025-01-10", 70, type="Récurrent")
    frame = monthly_revenue(con, admin, Q1_2026, by="type")
    assert list(frame.columns) == [
        "mois",
        "type",
        "ca_signe",
        "nombre",
        "ca_signe_annee_precedente",
    ]
    assert rows(frame) == [
        ("2026-01", "Nouveau", 100.0, 1, 0.0),
        ("2026-01", "Récurrent", 200.0, 1, 70.0),
    ]


def test_objective_compares_signed_with_expected_and_potential() -> None:
    con, admin = new_base()
    _signed(con, "2026-02-01", 900, ca_attendu=1000, ca_potentiel=1200)
    _signed(con, "2026-02-01", 100)
    new_affaire(con, ca_attendu=5000, ca_potentiel=5000)
    assert rows(objective(con, admin, Q1_2026)) == [
        (1000.0, 1000.0, 1.0, 1200.0, round(1 - 1000 / 1200, 6)),
    ]


def test_objective_on_an_empty_base_has_empty_ratios() -> None:
    con, admin = new_base()
    frame = objective(con, admin, Q1_2026)
    assert frame.loc[0, "ca_signe"] == 0
    assert math.isnan(frame.loc[0, "realisation"])
    assert math.isnan(frame.loc[0, "remise"])


def test_a_period_ending_28_february_is_compared_up_to_29_february_a_year_earlier() -> None:
    con, admin = new_base()
    _signed(con, "2024-02-28", 1000)
    _signed(con, "2024-02-29", 1000)
    _signed(con, "2025-02-28", 500)
    february = Filters(du=D("2025-02-01"), au=D("2025-02-28"))
    assert rows(monthly_revenue(con, admin, february)) == [("2025-02", 500.0, 1, 2000.0)]


def test_a_period_ending_29_february_is_compared_up_to_28_february_a_year_earlier() -> None:
    con, admin = new_base()
    _signed(con, "2023-02-28", 300)
    _signed(con, "2024-02-29", 100)
    leap = Filters(du=D("2024-02-01"), au=D("2024-02-29"))
    assert rows(monthly_revenue(con, admin, leap)) == [("2024-02", 100.0, 1, 300.0)]


def test_monthly_revenue_by_famille_keeps_affaires_without_famille_as_an_empty_group() -> None:
    con, admin = new_base()
    _signed(con, "2026-01-15", 100, famille_article="Logiciel")
    _signed(con, "2026-01-20", 40)
    _signed(con, "2025-01-20", 7)
    frame = monthly_revenue(con, admin, Q1_2026, by="famille_article")
    assert rows(frame) == [("2026-01", "", 40.0, 1, 7.0), ("2026-01", "Logiciel", 100.0, 1, 0.0)]


def test_monthly_revenue_by_gestion_par_keeps_two_users_with_the_same_name_apart() -> None:
    con, admin = new_base()
    first = new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    _signed(con, "2026-01-15", 100, gestion_par=first.id)
    _signed(con, "2026-01-20", 40, gestion_par=second.id)
    frame = monthly_revenue(con, admin, Q1_2026, by="gestion_par")
    assert rows(frame) == [
        ("2026-01", "Martin Dupont (mdupont)", 100.0, 1, 0.0, first.id),
        ("2026-01", "Martin Dupont (mdupont2)", 40.0, 1, 0.0, second.id),
    ]
