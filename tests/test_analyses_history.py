"""A8 conversion and velocity on a hand-written history, and the stuck affaires."""

from __future__ import annotations

from crm_data.analyses.registry import Filters, conversion, stuck_affaires
from tests.analyses_factory import D, new_affaire, new_base, new_history, rows

YEAR_2026 = Filters(du=D("2026-01-01"), au=D("2026-12-31"), today=D("2026-06-01"))


def _journeys() -> tuple[object, ...]:
    con, admin = new_base()
    won = new_affaire(con, statut="Gagnée", etape="Négociation", total_ht=1)
    for day, champ, value in [
        ("2026-01-01", "etape", "Qualification"),
        ("2026-01-01", "statut", "En cours"),
        ("2026-01-11", "etape", "Analyse des besoins"),
        ("2026-01-31", "etape", "Négociation"),
        ("2026-02-10", "statut", "Gagnée"),
    ]:
        new_history(con, won, day, champ, value)
    lost = new_affaire(con, statut="Perdue", code_cloture="Prix")
    new_history(con, lost, "2026-01-01", "etape", "Qualification")
    new_history(con, lost, "2026-01-21", "statut", "Perdue")
    open_one = new_affaire(con, nom="Ouverte")
    new_history(con, open_one, "2026-01-05", "etape", "Qualification")
    back = new_affaire(con, nom="Revenue")
    new_history(con, back, "2026-01-01", "etape", "Analyse des besoins")
    new_history(con, back, "2026-01-06", "etape", "Qualification")
    return con, admin


def test_conversion_counts_entries_progress_and_median_days_per_etape() -> None:
    con, admin = _journeys()
    assert rows(conversion(con, admin, YEAR_2026)) == [  # type: ignore[arg-type]
        ("Qualification", 4, 1, 0.25, 15.0),
        ("Analyse des besoins", 2, 1, 0.5, 12.5),
        ("Proposition commerciale", 0, 0, None, None),
        ("Négociation", 1, 1, 1.0, 10.0),
    ]


def test_conversion_counts_only_entries_in_period() -> None:
    con, admin = _journeys()
    frame = conversion(con, admin, Filters(du=D("2026-01-02"), au=D("2026-01-31")))  # type: ignore[arg-type]
    assert frame["entrees"].tolist() == [2, 1, 0, 1]


def test_conversion_on_an_empty_base_has_zero_entries() -> None:
    con, admin = new_base()
    assert conversion(con, admin, YEAR_2026)["entrees"].tolist() == [0, 0, 0, 0]


def test_stuck_affaires_lists_open_affaires_longest_first() -> None:
    con, admin = _journeys()
    frame = stuck_affaires(con, admin, YEAR_2026)  # type: ignore[arg-type]
    assert rows(frame[["nom", "etape", "depuis", "jours"]]) == [
        ("Ouverte", "Qualification", D("2026-01-05"), 147),
        ("Revenue", "Qualification", D("2026-01-06"), 146),
    ]
    assert stuck_affaires(con, admin, YEAR_2026, threshold_days=146).shape[0] == 1  # type: ignore[arg-type]


def test_stuck_affaires_count_every_stuck_affaire_beyond_the_display_limit() -> None:
    con, admin = new_base()
    for _ in range(7):
        new_affaire(con, date_debut=D("2026-01-01"))
    frame = stuck_affaires(con, admin, YEAR_2026, limit=5)
    assert len(frame) == 5
    assert frame["nombre_total"].tolist() == [7] * 5
