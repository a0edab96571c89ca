"""Objectifs as an entity: set by managers and admins only, all or nothing, every change kept;
read back by year (a commercial only their own), copied from the year before, and the grid's
cells read as French amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from crm_data.model import Actor, PermissionDeniedError, Role, ValidationError
from crm_data.objectifs import (
    Change,
    copy_previous_year,
    grid,
    history,
    list_objectifs,
    month_label,
    parse_month,
    parse_objectif,
    read_grid,
    set_objectifs,
)
from crm_data.store.db import Connection
from crm_data.users import local_admin, update_user
from tests import factories
from tests.analyses_factory import D, new_user


def new_base() -> tuple[Connection, Actor]:
    """A fresh base of the running test's engine and its local admin."""
    con = factories.new_base()
    return con, local_admin(con)


def _amounts(con, actor, year: int = 2026) -> dict[tuple[int, str], float]:  # type: ignore[no-untyped-def]
    found = list_objectifs(con, actor, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return {
        (int(u), f"{m:%Y-%m}"): float(a)
        for u, m, a in found[["utilisateur_id", "mois", "montant"]].itertuples(index=False)
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03", D("2026-03-01")),
        ("03/2026", D("2026-03-01")),
        ("3/2026", D("2026-03-01")),
        ("2026-03-01", D("2026-03-01")),
        ("01/03/2026", D("2026-03-01")),
    ],
)
def test_parse_month_reads_both_forms(text: str, expected: dt.date) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "mars 2026", "", "2026", "00/2026", "2026-03-15"])
def test_parse_month_refuses_other_forms_in_french(text: str) -> None:
    with pytest.raises(ValueError, match="Mois invalide"):
        parse_month(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [("-5", "Objectif négatif « -5 »"), ("-0,01", "négatif"), ("abc", "Montant invalide « abc »")],
)
def test_parse_objectif_refuses_negative_and_non_numeric_amounts_in_french(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_objectif(text)


def test_parse_objectif_reads_french_amounts() -> None:
    assert parse_objectif("12 500,50 €") == Decimal("12500.50")
    assert parse_objectif("0") == Decimal("0.00")
    assert parse_objectif("  ") is None


def test_month_label_is_french() -> None:
    assert month_label("2026-12") == "déc. 2026"
    assert month_label("2026-02") == "févr. 2026"


@pytest.mark.usefixtures("engine")
def test_a_manager_sets_objectifs_and_every_change_is_kept() -> None:
    con, admin = new_base()
    manager = new_user(con, "marc", Role.MANAGER)
    alice = new_user(con, "alice")
    set_objectifs(con, manager, [Change(alice.id, D("2026-01-01"), Decimal("1000"))])
    set_objectifs(con, admin, [Change(alice.id, D("2026-01-01"), Decimal("1500.50"))])
    set_objectifs(con, admin, [Change(alice.id, D("2026-01-01"), None)])
    assert _amounts(con, admin) == {}
    changes = history(con, admin, 2026)
    assert changes[["changed_by", "gestion_par", "mois"]].values.tolist() == [
        ["Administrateur local", "Alice", "2026-01"],
        ["Administrateur local", "Alice", "2026-01"],
        ["Marc", "Alice", "2026-01"],
    ]
    pairs = [
        (None if pd.isna(a) else float(a), None if pd.isna(n) else float(n))
        for a, n in zip(changes["ancien"], changes["nouveau"], strict=True)
    ]
    assert pairs == [(1500.5, None), (1000.0, 1500.5), (None, 1000.0)]


@pytest.mark.usefixtures("engine")
def test_setting_the_same_amount_again_records_nothing() -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    change = Change(alice.id, D("2026-02-01"), Decimal("800"))
    assert set_objectifs(con, admin, [change]) == 1
    assert set_objectifs(con, admin, [change]) == 0
    assert len(history(con, admin, 2026)) == 1


@pytest.mark.usefixtures("engine")
def test_a_commercial_can_neither_set_objectifs_nor_read_anothers() -> None:
    con, admin = new_base()
    alice, bob = new_user(con, "alice"), new_user(con, "bob")
    set_objectifs(
        con,
        admin,
        [
            Change(alice.id, D("2026-01-01"), Decimal("1000")),
            Change(bob.id, D("2026-01-01"), Decimal("2000")),
        ],
    )
    with pytest.raises(PermissionDeniedError, match="managers et administrateurs"):
        set_objectifs(con, alice, [Change(alice.id, D("2026-01-01"), Decimal("9"))])
    with pytest.raises(PermissionDeniedError):
        grid(con, alice, 2026)
    with pytest.raises(PermissionDeniedError):
        copy_previous_year(con, alice, 2026)
    assert _amounts(con, alice) == {(alice.id, "2026-01"): 1000.0}
    assert set(history(con, alice, 2026)["gestion_par"]) == {"Alice"}


@pytest.mark.usefixtures("engine")
def test_a_demoted_manager_is_refused_inside_the_write() -> None:
    con, admin = new_base()
    manager = new_user(con, "marc", Role.MANAGER)
    alice = new_user(con, "alice")
    update_user(con, admin, manager.id, nom="Marc", email=None, role="commercial", actif=True)
    with pytest.raises(PermissionDeniedError, match="droits ont changé"):
        set_objectifs(con, manager, [Change(alice.id, D("2026-01-01"), Decimal("1"))])
    assert _amounts(con, admin) == {}


@pytest.mark.usefixtures("engine")
def test_a_save_with_one_negative_amount_writes_nothing() -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    with pytest.raises(ValidationError, match="négatif"):
        set_objectifs(
            con,
            admin,
            [
                Change(alice.id, D("2026-01-01"), Decimal("100")),
                Change(alice.id, D("2026-02-01"), Decimal("-1")),
            ],
        )
    assert _amounts(con, admin) == {}
    assert history(con, admin, 2026).empty


@pytest.mark.usefixtures("engine")
def test_copy_previous_year_sets_the_same_months_and_keeps_the_history() -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    set_objectifs(
        con,
        admin,
        [
            Change(alice.id, D("2025-01-01"), Decimal("100.10")),
            Change(alice.id, D("2025-12-01"), Decimal("1200")),
            Change(alice.id, D("2026-01-01"), Decimal("5")),
        ],
    )
    assert copy_previous_year(con, admin, 2026) == 2
    assert _amounts(con, admin) == {(alice.id, "2026-01"): 100.1, (alice.id, "2026-12"): 1200.0}
    assert len(history(con, admin, 2026)) == 3


@pytest.mark.usefixtures("engine")
def test_the_grid_has_active_commercials_and_those_who_left_with_objectifs() -> None:
    con, admin = new_base()
    alice, bob, carl = new_user(con, "alice"), new_user(con, "bob"), new_user(con, "carl")
    new_user(con, "marc", Role.MANAGER)
    set_objectifs(con, admin, [Change(bob.id, D("2026-03-01"), Decimal("300"))])
    for user in (bob, carl):
        update_user(con, admin, user.id, nom=user.nom, email=None, role="commercial", actif=False)
    frame = grid(con, admin, 2026)
    assert frame["gestion_par"].tolist() == ["Alice", "Bob"]
    assert list(frame.columns[2:]) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert frame.loc[1, "2026-03"] == 300.0
    assert pd.isna(frame.loc[0, "2026-03"])
    assert alice.id in frame["utilisateur_id"].tolist()


@pytest.mark.usefixtures("engine")
def test_read_grid_gives_the_changed_cells_only() -> None:
    con, admin = new_base()
    alice = new_user(con, "alice")
    set_objectifs(con, admin, [Change(alice.id, D("2026-01-01"), Decimal("0.10"))])
    saved = grid(con, admin, 2026)
    edited = saved.copy().astype(object)
    for month in saved.columns[2:]:
        edited[month] = ""
    edited.loc[0, "2026-01"] = "0,10"
    edited.loc[0, "2026-02"] = "1 000,50 €"
    assert read_grid(saved, edited) == [Change(alice.id, D("2026-02-01"), Decimal("1000.50"))]
    edited.loc[0, "2026-01"] = ""
    assert Change(alice.id, D("2026-01-01"), None) in read_grid(saved, edited)


@pytest.mark.usefixtures("engine")
def test_read_grid_names_every_bad_cell_in_french() -> None:
    con, admin = new_base()
    new_user(con, "alice")
    saved = grid(con, admin, 2026)
    edited = saved.copy().astype(object)
    edited.loc[0, "2026-03"] = "-5"
    edited.loc[0, "2026-04"] = "beaucoup"
    with pytest.raises(ValidationError) as raised:
        read_grid(saved, edited)
    assert raised.value.errors == [
        (
            "Alice, mars 2026",
            "Objectif négatif « -5 » : un objectif est un montant positif ou nul.",
        ),
        ("Alice, avr. 2026", "Montant invalide « beaucoup » : attendu par exemple 1 234,50."),
    ]


@pytest.mark.usefixtures("engine")
def test_a_whole_grid_saved_at_once_keeps_each_change_once() -> None:
    con, admin = new_base()
    users = [new_user(con, f"user{i}") for i in range(5)]
    first = [Change(u.id, D(f"2026-{m:02d}-01"), Decimal(m)) for u in users for m in range(1, 13)]
    assert set_objectifs(con, admin, first) == 60
    again = [Change(c.utilisateur_id, c.mois, c.montant) for c in first[:30]]
    again += [
        Change(users[0].id, D("2026-01-01"), None),
        Change(users[4].id, D("2026-12-01"), Decimal("0.01")),
    ]
    assert set_objectifs(con, admin, again) == 2
    assert set_objectifs(con, admin, []) == 0
    assert len(history(con, admin, 2026)) == 62
    assert len(_amounts(con, admin)) == 59
