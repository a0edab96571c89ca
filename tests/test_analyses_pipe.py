"""A1, A2, A7 and A9 on small bases whose figures are worked out by hand."""

from __future__ import annotations

import pytest

from crm_data.affaires_list import affaire_ids
from crm_data.analyses.drill import quality_check
from crm_data.analyses.registry import (
    QUALITY_CHECKS,
    Filters,
    by_commercial,
    commercial_figures,
    data_quality,
    forecast,
    pipe_by_etape,
)
from crm_data.model import Role
from tests.analyses_factory import (
    D,
    new_action,
    new_affaire,
    new_base,
    new_named_user,
    new_user,
    rows,
)

pytestmark = pytest.mark.usefixtures("engine")

YEAR_2026 = Filters(du=D("2026-01-01"), au=D("2026-12-31"), today=D("2026-06-15"))


def test_pipe_lists_every_etape_in_order_with_zeros_on_an_empty_base() -> None:
    con, admin = new_base()
    assert rows(pipe_by_etape(con, admin, YEAR_2026)) == [
        ("Qualification", 0, 0.0, 0.0, 0.0),
        ("Analyse des besoins", 0, 0.0, 0.0, 0.0),
        ("Proposition commerciale", 0, 0.0, 0.0, 0.0),
        ("Négociation", 0, 0.0, 0.0, 0.0),
    ]


def test_pipe_weights_open_affaires_and_counts_null_amounts_as_zero() -> None:
    con, admin = new_base()
    new_affaire(con, ca_potentiel=1000, reussite=20, ca_attendu=500)
    new_affaire(con, ca_potentiel=None, reussite=20)
    new_affaire(con, etape="Négociation", ca_potentiel=2000.5, reussite=80)
    new_affaire(con, etape="Négociation", statut="Gagnée", ca_potentiel=9999, total_ht=9)
    new_affaire(con, etape="Négociation", statut="Perdue", code_cloture="Prix", ca_potentiel=7)
    assert rows(pipe_by_etape(con, admin, YEAR_2026)) == [
        ("Qualification", 2, 1000.0, 200.0, 500.0),
        ("Analyse des besoins", 0, 0.0, 0.0, 0.0),
        ("Proposition commerciale", 0, 0.0, 0.0, 0.0),
        ("Négociation", 1, 2000.5, 1600.4, 0.0),
    ]


def test_pipe_of_a_commercial_covers_only_their_own_affaires() -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    bob = new_user(con, "bob")
    new_affaire(con, gestion_par=alice.id, ca_potentiel=100, reussite=50)
    new_affaire(con, gestion_par=bob.id, ca_potentiel=900, reussite=50)
    first = rows(pipe_by_etape(con, alice, YEAR_2026))[0]
    assert first == ("Qualification", 1, 100.0, 50.0, 0.0)
    assert rows(pipe_by_etape(con, admin, YEAR_2026))[0] == ("Qualification", 2, 1000.0, 500.0, 0.0)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(types=("Récurrent",)), 1),
        (Filters(familles=("Logiciel",)), 1),
        (Filters(types=("Récurrent",), familles=("Logiciel",)), 0),
        (Filters(), 2),
    ],
)
def test_pipe_applies_type_and_famille_filters(filters: Filters, expected: int) -> None:
    con, admin = new_base()
    new_affaire(con, type="Récurrent")
    new_affaire(con, famille_article="Logiciel")
    assert int(pipe_by_etape(con, admin, filters)["nombre"].sum()) == expected


def test_pipe_keeps_an_inactive_etape_only_while_it_holds_affaires() -> None:
    con, admin = new_base()
    con.execute(
        "UPDATE etape SET actif = FALSE WHERE nom IN ('Analyse des besoins', 'Négociation')"
    )
    new_affaire(con, etape="Négociation", ca_potentiel=10, reussite=10)
    assert pipe_by_etape(con, admin, YEAR_2026)["etape"].tolist() == [
        "Qualification",
        "Proposition commerciale",
        "Négociation",
    ]


def test_forecast_buckets_late_months_and_undated_affaires() -> None:
    con, admin = new_base()
    new_affaire(con, date_fin=D("2026-06-14"), ca_potentiel=100, reussite=50, ca_attendu=40)
    new_affaire(con, date_fin=D("2026-06-15"), ca_potentiel=200, reussite=10)
    new_affaire(con, date_fin=D("2026-08-01"), ca_potentiel=300, reussite=20, ca_attendu=100)
    new_affaire(con, date_fin=D("2026-08-31"), ca_potentiel=None, reussite=20, ca_attendu=50)
    new_affaire(con, date_fin=None, ca_potentiel=1000, reussite=100)
    new_affaire(con, date_fin=D("2026-08-31"), statut="Abandonnée", ca_potentiel=5)
    assert rows(forecast(con, admin, YEAR_2026)) == [
        ("En retard", 1, 40.0, 50.0, 100.0),
        ("2026-06", 1, 0.0, 20.0, 200.0),
        ("2026-08", 2, 150.0, 60.0, 300.0),
        ("Sans date", 1, 0.0, 1000.0, 1000.0),
    ]


