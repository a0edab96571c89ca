"""The Ventes headline's reads at the edges of their ranges: the affaires open at each period's
end counted from the versions begun or ended since (PostgreSQL) against each affaire's versions
walked in Python, and the closed affaires read by closing date (closed_between) on the first and
last days of overlapping periods."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_data.analyses.common import end_of_day
from crm_data.analyses.registry import Filters, results_by_type, sales_summaries, velocities
from crm_data.model import Actor
from crm_data.store.db import Connection
from tests.analyses_factory import D, new_affaire, new_base, new_user, rows
from tests.versions_factory import create, delete, save

pytestmark = pytest.mark.usefixtures("engine")

PERIODS = [
    (D("2026-04-01"), D("2026-04-30")),
    (D("2026-03-01"), D("2026-03-31")),
    (D("2025-04-01"), D("2025-04-30")),
    (D("2026-04-30"), D("2026-04-30")),
]
"""Three periods as the headline has them, and one day that ends with the first."""


def _history(con: Connection, bruno: Actor) -> None:
    """Affaires whose state changes on the periods' edges (the instant read is the day after
    each period's last day at 00:00: a save at that instant is not yet in force)."""
    create(con, "2025-03-15T09:00")  # open all along
    create(con, "2026-04-30T23:59:59")  # created on the last day: open at its end
    create(con, "2026-05-01T00:00")  # created at the instant itself: not yet
    closed_last_day = create(con, "2026-03-02T09:00")
    save(con, closed_last_day, "2026-04-30T23:59:59", statut="Perdue", code_cloture="Prix")
    closed_after = create(con, "2026-03-02T09:00")
    save(con, closed_after, "2026-05-01T00:00", statut="Gagnée", total_ht=10)
    closed_first_day = create(con, "2026-03-03T09:00")
    save(con, closed_first_day, "2026-04-01T00:00", statut="Abandonnée")
    reopened = create(con, "2025-04-10T09:00")
    save(con, reopened, "2025-04-20T09:00", statut="Perdue", code_cloture="Prix")
    save(con, reopened, "2026-03-31T12:00", statut="En cours")
    save(con, reopened, "2026-04-15T12:00", statut="Perdue", code_cloture="Prix")
    twice_at_once = create(con, "2026-03-05T09:00")
    save(con, twice_at_once, "2026-03-20T09:00", statut="Perdue", code_cloture="Prix")
    save(con, twice_at_once, "2026-03-20T09:00", statut="En cours")
    moved = create(con, "2026-02-01T09:00", etape="Proposition commerciale")
    save(con, moved, "2026-04-10T09:00", etape="Qualification", gestion_par=bruno.id)
    create(con, "2026-02-02T09:00", type="Récurrent")
    gone = create(con, "2026-02-03T09:00")
    delete(con, gone)
    being_deleted = create(con, "2026-02-04T09:00")
    con.execute(
        "UPDATE affaire SET deleted_at = ? WHERE id = ?", [dt.datetime(2026, 6, 1), being_deleted]
    )


def _open_at(con: Connection, instant: dt.datetime, **equal: object) -> int:
    """Affaires whose latest version written before instant is En cours (and has the values
    given), among those not being deleted: each affaire's versions walked in Python."""
    versions = con.execute(
        """
        SELECT v.affaire_id, v.valid_from, v.version, v.statut, v.type, v.gestion_par
        FROM affaire_version AS v
        JOIN affaire AS a ON a.id = v.affaire_id
        WHERE a.deleted_at IS NULL
        ORDER BY v.affaire_id, v.valid_from, v.version
        """
    ).fetchall()
    latest: dict[int, tuple[object, ...]] = {}
    for affaire_id, valid_from, _, statut, type_, gestion_par in versions:
        if valid_from < instant:
            latest[affaire_id] = (statut, type_, gestion_par)
    names = ("statut", "type", "gestion_par")
    wanted = {"statut": "En cours", **equal}
    return sum(
        all(dict(zip(names, state, strict=True))[k] == v for k, v in wanted.items())
        for state in latest.values()
    )


