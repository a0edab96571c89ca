"""The Objectifs grid, A14 on Ventes and the coverage on Pipe under AppTest through dashboard.py:
French amounts saved, a bad cell refused in French with what was typed kept, rights by role,
figures and drill-downs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.objectifs import Change, history, list_objectifs, month_label, set_objectifs
from crm_data.store import db
from crm_data.users import add_user, get_actor, local_admin
from crm_ui.navigation import FILTERS_KEY
from tests.analyses_factory import new_affaire
from tests.pages import texts

TODAY = dt.date.today()
YEAR = TODAY.year
GRID = f"objectifs_grid_{YEAR}"
THIS_MONTH = TODAY.replace(day=1)


def _month(number: int) -> str:
    return f"{YEAR}-{number:02d}"


@pytest.fixture
def team(_isolated_base: Path) -> dict[str, Actor]:
    """Alice (objectif this month 1 000 €, signed 250 € this month, an open affaire of 2 000 € at
    50 % due this month), Bob (a commercial without objectif) and a manager."""
    con = db.open_base(_isolated_base)
    add_user(con, None, "alice", "commercial", nom="Alice Martin")
    add_user(con, None, "bob", "commercial", nom="Bob Durand")
    add_user(con, None, "marc", "manager", nom="Marc Chef")
    alice = get_actor(con, "alice")
    new_affaire(
        con, gestion_par=alice.id, statut="Gagnée", total_ht=Decimal("250"), date_signature=TODAY
    )
    new_affaire(
        con, gestion_par=alice.id, ca_potentiel=Decimal("2000"), reussite=50, date_fin=TODAY
    )
    set_objectifs(con, local_admin(con), [Change(alice.id, THIS_MONTH, Decimal("1000"))])
    actors = {login: get_actor(con, login) for login in ("alice", "bob", "marc")}
    con.close()
    return actors


def _as(actor: Actor, page: str) -> AppTest:
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard.py"))
    at.default_timeout = 60
    at.session_state["actor"] = actor
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _type(at: AppTest, row: int, cells: dict[str, str]) -> AppTest:
    at.session_state[GRID] = {"edited_rows": {row: cells}, "added_rows": [], "deleted_rows": []}
    save = next(b for b in at.button if b.label == "Enregistrer les objectifs")
    return save.click().run()


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The shown table that has this column (tables without selection carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _saved(path: Path) -> dict[tuple[str, str], float]:
    con = db.open_shared(path) or db.open_base(path)
    found = list_objectifs(con, local_admin(con), dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    return {
        (str(n), f"{m:%Y-%m}"): float(a)
        for n, m, a in found[["gestion_par", "mois", "montant"]].itertuples(index=False)
    }


def test_the_grid_shows_a_row_per_commercial_with_french_amounts_and_totals(
    team: dict[str, Actor],
) -> None:
    at = _as(team["marc"], "app_pages/objectifs.py")
    grid = next(d for d in at.dataframe if d.key == GRID).value
    assert grid["gestion_par"].tolist() == ["Alice Martin", "Bob Durand"]
    assert grid.loc[grid.index[0], f"{THIS_MONTH:%Y-%m}"] == "1\u00a0000"
    assert grid["total"].tolist() == ["1\u00a0000\u00a0€", "0\u00a0€"]
    totals = _frame(at, "Année")
    assert totals.loc[0, "Année"] == "1\u00a0000,00\u00a0€"


def test_typed_french_amounts_are_saved_and_kept_in_the_history(
    team: dict[str, Actor], _isolated_base: Path
) -> None:
    at = _type(_as(team["marc"], "app_pages/objectifs.py"), 1, {_month(3): "12 500,50 €"})
    assert not at.exception and not at.error
    assert [t.value for t in at.toast] == ["1 objectif enregistré."]
    assert _saved(_isolated_base)[("Bob Durand", _month(3))] == 12500.5
    con = db.open_shared(_isolated_base)
    assert con is not None
    assert history(con, local_admin(con), YEAR)["changed_by"].iloc[0] == "Marc Chef"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-100", "Bob Durand, mars " + str(YEAR) + " : Objectif négatif « -100 »"),
        ("beaucoup", "Bob Durand, mars " + str(YEAR) + " : Montant invalide « beaucoup »"),
    ],
)
def test_a_bad_cell_is_refused_in_french_and_what_was_typed_is_kept(
    team: dict[str, Actor], _isolated_base: Path, typed: str, message: str
) -> None:
    before = _saved(_isolated_base)
    cells = {_month(3): typed, _month(4): "2 000"}
    at = _type(_as(team["marc"], "app_pages/objectifs.py"), 1, cells)
    errors = texts(at, "error")
    assert len(errors) == 1 and "Rien n'a été enregistré" in errors[0]
    assert message in errors[0]
    assert at.session_state[GRID]["edited_rows"] == {1: cells}
    assert _saved(_isolated_base) == before


def test_a_commercial_is_refused_the_grid(team: dict[str, Actor]) -> None:
    at = _as(team["alice"], "app_pages/objectifs.py")
    assert any("Accès refusé" in e for e in texts(at, "error"))
    assert not [d for d in at.dataframe if d.key == GRID]


def test_copying_the_previous_year_fills_the_grid(
    team: dict[str, Actor], _isolated_base: Path
) -> None:
    con = db.open_base(_isolated_base)
    set_objectifs(
        con,
        local_admin(con),
        [Change(team["bob"].id, dt.date(YEAR - 1, 2, 1), Decimal("700"))],
    )
    con.close()
    at = _as(team["marc"], "app_pages/objectifs.py")
    at.button(key="objectifs_copier").click().run()
    assert not at.exception
    assert _saved(_isolated_base)[("Bob Durand", _month(2))] == 700.0
    grid = next(d for d in at.dataframe if d.key == GRID).value
    assert grid.loc[grid.index[1], _month(2)] == "700"


def _a14(at: AppTest) -> list[dict[str, str]]:
    table = next(d for d in at.dataframe if d.key == "objectifs_table").value
    return [dict(row) for _, row in table.iterrows()]


def test_ventes_shows_a14_for_the_team_with_its_total(team: dict[str, Actor]) -> None:
    at = _as(team["marc"], "app_pages/ventes.py")
    rows = _a14(at)
    month = [r for r in rows if r["Mois"].endswith(str(YEAR)) and r["Objectif"]]
    assert month[0] == {
        "Commercial": "Alice Martin",
        "Mois": month_label(f"{THIS_MONTH:%Y-%m}"),
        "Objectif": "1\u00a0000,00\u00a0€",
        "CA signé": "250,00\u00a0€",
        "Réalisation": "25,0\u00a0%",
        "Objectif cumulé": "1\u00a0000,00\u00a0€",
        "CA signé cumulé": "250,00\u00a0€",
        "Couverture": "1,3\u00a0×",
    }
    assert {r["Commercial"] for r in rows} == {"Alice Martin", "Équipe"}


def test_a_commercial_sees_only_their_own_line_on_ventes(team: dict[str, Actor]) -> None:
    at = _as(team["bob"], "app_pages/ventes.py")
    assert not [d for d in at.dataframe if d.key == "objectifs_table"]
    assert any("Aucun objectif" in i for i in texts(at, "info"))
    at = _as(team["alice"], "app_pages/ventes.py")
    assert {r["Commercial"] for r in _a14(at)} == {"Alice Martin"}


def test_a_ca_signe_cell_drills_down_to_the_affaires_signed(team: dict[str, Actor]) -> None:
    at = _as(team["marc"], "app_pages/ventes.py")
    rows = _a14(at)
    row = next(i for i, r in enumerate(rows) if r["Objectif"] and r["Commercial"] != "Équipe")
    at.session_state["objectifs_table"] = {
        "selection": {"rows": [], "columns": [], "cells": [[row, "CA signé"]]}
    }
    at.run()
    target = at.session_state[FILTERS_KEY]
    assert isinstance(target, Filters)
    assert target.gestion_par == [team["alice"].id]
    assert target.statuts == ["Gagnée"]
    assert target.cloture_du == THIS_MONTH


def test_pipe_shows_the_coverage_and_flags_it_under_3(team: dict[str, Actor]) -> None:
    at = _as(team["marc"], "app_pages/pipe.py")
    table = _frame(at, "Horizon")
    month = table[table["Horizon"] == "Ce mois"]
    assert month[
        ["Commercial", "Reste à signer", "Pipe pondéré attendu", "Couverture"]
    ].values.tolist()[0] == [
        "Alice Martin",
        "750,00\u00a0€",
        "1\u00a0000,00\u00a0€",
        "1,3\u00a0×",
    ]
    assert any("sous 3" in w for w in texts(at, "warning"))


def test_pipe_says_when_an_objectif_is_reached(
    team: dict[str, Actor], _isolated_base: Path
) -> None:
    con = db.open_base(_isolated_base)
    set_objectifs(con, local_admin(con), [Change(team["alice"].id, THIS_MONTH, Decimal("100"))])
    con.close()
    table = _frame(_as(team["marc"], "app_pages/pipe.py"), "Horizon")
    month = table[(table["Horizon"] == "Ce mois") & (table["Commercial"] == "Alice Martin")]
    assert month["Couverture"].tolist() == ["Objectif atteint"]


def test_a_commercial_sees_only_their_own_coverage_on_pipe(team: dict[str, Actor]) -> None:
    at = _as(team["alice"], "app_pages/pipe.py")
    assert set(_frame(at, "Horizon")["Commercial"]) == {"Alice Martin"}


def test_ventes_is_fresh_after_an_objectif_is_changed(
    team: dict[str, Actor], _isolated_base: Path
) -> None:
    at = _as(team["marc"], "app_pages/ventes.py")
    con = db.open_shared(_isolated_base)
    assert con is not None
    set_objectifs(con, local_admin(con), [Change(team["alice"].id, THIS_MONTH, Decimal("500"))])
    at.run()
    metric = next(m for m in at.metric if m.label == "Réalisation de l'objectif")
    assert metric.value == "50,0\u00a0%"