def test_forecast_is_empty_without_open_affaires() -> None:
    con, admin = new_base()
    new_affaire(con, statut="Gagnée", total_ht=1)
    frame = forecast(con, admin, YEAR_2026)
    assert frame.empty
    assert list(frame.columns) == ["mois", "nombre", "bas", "pondere", "haut"]


def _two_commerciaux() -> tuple[object, ...]:
    con, admin = new_base()
    alice = new_user(con, "alice")
    bob = new_user(con, "bob")
    a1 = new_affaire(con, gestion_par=alice.id, ca_potentiel=1000, reussite=50)
    new_affaire(con, gestion_par=alice.id, ca_potentiel=500, reussite=20)
    new_affaire(
        con, gestion_par=alice.id, statut="Gagnée", total_ht=400, date_signature=D("2026-03-01")
    )
    new_affaire(con, gestion_par=alice.id, statut="Perdue", code_cloture="Prix")
    new_affaire(con, gestion_par=bob.id, statut="Perdue", code_cloture="Prix")
    new_affaire(
        con, gestion_par=bob.id, statut="Gagnée", total_ht=7, date_signature=D("2025-12-31")
    )
    new_action(
        con, a1, D("2026-02-01"), fait=True, fait_le=D("2026-02-02"), utilisateur_id=alice.id
    )
    new_action(con, a1, D("2026-02-01"), fait=True, utilisateur_id=alice.id)
    new_action(con, a1, D("2026-02-01"), fait=False, utilisateur_id=alice.id)
    new_action(con, a1, D("2025-02-01"), fait=True, utilisateur_id=bob.id)
    return con, admin, alice


def test_by_commercial_splits_open_pipe_and_period_results_per_user() -> None:
    con, admin, _ = _two_commerciaux()
    assert rows(by_commercial(con, admin, YEAR_2026)) == [  # type: ignore[arg-type]
        ("Alice", 2, 600.0, 1, 1, 400.0, 0.5, 2),
        ("Bob", 0, 0.0, 0, 1, 0.0, 0.0, 0),
    ]


def test_by_commercial_lists_a_user_whose_affaires_all_closed_before_the_period() -> None:
    con, admin, _ = _two_commerciaux()
    carl = new_user(con, "carl")
    new_affaire(
        con, gestion_par=carl.id, statut="Perdue", code_cloture="Prix", date_cloture=D("2025-05-01")
    )
    new_user(con, "dora")  # no affaire, no action: no row
    frame = by_commercial(con, admin, YEAR_2026).set_index("gestion_par")
    assert frame.index.tolist() == ["Alice", "Bob", "Carl"]
    carl_row = frame.loc["Carl"]
    assert carl_row[["nombre_ouvertes", "gagnees", "perdues", "actions_faites"]].tolist() == [
        0,
        0,
        0,
        0,
    ]
    assert (carl_row["ca_pondere"], carl_row["ca_signe"]) == (0.0, 0.0)


def test_by_commercial_shows_a_commercial_only_their_own_row() -> None:
    con, _, alice = _two_commerciaux()
    frame = by_commercial(con, alice, YEAR_2026)  # type: ignore[arg-type]
    assert frame["gestion_par"].tolist() == ["Alice"]


def test_data_quality_counts_each_problem_of_open_affaires() -> None:
    con, admin = new_base()
    manager = new_user(con, "marie", Role.MANAGER)
    compte = con.execute("INSERT INTO compte (nom, nom_cle) VALUES ('X', 'x') RETURNING id")
    compte_id = int(compte.fetchone()[0])  # type: ignore[index]
    contact = con.execute(
        "INSERT INTO contact (compte_id, nom) VALUES (?, 'Durand') RETURNING id", [compte_id]
    ).fetchone()
    contact_id = int(contact[0])  # type: ignore[index]
    recent = {"compte_id": compte_id, "contact_id": contact_id, "updated_at": D("2026-06-10")}
    new_affaire(con, date_fin=D("2026-06-01"), updated_at=D("2026-05-01"))
    new_affaire(con, **recent, ca_potentiel=100, date_fin=D("2026-06-15"))
    new_affaire(con, **recent, ca_potentiel=10)
    new_affaire(con, statut="Perdue", code_cloture="Prix", date_fin=D("2026-02-01"))
    frame = data_quality(con, manager, YEAR_2026)
    assert frame["controle"].tolist() == list(QUALITY_CHECKS.values())
    assert frame["nombre"].tolist() == [1, 1, 1, 1, 0, 0]
    assert data_quality(con, admin, Filters(types=("Récurrent",)))["nombre"].sum() == 0