def test_the_affaires_open_at_each_period_end_are_those_the_versions_walk_finds() -> None:
    con, admin = new_base()
    bruno = new_user(con, "bruno")
    _history(con, bruno)
    found = [int(f.loc[0, "affaires_ouvertes"]) for f in velocities(con, admin, Filters(), PERIODS)]
    expected = [_open_at(con, end_of_day(au)) for _, au in PERIODS]
    assert found == expected
    # 30/04: open all along, created 30/04, closed 01/05, twice at once, moved, Récurrent.
    # 31/03: also the two closed in April and the reopened one. April 2025: the first only.
    assert expected == [6, 8, 1, 6]


@pytest.mark.parametrize(
    ("filters", "equal"),
    [
        (Filters(types=["Récurrent"]), {"type": "Récurrent"}),
        (Filters(types=["Nouveau"]), {"type": "Nouveau"}),
    ],
)
def test_the_affaires_open_at_a_period_end_keep_to_the_filters_on_the_versions(
    filters: Filters, equal: dict[str, object]
) -> None:
    con, admin = new_base()
    _history(con, new_user(con, "bruno"))
    found = [int(f.loc[0, "affaires_ouvertes"]) for f in velocities(con, admin, filters, PERIODS)]
    assert found == [_open_at(con, end_of_day(au), **equal) for _, au in PERIODS]


def test_a_commercial_counts_the_versions_of_their_own_affaires_open_then() -> None:
    con, _ = new_base()
    bruno = new_user(con, "bruno")
    _history(con, bruno)
    frames = velocities(con, bruno, Filters(), PERIODS)
    found = [int(f.loc[0, "affaires_ouvertes"]) for f in frames]
    # The moved affaire is bruno's from 10/04 only; at 31/03 its version was someone else's.
    assert found == [1, 0, 0, 1]
    expected = [_open_at(con, end_of_day(au), gestion_par=bruno.id) for _, au in PERIODS]
    assert found == expected


def test_closings_on_the_first_and_last_days_count_in_each_period_that_holds_them() -> None:
    con, admin = new_base()
    edges = [
        ("Gagnée", "2026-04-01", 100),
        ("Gagnée", "2026-04-30", 200),
        ("Gagnée", "2026-03-31", 400),
        ("Gagnée", "2026-05-01", 800),
        ("Perdue", "2026-04-01", 0),
        ("Perdue", "2026-04-30", 0),
        ("Perdue", "2026-05-01", 0),
        ("Abandonnée", "2026-04-30", 0),
    ]
    for statut, day, total in edges:
        closing = {"date_signature": D(day), "total_ht": total} if total else {}
        new_affaire(
            con,
            statut=statut,
            date_debut=D("2026-03-01"),
            code_cloture="Prix" if statut == "Perdue" else None,
            date_cloture=D(day),
            **closing,
        )
    gone = new_affaire(con, statut="Gagnée", date_signature=D("2026-04-30"), total_ht=5)
    con.execute("UPDATE affaire SET deleted_at = ? WHERE id = ?", [dt.datetime(2026, 6, 1), gone])
    new_affaire(con, statut="En cours", date_debut=D("2026-04-10"))
    summaries = sales_summaries(con, admin, Filters(), PERIODS)
    assert [rows(s) for s in summaries] == [
        [(300.0, 2, 2, 0.5, 150.0, 45.5)],
        [(400.0, 1, 0, 1.0, 400.0, 30.0)],
        [(0.0, 0, 0, None, None, None)],
        [(200.0, 1, 1, 0.5, 200.0, 60.0)],
    ]
    april = rows(results_by_type(con, admin, Filters(du=PERIODS[0][0], au=PERIODS[0][1])))
    assert april[0] == ("Nouveau", 2, 2, 1, 0.5, 300.0, 150.0, 45.5)
