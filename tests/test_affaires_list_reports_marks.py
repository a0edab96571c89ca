"""The list's « Reports de date fin » (SPEC §3 A13: sorted server-side, read only when asked),
its late and dormant marks computed for the page alone, and the dormancy of one record."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from crm_data import actions, affaires
from crm_data.affaires_list import dormant_days, list_affaires
from crm_data.filters import Filters
from crm_data.model import Role
from crm_data.store import db
from crm_data.store.sql import DORMANT, among
from tests.factories import admin, make_affaire, make_user

pytestmark = pytest.mark.usefixtures("engine")


def push(con: db.Connection, affaire_id: int, *dates: str) -> None:
    """Save the affaire once per date fin, in order."""
    for day in dates:
        version = affaires.get_affaire(con, admin(con), affaire_id).version
        affaires.update_affaire(con, admin(con), affaire_id, {"date_fin": day}, version)


def age(con: db.Connection, affaire_id: int, days: int) -> None:
    con.execute(
        "UPDATE affaire SET updated_at = now() - to_days(CAST($d AS INTEGER)) WHERE id = $id",
        {"d": days, "id": affaire_id},
    )


def test_the_list_sorts_by_reports_of_date_fin() -> None:
    con = db.open_base(":memory:")
    twice = make_affaire(con, nom="Deux fois", date_fin="2030-01-01")
    never = make_affaire(con, nom="Jamais", date_fin="2030-01-01")
    once = make_affaire(con, nom="Une fois", date_fin="2030-01-01")
    push(con, twice, "2030-02-01", "2030-03-01")
    push(con, once, "2030-02-01", "2029-12-01")  # pulled earlier again: one report only
    push(con, never, "2029-06-01")
    frame = list_affaires(con, admin(con), Filters(), sort="reports", descending=True)
    assert frame["id"].tolist() == [twice, once, never]
    assert frame["reports"].tolist() == [2, 1, 0]
    ascending = list_affaires(con, admin(con), Filters(), sort="reports", descending=False)
    assert ascending["id"].tolist() == [never, once, twice]


def test_reports_are_read_only_when_shown_or_sorted() -> None:
    con = db.open_base(":memory:")
    aid = make_affaire(con, date_fin="2030-01-01")
    push(con, aid, "2030-05-01")
    assert "reports" not in list_affaires(con, admin(con), Filters())
    shown = list_affaires(con, admin(con), Filters(), reports=True)
    assert shown["reports"].tolist() == [1]


def test_the_page_marks_equal_dormant_over_every_affaire() -> None:
    con = db.open_base(":memory:")
    rng = random.Random(7)
    ids = []
    for n in range(60):
        statut = rng.choice(["En cours", "En cours", "Perdue"])
        aid = make_affaire(
            con,
            nom=f"A{n}",
            etape=rng.choice(["Qualification", "Négociation", "Analyse des besoins"]),
            statut=statut,
            code_cloture="Prix" if statut == "Perdue" else None,
        )
        if rng.random() < 0.5:
            action = actions.create_action(
                con,
                admin(con),
                aid,
                {
                    "type": "Mail",
                    "objet": "Suivi",
                    "date_action": dt.date.today() - dt.timedelta(days=40),
                },
            )
            if rng.random() < 0.5:
                con.execute("UPDATE action SET fait = TRUE WHERE id = $id", {"id": action})
        age(con, aid, rng.randint(0, 90))
        ids.append(aid)
    today = dt.date.today()
    expected = dict(
        con.execute(
            f"SELECT a.id, coalesce({DORMANT}, FALSE) FROM affaire AS a", {"today": today}
        ).fetchall()
    )
    assert any(expected.values()) and not all(expected.values())
    seen = {}
    for page in range(3):
        frame = list_affaires(con, admin(con), Filters(), limit=20, offset=20 * page, today=today)
        seen |= dict(zip(frame["id"].tolist(), frame["dormante"].tolist(), strict=True))
    assert seen == expected
    restricted = f"SELECT a.id, coalesce({among(DORMANT, 'ids')}, FALSE) FROM affaire AS a"
    assert dict(con.execute(restricted, {"today": today, "ids": ids}).fetchall()) == expected


def test_dormant_days_counts_from_the_last_activity_until_a_relance_is_planned() -> None:
    con = db.open_base(":memory:")
    aid = make_affaire(con, nom="Oubliée")
    fresh = make_affaire(con, nom="Récente")
    age(con, aid, 30)
    assert dormant_days(con, admin(con), aid) == 30
    assert dormant_days(con, admin(con), fresh) is None
    seller = make_user(con, Role.COMMERCIAL)
    assert dormant_days(con, seller, aid) is None  # not theirs: not visible
    actions.create_relance(con, admin(con), aid)
    assert dormant_days(con, admin(con), aid) is None
