"""A14 Objectifs and the Pipe's coverage, against figures worked out by hand on small bases, and
against an independent pandas computation on a random one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from crm_data.analyses.objectifs import (
    COLUMNS,
    coverage,
    objectifs,
    objectifs_detail,
    team_totals,
)
from crm_data.analyses.registry import REGISTRY
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.objectifs import Change, set_objectifs
from crm_data.store.db import Connection
from crm_data.users import local_admin, update_user
from tests.analyses_factory import D, new_affaire, new_base, new_user, rows
from tests.random_base import random_base, raw

pytestmark = pytest.mark.usefixtures("engine")

Q1 = Filters(du=D("2026-01-01"), au=D("2026-03-31"), today=D("2026-02-10"))


def _signed(con: Connection, user: Actor, day: str, amount: str) -> None:
    new_affaire(
        con,
        gestion_par=user.id,
        statut="Gagnée",
        total_ht=Decimal(amount),
        date_signature=D(day),
    )


def _open(con: Connection, user: Actor, date_fin: str, ca: str, reussite: int) -> None:
    new_affaire(
        con, gestion_par=user.id, ca_potentiel=Decimal(ca), reussite=reussite, date_fin=D(date_fin)
    )


def _targets(con: Connection, admin: Actor, user: Actor, **months: str) -> None:
    """Objectifs given as m2026_01="1000"."""
    set_objectifs(
        con,
        admin,
        [
            Change(user.id, D(f"{key[1:5]}-{key[6:8]}-01"), Decimal(value))
            for key, value in months.items()
        ],
    )


def _team() -> tuple[Connection, Actor, Actor, Actor, Actor]:
    """Alice: objectifs every month, signs in January only, open affaires in January (late),
    February and March. Bob: no objectif, signs in February. Carl: left the company after
    beating his January objectif. Dora: nothing, so no row."""
    con, admin = new_base()
    alice, bob, carl = new_user(con, "alice"), new_user(con, "bob"), new_user(con, "carl")
    new_user(con, "dora")
    _targets(con, admin, alice, m2026_01="1000", m2026_02="2000", m2026_03="1000")
    _targets(con, admin, carl, m2026_01="500")
    _signed(con, alice, "2026-01-15", "400")
    _signed(con, alice, "2026-01-20", "100")
    _signed(con, alice, "2025-12-31", "9999")
    new_affaire(
        con, gestion_par=alice.id, statut="Perdue", code_cloture="Prix", ca_potentiel=Decimal("777")
    )
    _open(con, alice, "2026-01-05", "800", 50)
    _open(con, alice, "2026-02-20", "1000", 50)
    _open(con, alice, "2026-03-10", "2000", 30)
    _open(con, alice, "2026-04-01", "5000", 90)
    _signed(con, bob, "2026-02-03", "300")
    _signed(con, carl, "2026-01-10", "600")
    update_user(con, admin, carl.id, nom="Carl", email=None, role="commercial", actif=False)
    return con, admin, alice, bob, carl


def test_a14_worked_out_by_hand() -> None:
    con, admin, *_ = _team()
    assert list(objectifs(con, admin, Q1).columns) == COLUMNS
    assert rows(objectifs(con, admin, Q1)) == [
        # A month without signature: réalisation 0; coverage from the current month on only.
        ("Alice", "2026-01", 1000.0, 500.0, 0.5, 1000.0, 500.0, None),
        ("Alice", "2026-02", 2000.0, 0.0, 0.0, 3000.0, 500.0, 0.25),
        ("Alice", "2026-03", 1000.0, 0.0, 0.0, 4000.0, 500.0, 0.6),
        # Without objectif: objectif, réalisation and coverage empty, cumulated objectif 0.
        ("Bob", "2026-01", None, 0.0, None, 0.0, 0.0, None),
        ("Bob", "2026-02", None, 300.0, None, 0.0, 300.0, None),
        ("Bob", "2026-03", None, 0.0, None, 0.0, 300.0, None),
        # Left the company: his figures stay.
        ("Carl", "2026-01", 500.0, 600.0, 1.2, 500.0, 600.0, None),
        ("Carl", "2026-02", None, 0.0, None, 500.0, 600.0, None),
        ("Carl", "2026-03", None, 0.0, None, 500.0, 600.0, None),
    ]


def test_a14_is_registered_for_the_command_line() -> None:
    assert REGISTRY["objectifs"] is objectifs


def test_a14_over_a_period_across_two_years_cumulates_from_its_first_month() -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    _targets(con, admin, alice, m2025_11="100", m2025_12="200", m2026_01="300", m2026_02="400")
    _signed(con, alice, "2025-12-31", "150")
    _signed(con, alice, "2026-01-01", "50")
    _open(con, alice, "2026-02-14", "1000", 20)
    period = Filters(du=D("2025-11-01"), au=D("2026-02-28"), today=D("2026-01-15"))
    assert rows(objectifs(con, admin, period)) == [
        ("Alice", "2025-11", 100.0, 0.0, 0.0, 100.0, 0.0, None),
        ("Alice", "2025-12", 200.0, 150.0, 0.75, 300.0, 150.0, None),
        ("Alice", "2026-01", 300.0, 50.0, round(1 / 6, 6), 600.0, 200.0, 0.0),
        ("Alice", "2026-02", 400.0, 0.0, 0.0, 1000.0, 200.0, 0.5),
    ]


def test_coverage_is_empty_when_nothing_is_left_to_sign() -> None:
    con, admin = new_base()
    alice, bob = new_user(con, "alice"), new_user(con, "bob")
    _targets(con, admin, alice, m2026_02="1000")
    _targets(con, admin, bob, m2026_02="300")
    _signed(con, alice, "2026-02-02", "1200")
    _signed(con, bob, "2026-02-02", "300")
    _open(con, alice, "2026-02-25", "1000", 50)
    _open(con, bob, "2026-02-25", "1000", 50)
    found = objectifs(con, admin, Q1)
    february = found[found["mois"] == "2026-02"]
    assert february["couverture"].isna().all()
    pipe = coverage(con, admin, Q1)
    assert pipe["couverture"].isna().all()
    assert rows(pipe[pipe["horizon"] == "mois"][["gestion_par", "reste", "pipe_pondere"]]) == [
        ("Alice", -200.0, 500.0),
        ("Bob", 0.0, 500.0),
        ("Équipe", -200.0, 1000.0),
    ]


def test_coverage_of_this_month_and_this_quarter_per_commercial_and_team() -> None:
    con, admin, *_ = _team()
    assert rows(coverage(con, admin, Q1).drop(columns=["gestion_par_id"])) == [
        ("Alice", "mois", 2000.0, 0.0, 2000.0, 500.0, 0.25),
        ("Bob", "mois", None, 300.0, None, 0.0, None),
        ("Carl", "mois", None, 0.0, None, 0.0, None),
        ("Équipe", "mois", 2000.0, 300.0, 1700.0, 500.0, round(500 / 1700, 6)),
        # The quarter's pipe: open affaires with date fin in the quarter, late ones included.
        ("Alice", "trimestre", 4000.0, 500.0, 3500.0, 1500.0, round(1500 / 3500, 6)),
        ("Bob", "trimestre", None, 300.0, None, 0.0, None),
        ("Carl", "trimestre", 500.0, 600.0, -100.0, 0.0, None),
        ("Équipe", "trimestre", 4500.0, 1400.0, 3100.0, 1500.0, round(1500 / 3100, 6)),
    ]


def test_team_totals_add_up_the_commercials_month_by_month() -> None:
    con, admin, *_ = _team()
    team = team_totals(objectifs_detail(con, admin, Q1), Q1.day())
    assert rows(team[COLUMNS]) == [
        ("Équipe", "2026-01", 1500.0, 1100.0, round(1100 / 1500, 6), 1500.0, 1100.0, None),
        ("Équipe", "2026-02", 2000.0, 300.0, 0.15, 3500.0, 1400.0, round(500 / 1700, 6)),
        ("Équipe", "2026-03", 1000.0, 0.0, 0.0, 4500.0, 1400.0, 0.6),
    ]


def test_a_commercial_reads_only_their_own_line() -> None:
    con, _, alice, _, _ = _team()
    assert set(objectifs(con, alice, Q1)["gestion_par"]) == {"Alice"}
    assert set(coverage(con, alice, Q1)["gestion_par"]) == {"Alice", "Équipe"}
    assert coverage(con, alice, Q1).query("gestion_par == 'Équipe'")["objectif"].tolist() == [
        2000.0,
        4000.0,
    ]


def test_the_gestion_par_filter_keeps_those_commercials_and_their_objectifs() -> None:
    con, admin, _, bob, carl = _team()
    only = Filters(du=Q1.du, au=Q1.au, today=Q1.today, gestion_par=[carl.id, bob.id])
    assert set(objectifs(con, admin, only)["gestion_par"]) == {"Bob", "Carl"}


def test_an_empty_base_gives_an_empty_frame_with_the_columns() -> None:
    con, admin = new_base()
    assert objectifs(con, admin, Q1).empty
    assert list(objectifs(con, admin, Q1).columns) == COLUMNS
    assert coverage(con, admin, Q1).empty


def test_a14_matches_a_pandas_computation_on_a_random_base() -> None:
    con = random_base(5_000, seed=11)
    users = raw(con, "utilisateur")
    admin = local_admin(con)
    rng = np.random.default_rng(3)
    targets = [
        Change(int(u), dt.date(2024, m, 1), Decimal(int(rng.integers(0, 200_000))))
        for u in users["id"][1:]
        for m in range(1, 13)
        if rng.random() < 0.7
    ]
    set_objectifs(con, admin, targets)
    period = Filters(du=D("2024-01-01"), au=D("2024-12-31"), today=D("2024-07-15"))
    found = objectifs(con, admin, period)

    affaires = raw(con, "affaire")
    won = affaires[(affaires["statut"] == "Gagnée") & affaires["date_signature"].notna()].copy()
    won["day"] = pd.to_datetime(won["date_signature"])
    won = won[(won["day"] >= "2024-01-01") & (won["day"] <= "2024-12-31")]
    won["mois"] = won["day"].dt.strftime("%Y-%m")
    signed = won.groupby(["gestion_par", "mois"])["total_ht"].sum().astype(float)
    goals = {(c.utilisateur_id, f"{c.mois:%Y-%m}"): float(c.montant or 0) for c in targets}
    ids = dict(zip(users["nom"], users["id"], strict=True))
    for row in found.itertuples(index=False):
        user_id = int(ids[row.gestion_par])
        assert abs(row.ca_signe - signed.get((user_id, row.mois), 0.0)) < 0.005
        goal = goals.get((user_id, row.mois))
        assert (goal is None and pd.isna(row.objectif)) or row.objectif == goal
    expected_users = set(won["gestion_par"]) | {c.utilisateur_id for c in targets}
    assert {int(ids[n]) for n in found["gestion_par"]} == expected_users
    assert len(found) == 12 * len(expected_users)