@pytest.mark.parametrize(
    ("etape", "saved", "done", "dormante"),
    [
        ("Qualification", "2026-05-31", None, True),
        ("Qualification", "2026-06-01", None, False),
        ("Analyse des besoins", "2026-05-31", None, False),
        ("Analyse des besoins", "2026-05-24", None, True),
        ("Qualification", "2026-04-01", "2026-06-05", False),
        ("Qualification", "2026-04-01", "2026-05-01", True),
    ],
)
def test_the_dormant_check_counts_affaires_idle_beyond_their_etape_threshold(
    etape: str, saved: str, done: str | None, dormante: bool
) -> None:
    # 15 June: Qualification allows 14 days without activity, Analyse des besoins 21; the last
    # activity is the later of the last save and the last action done.
    con, admin = new_base()
    affaire_id = new_affaire(con, etape=etape, updated_at=D(saved))
    new_action(con, affaire_id, D("2026-06-14"))
    if done is not None:
        new_action(con, affaire_id, D(done), fait=True, fait_le=D(done))
    figures = dict(zip(QUALITY_CHECKS, data_quality(con, admin, YEAR_2026)["nombre"], strict=True))
    assert figures["dormantes"] == int(dormante)
    listed = affaire_ids(con, admin, quality_check(YEAR_2026, "dormantes"))
    assert listed == ([affaire_id] if dormante else [])


def _half_cents(con: object) -> None:
    # 3.01 × 50 % = 1.505 and three times 0.67 × 50 % = 1.005: half a cent each time.
    new_affaire(con, ca_potentiel=3.01, reussite=50, date_fin=D("2026-07-01"))  # type: ignore[arg-type]
    for _ in range(3):
        new_affaire(
            con,  # type: ignore[arg-type]
            etape="Négociation",
            ca_potentiel=0.67,
            reussite=50,
            date_fin=D("2026-08-01"),
        )


def test_pipe_weighs_half_cents_exactly_and_rounds_half_up_once() -> None:
    con, admin = new_base()
    _half_cents(con)
    frame = pipe_by_etape(con, admin, YEAR_2026)
    assert frame["ca_pondere"].tolist() == [1.51, 0.0, 0.0, 1.01]


def test_forecast_weighs_half_cents_exactly_and_rounds_half_up_once() -> None:
    con, admin = new_base()
    _half_cents(con)
    frame = forecast(con, admin, YEAR_2026)
    assert frame["pondere"].tolist() == [1.51, 1.01]


def test_by_commercial_weighs_half_cents_exactly_and_rounds_half_up_once() -> None:
    con, admin = new_base()
    new_affaire(con, ca_potentiel=3.01, reussite=50)
    new_affaire(con, ca_potentiel=2.01, reussite=50)
    assert by_commercial(con, admin, YEAR_2026)["ca_pondere"].tolist() == [2.51]


def test_by_commercial_keeps_two_users_with_the_same_name_apart_by_their_login() -> None:
    con, admin = new_base()
    first = new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    new_named_user(con, "jdurand", "Jeanne Durand")
    new_affaire(con, gestion_par=first.id, ca_potentiel=100, reussite=50)
    new_affaire(con, gestion_par=second.id, ca_potentiel=300, reussite=50)
    frame = by_commercial(con, admin, YEAR_2026)
    assert rows(frame[["gestion_par", "nombre_ouvertes", "ca_pondere"]]) == [
        ("Martin Dupont (mdupont)", 1, 50.0),
        ("Martin Dupont (mdupont2)", 1, 150.0),
    ]
    assert "gestion_par_id" not in frame.columns


def test_commercial_figures_carry_each_users_id_for_the_drill_down() -> None:
    con, admin = new_base()
    first = new_named_user(con, "mdupont", "Martin Dupont")
    second = new_named_user(con, "mdupont2", "Martin Dupont")
    new_affaire(con, gestion_par=first.id)
    new_affaire(con, gestion_par=second.id)
    frame = commercial_figures(con, admin, YEAR_2026)
    assert frame["gestion_par_id"].tolist() == [first.id, second.id]
