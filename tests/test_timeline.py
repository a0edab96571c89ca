"""A10–A13 on hand-built sequences of saves with controlled timestamps, every figure worked out by
hand (see `_scenario`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pandas as pd
import pytest

from crm_data.affaires_list import affaire_ids
from crm_data.analyses import drill, timeline
from crm_data.analyses.registry import (
    QUALITY_CHECKS,
    Filters,
    by_commercial,
    data_quality,
    forecast,
    forecast_reliability,
    movement_affaires,
    movements,
    pipe_by_etape,
    sales_summary,
    slipping,
    velocities,
    velocity,
)
from crm_data.model import Actor, CrmError
from crm_data.store.db import Connection
from crm_data.users import get_actor
from tests import engines
from tests.analyses_factory import D, new_base, new_user, rows
from tests.versions_factory import create, delete, save

Scenario = tuple[Connection, Actor, dict[str, int]]
D1, D2 = D("2026-03-31"), D("2026-04-30")
APRIL = (D("2026-04-01"), D("2026-04-30"))
MARCH_TO_APRIL = Filters(du=D1, au=D2)


def _scenario(target: str | None = None) -> Scenario:
    """Affaires saved between March and May 2026 (date fin 20/04 unless said), D1 = 31/03,
    D2 = 30/04; CA potentiel × réussite, the state at D1 → at D2:

    A stable 1000×20 | B created 10/04 400×40 (28/04) | C 2000×60 (Proposition) won 15/04 for
    1900 | D 700×20 lost 05/04 | E 300×20 abandoned 06/04 | F 600×20 lost 20/03, reopened 12/04
    | G 1000×40, 1500 on 25/03, 1800 on 10/04, 1200 on 20/04 | H 500×50, 800 on 08/04 | I 900×20
    date fin 25/04 → 10/06 on 03/04 → 28/04 on 18/04 | J 250×20 date fin 22/04 → 01/07 on 14/04
    | K 5000 deleted | L 350×20 alice's, bruno's from 09/04 | M 100×20 saved 31/03 at 23:59:59 |
    N saved 01/05 at 00:00 (after D2).
    """
    con, admin = new_base(target)
    alice = new_user(con, "alice")
    bruno = new_user(con, "bruno")
    fin = {"date_fin": D("2026-04-20")}
    ids = {
        "A": create(con, "2026-03-01T09:00", ca_potentiel=1000, **fin),
        "C": create(
            con,
            "2026-03-02T09:00",
            ca_potentiel=2000,
            reussite=60,
            etape="Proposition commerciale",
            **fin,
        ),
        "D": create(con, "2026-03-03T09:00", ca_potentiel=700, **fin),
        "E": create(con, "2026-03-04T09:00", ca_potentiel=300, **fin),
        "F": create(con, "2026-03-05T09:00", ca_potentiel=600, **fin),
        "G": create(con, "2026-03-06T09:00", ca_potentiel=1000, reussite=40, **fin),
        "H": create(con, "2026-03-07T09:00", ca_potentiel=500, reussite=50, **fin),
        "I": create(con, "2026-03-08T09:00", ca_potentiel=900, date_fin=D("2026-04-25")),
        "J": create(con, "2026-03-09T09:00", ca_potentiel=250, date_fin=D("2026-04-22")),
        "K": create(con, "2026-03-10T09:00", ca_potentiel=5000, **fin),
        "L": create(con, "2026-03-11T09:00", ca_potentiel=350, gestion_par=alice.id, **fin),
        "M": create(con, "2026-03-31T23:59:59", ca_potentiel=100, **fin),
    }
    save(con, ids["F"], "2026-03-20T10:00", statut="Perdue", code_cloture="Prix")
    save(con, ids["G"], "2026-03-25T10:00", ca_potentiel=1500)
    save(con, ids["I"], "2026-04-03T10:00", date_fin=D("2026-06-10"))
    delete(con, ids.pop("K"))
    save(con, ids["D"], "2026-04-05T10:00", statut="Perdue", code_cloture="Prix")
    save(con, ids["E"], "2026-04-06T10:00", statut="Abandonnée")
    save(con, ids["H"], "2026-04-08T10:00", ca_potentiel=800)
    save(con, ids["L"], "2026-04-09T10:00", gestion_par=bruno.id)
    ids["B"] = create(
        con, "2026-04-10T09:00", ca_potentiel=400, reussite=40, date_fin=D("2026-04-28")
    )
    save(con, ids["G"], "2026-04-10T10:00", ca_potentiel=1800)
    save(con, ids["F"], "2026-04-12T10:00", statut="En cours", reussite=20)
    save(con, ids["J"], "2026-04-14T10:00", date_fin=D("2026-07-01"))
    save(con, ids["C"], "2026-04-15T10:00", statut="Gagnée", total_ht=1900)
    save(con, ids["I"], "2026-04-18T10:00", date_fin=D("2026-04-28"))
    save(con, ids["G"], "2026-04-20T10:00", ca_potentiel=1200)
    ids["N"] = create(con, "2026-05-01T00:00", ca_potentiel=10_000, date_fin=D("2026-05-20"))
    ids["alice"], ids["bruno"] = alice.id, bruno.id
    return con, admin, ids


@pytest.fixture(scope="module", params=engines.ENGINES)
def scenario(request: pytest.FixtureRequest) -> Iterator[Scenario]:
    target = engines.module_target(request.param)
    built = _scenario(target)
    yield built
    built[0].close()
    engines.drop_target(target)


def _waterfall(frame: object) -> list[tuple[object, ...]]:
    return rows(frame)


def test_movements_in_ca_potentiel_add_up_to_the_end(scenario: Scenario) -> None:
    con, admin, _ = scenario
    assert _waterfall(movements(con, admin, MARCH_TO_APRIL)) == [
        ("debut", 10, 7600.0),
        ("nouvelles", 1, 400.0),
        ("entrees", 1, 600.0),
        ("hausses", 1, 300.0),
        ("baisses", 1, -300.0),
        ("gagnees", 1, -2000.0),
        ("perdues", 1, -700.0),
        ("abandonnees", 1, -300.0),
        ("sorties", 0, 0.0),
        ("fin", 9, 5600.0),
    ]


def test_movements_in_ca_pondere_weigh_each_state_by_its_reussite(scenario: Scenario) -> None:
    con, admin, _ = scenario
    frame = movements(con, admin, MARCH_TO_APRIL, "ca_pondere")
    assert frame["montant"].tolist() == [2770, 160, 120, 150, -120, -1200, -140, -60, 0, 1680]


def test_a_date_fin_out_of_the_window_leaves_and_one_moved_back_stays(
    scenario: Scenario,
) -> None:
    con, admin, _ = scenario
    frame = movements(con, admin, MARCH_TO_APRIL, fenetre=APRIL)
    assert frame.set_index("categorie").loc["sorties"].tolist() == [1, -250.0]
    assert frame.set_index("categorie").loc["fin"].tolist() == [8, 5350.0]
    drilled = movement_affaires(con, admin, MARCH_TO_APRIL, "sorties", fenetre=APRIL)
    assert drilled["id"].tolist() == [scenario[2]["J"]]


def test_a_reassigned_affaire_leaves_one_commercial_for_the_other(
    scenario: Scenario,
) -> None:
    con, admin, ids = scenario
    alice = movements(con, admin, replace(MARCH_TO_APRIL, gestion_par=[ids["alice"]]))
    bruno = movements(con, admin, replace(MARCH_TO_APRIL, gestion_par=[ids["bruno"]]))
    assert alice.set_index("categorie")["montant"].to_dict() == {
        **dict.fromkeys(alice["categorie"], 0.0),
        "debut": 350.0,
        "sorties": -350.0,
    }
    assert bruno.set_index("categorie")["montant"].to_dict() == {
        **dict.fromkeys(bruno["categorie"], 0.0),
        "entrees": 350.0,
        "fin": 350.0,
    }


def test_every_movement_drills_down_to_its_affaires_with_both_values(scenario: Scenario) -> None:
    con, admin, ids = scenario
    frame = movement_affaires(con, admin, MARCH_TO_APRIL)
    by_id = frame.set_index("id")
    assert by_id.loc[ids["G"], ["categorie", "valeur_debut", "valeur_fin"]].tolist() == [
        "baisses",
        1500.0,
        1200.0,
    ]
    assert by_id.loc[ids["C"], ["statut_debut", "statut_fin"]].tolist() == ["En cours", "Gagnée"]
    assert pd.isna(by_id.loc[ids["B"], "statut_debut"])
    assert ids["A"] in by_id.index
    assert by_id["categorie"].isna().sum() == 5  # A, I, J, L, M: in the pipe twice, same value
    won = movement_affaires(con, admin, MARCH_TO_APRIL, "gagnees")
    target = drill.affaires(won["id"].tolist())
    assert target is not None
    assert affaire_ids(con, admin, target) == [ids["C"]]
    assert drill.affaires([]) is None


def test_a_day_ends_after_its_last_second_before_next_midnight(
    scenario: Scenario,
) -> None:
    con, admin, ids = scenario
    debut = movement_affaires(con, admin, MARCH_TO_APRIL, "debut")
    assert ids["M"] in debut["id"].tolist()
    fin = movement_affaires(con, admin, MARCH_TO_APRIL, "fin")
    assert ids["N"] not in fin["id"].tolist()


@pytest.mark.parametrize(
    ("valeur", "fenetre", "gestion_par", "login"),
    [
        ("ca_potentiel", None, None, None),
        ("ca_pondere", APRIL, None, None),
        ("ca_potentiel", None, "bruno", None),
        ("ca_potentiel", None, None, "bruno"),
    ],
)
def test_movements_to_today_read_the_affaires_as_they_are_with_the_same_figures(
    scenario: Scenario,
    monkeypatch: pytest.MonkeyPatch,
    valeur: str,
    fenetre: tuple[dt.date, dt.date] | None,
    gestion_par: str | None,
    login: str | None,
) -> None:
    """After every save, D2's pipe is today's affaires and D1's is derived from the changed
    ones: the created (B, N), deleted (K), reassigned (L), changed twice (G) and saved at
    D1's last second (M) move as when every state of both days is read, for the admin and
    for a commercial (who sees their own affaires only, L among them)."""
    con, admin, ids = scenario
    if login is not None:
        admin = get_actor(con, login)
    users = [ids[gestion_par]] if gestion_par else []
    up_to_today = Filters(du=D1, au=dt.date.today(), gestion_par=users)
    taken: list[bool] = []
    is_live = timeline._d2_is_live
    monkeypatch.setattr(
        timeline, "_d2_is_live", lambda cur, values: taken.append(is_live(cur, values)) or taken[-1]
    )
    live = movements(con, admin, up_to_today, valeur, fenetre)
    movements(con, admin, MARCH_TO_APRIL, valeur, fenetre)
    assert taken == [True, False]  # N was saved after D2 = 30/04
    monkeypatch.setattr(timeline, "_d2_is_live", lambda cur, values: False)
    assert rows(live) == rows(movements(con, admin, up_to_today, valeur, fenetre))


@pytest.mark.usefixtures("engine")
def test_movements_round_running_totals_so_the_bars_add_up_to_the_cent() -> None:
    con, admin = new_base()
    create(con, "2026-03-01T09:00", ca_potentiel=0.01, reussite=50)
    create(con, "2026-04-01T09:00", ca_potentiel=0.01, reussite=50)
    frame = movements(con, admin, MARCH_TO_APRIL, "ca_pondere").set_index("categorie")
    assert frame.loc["debut", "montant"] == 0.01  # 0.005 rounded half-up
    assert frame.loc["fin", "montant"] == 0.01
    assert frame["montant"].iloc[:-1].sum() == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("valeur", "du", "au", "message"),
    [
        ("ca_total", D1, D2, "Valeur inconnue"),
        ("ca_potentiel", D2, D1, "date --du avant"),
        ("ca_potentiel", D1, D1, "date --du avant"),
    ],
)
@pytest.mark.usefixtures("engine")
def test_movements_refuse_an_unknown_value_or_dates_out_of_order(
    valeur: str, du: dt.date, au: dt.date, message: str
) -> None:
    con, admin = new_base()
    with pytest.raises(CrmError, match=message):
        movements(con, admin, Filters(du=du, au=au), valeur)


def test_pipe_on_a_past_day_is_a1_over_that_day_s_states(scenario: Scenario) -> None:
    con, admin, ids = scenario
    frame = pipe_by_etape(con, admin, Filters(le=D1))
    assert rows(frame) == [
        ("Qualification", 9, 5600.0, 1570.0, 0.0),
        ("Analyse des besoins", 0, 0.0, 0.0, 0.0),
        ("Proposition commerciale", 1, 2000.0, 1200.0, 0.0),
        ("Négociation", 0, 0.0, 0.0, 0.0),
    ]
    alice = pipe_by_etape(con, admin, Filters(le=D1, gestion_par=[ids["alice"]]))
    assert alice["nombre"].sum() == 1
    assert (
        pipe_by_etape(con, admin, Filters(le=D2, gestion_par=[ids["alice"]]))["nombre"].sum() == 0
    )
    assert pipe_by_etape(con, admin, Filters(le=D("2026-02-28")))["nombre"].sum() == 0


def test_forecast_and_commerciaux_on_a_past_day_read_that_day(scenario: Scenario) -> None:
    con, admin, _ = scenario
    prevision = forecast(con, admin, Filters(le=D1))
    assert rows(prevision) == [("2026-04", 10, 0.0, 2770.0, 7600.0)]
    late = forecast(con, admin, Filters(le=D("2026-04-21")))
    assert "En retard" in late["mois"].tolist()
    commerciaux = by_commercial(con, admin, Filters(le=D1, du=D("2026-03-01"), au=D1))
    alice = commerciaux.set_index("gestion_par").loc["Alice"]
    assert (alice["nombre_ouvertes"], alice["ca_pondere"]) == (1, 70.0)


@pytest.mark.usefixtures("engine")
def test_pipe_on_today_equals_the_live_pipe() -> None:
    con, admin, _ = _scenario()
    today = dt.date.today()
    # The scenario's saves are in the past: bring its last states to now.
    con.execute("UPDATE affaire_version SET valid_from = valid_from - INTERVAL '1 day'")
    for name in ("pipe", "prevision"):
        live = {"pipe": pipe_by_etape, "prevision": forecast}[name]
        assert rows(live(con, admin, Filters(le=today))) == rows(live(con, admin, Filters()))


def test_reliability_compares_the_pipe_of_the_eve_with_the_signed(
    scenario: Scenario,
) -> None:
    con, admin, _ = scenario
    frame = forecast_reliability(con, admin, Filters(du=D("2026-04-01"), au=D("2026-05-31")))
    assert rows(frame) == [
        ("2026-04", 2770.0, 7600.0, 1900.0, round(1900 / 2770, 6)),
        ("2026-05", 0.0, 0.0, 0.0, None),
    ]


def test_reliability_per_commercial_takes_the_commercial_of_the_eve(
    scenario: Scenario,
) -> None:
    con, admin, _ = scenario
    period = Filters(du=D("2026-04-01"), au=D("2026-04-30"))
    frame = forecast_reliability(con, admin, period, by="gestion_par")
    assert rows(frame) == [
        ("Administrateur local", "2026-04", 2700.0, 7250.0, 1900.0, round(1900 / 2700, 6)),
        ("Alice", "2026-04", 70.0, 350.0, 0.0, 0.0),
    ]


def _slipping_base() -> tuple[Connection, Actor, int, int]:
    con, admin = new_base()
    often = create(con, "2026-03-01T09:00")
    for i, day in enumerate(["2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01"]):
        save(con, often, f"2026-03-1{i}T09:00", date_fin=D(day))
    once = create(con, "2026-03-01T10:00", date_fin=D("2026-05-10"))
    save(con, once, "2026-03-05T09:00", date_fin=D("2026-04-10"))
    save(con, once, "2026-03-06T09:00", date_fin=D("2026-05-20"))
    closed = create(con, "2026-03-01T11:00", date_fin=D("2026-05-10"))
    save(con, closed, "2026-03-05T09:00", date_fin=D("2026-06-10"))
    save(con, closed, "2026-03-06T09:00", statut="Perdue", code_cloture="Prix")
    return con, admin, often, once


@pytest.mark.usefixtures("engine")
def test_slipping_counts_every_later_date_fin_of_open_affaires() -> None:
    con, admin, often, once = _slipping_base()
    frame = slipping(con, admin, Filters())
    assert rows(frame[["id", "reports", "date_fin", "premiere_date_fin"]]) == [
        (often, 3, pd.Timestamp("2026-08-01"), pd.Timestamp("2026-05-01")),
        (once, 1, pd.Timestamp("2026-05-20"), pd.Timestamp("2026-05-10")),
    ]
    assert frame.columns.tolist() == [
        "id",
        "nom",
        "gestion_par",
        "date_fin",
        "reports",
        "premiere_date_fin",
    ]
    assert slipping(con, admin, Filters(), limit=1)["id"].tolist() == [often]


@pytest.mark.usefixtures("engine")
def test_quality_counts_dates_fin_pushed_three_times_and_drills_to_them() -> None:
    con, admin, often, _ = _slipping_base()
    quality = data_quality(con, admin, Filters())
    figures = dict(zip(QUALITY_CHECKS, quality["nombre"], strict=True))
    assert figures["date_fin_repoussee_3_fois"] == 1
    target = drill.quality_check(Filters(), "date_fin_repoussee_3_fois")
    assert affaire_ids(con, admin, target) == [often]


def test_velocity_multiplies_its_four_levers(scenario: Scenario) -> None:
    con, admin, _ = scenario
    frame = velocity(con, admin, Filters(du=D("2026-04-01"), au=D("2026-04-30")))
    # 9 open on 30/04 × 1 won of 2 closed × 1 900 € ÷ 44 days (02/03 → 15/04).
    assert rows(frame) == [(9, 0.5, 1900.0, 44.0, 194.32)]


def test_velocity_takes_the_headline_summary_of_its_period_instead_of_reading_it(
    scenario: Scenario,
) -> None:
    con, admin, _ = scenario
    april = Filters(du=D("2026-04-01"), au=D("2026-04-30"))
    summary = sales_summary(con, admin, april)
    assert velocity(con, admin, april, summary=summary).equals(velocity(con, admin, april))
    doubled = summary.assign(panier_moyen=summary["panier_moyen"] * 2)
    assert rows(velocity(con, admin, april, summary=doubled)) == [(9, 0.5, 3800.0, 44.0, 388.64)]


def test_velocities_give_each_period_its_own_velocity_in_one_pass(scenario: Scenario) -> None:
    con, admin, _ = scenario
    periods = [
        (D("2026-04-01"), D("2026-04-30")),
        (D("2026-03-01"), D("2026-03-31")),
        (D("2025-04-01"), D("2025-04-30")),
    ]
    frames = velocities(con, admin, Filters(), periods)
    assert [int(f.loc[0, "affaires_ouvertes"]) for f in frames] == [9, 10, 0]
    assert rows(frames[0]) == [(9, 0.5, 1900.0, 44.0, 194.32)]
    for (du, au), frame in zip(periods, frames, strict=True):
        assert frame.equals(velocity(con, admin, Filters(du=du, au=au)))


def test_velocity_is_empty_without_a_won_affaire(scenario: Scenario) -> None:
    con, admin, _ = scenario
    frame = velocity(con, admin, Filters(du=D("2026-03-01"), au=D("2026-03-31")))
    assert frame.loc[0, "affaires_ouvertes"] == 10
    assert pd.isna(frame.loc[0, "velocite"])


def test_an_export_records_the_day_of_the_pipe() -> None:
    assert Filters(le=D1).describe_analysis()["Pipe au"] == "31/03/2026"
    assert "Pipe au" not in Filters().describe_analysis()


@pytest.mark.usefixtures("engine")
def test_the_state_of_a_day_is_the_highest_version_of_its_latest_instant() -> None:
    con, admin = new_base()
    affaire_id = create(con, "2026-03-01T09:00", ca_potentiel=100)
    save(con, affaire_id, "2026-03-02T10:00", ca_potentiel=200)
    save(con, affaire_id, "2026-03-02T10:00", ca_potentiel=300)
    save(con, affaire_id, "2026-03-03T00:00", ca_potentiel=400)
    frame = pipe_by_etape(con, admin, Filters(le=D("2026-03-02")))
    assert (int(frame["nombre"].sum()), float(frame["ca_potentiel"].sum())) == (1, 300.0)
