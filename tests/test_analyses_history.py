"""A8 conversion and velocity on hand-written versions, and the stuck affaires."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_data import affaires
from crm_data.analyses.registry import Filters, conversion, stuck_affaires
from tests import factories
from tests.analyses_factory import D, new_affaire, new_base, new_user, new_version, rows

pytestmark = pytest.mark.usefixtures("engine")

YEAR_2026 = Filters(du=D("2026-01-01"), au=D("2026-12-31"), today=D("2026-06-01"))


OPEN = {"statut": "En cours", "code_cloture": None, "date_cloture": None, "total_ht": None}


def _journeys() -> tuple[object, ...]:
    con, admin = new_base()
    won = new_affaire(con, statut="Gagnée", etape="Négociation", total_ht=1)
    new_version(con, won, "2026-01-01", **OPEN, date_signature=None, etape="Qualification")
    new_version(con, won, "2026-01-11", etape="Analyse des besoins")
    new_version(con, won, "2026-01-31", etape="Négociation")
    new_version(con, won, "2026-02-10", statut="Gagnée", total_ht=1)
    lost = new_affaire(con, statut="Perdue", code_cloture="Prix")
    new_version(con, lost, "2026-01-01", **OPEN)
    new_version(con, lost, "2026-01-21", statut="Perdue", code_cloture="Prix")
    open_one = new_affaire(con, nom="Ouverte")
    new_version(con, open_one, "2026-01-05")
    back = new_affaire(con, nom="Revenue")
    new_version(con, back, "2026-01-01", etape="Analyse des besoins")
    new_version(con, back, "2026-01-06", etape="Qualification")
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


def _saved_through_the_application() -> tuple[object, ...]:
    """Affaires created and saved by crm_data.affaires, as the screens and imports write them."""
    con = factories.new_base()
    actor = factories.admin(con)

    def save(affaire_id: int, when: str, **values: object) -> None:
        current = affaires.get_affaire(con, actor, affaire_id)
        at = dt.datetime.fromisoformat(f"{when}T10:00:00")
        affaires.update_affaire(con, actor, affaire_id, values, current.version, at=at)

    def create(when: str, **values: object) -> int:
        values = {"compte_id": factories.make_compte(con), "nom": "Suivie", **values}
        at = dt.datetime.fromisoformat(f"{when}T09:00:00")
        return affaires.create_affaire(con, actor, values, at=at)

    won = create("2026-02-02", date_debut="2026-02-02")
    save(won, "2026-02-05", ca_potentiel="1 000")
    save(won, "2026-02-12", etape="Proposition commerciale")
    save(won, "2026-02-22", statut="Gagnée", total_ht="900", date_signature="2026-02-22")
    lost = create("2026-02-03", date_debut="2026-02-03")
    save(lost, "2026-02-13", statut="Perdue", code_cloture="Prix")
    save(lost, "2026-02-16", statut="En cours")
    save(lost, "2026-02-20", etape="Négociation")
    return con, actor


def test_conversion_reads_the_versions_the_application_writes() -> None:
    con, actor = _saved_through_the_application()
    assert rows(conversion(con, actor, YEAR_2026)) == [  # type: ignore[arg-type]
        ("Qualification", 2, 2, 1.0, 10.0),
        ("Analyse des besoins", 0, 0, None, None),
        ("Proposition commerciale", 1, 1, 1.0, 10.0),
        ("Négociation", 1, 0, 0.0, None),
    ]


def test_a_save_keeping_the_etape_or_reopening_in_it_is_no_new_entry() -> None:
    # won: saved in Qualification on 02-05 and left it on 02-12; lost: closed on 02-13 after 10
    # days, reopened in Qualification (no new entry), then moved on to Négociation.
    con, actor = _saved_through_the_application()
    frame = conversion(con, actor, Filters(du=D("2026-02-04"), au=D("2026-12-31")))  # type: ignore[arg-type]
    assert frame["entrees"].tolist() == [0, 0, 1, 1]


def test_conversion_of_a_commercial_counts_their_affaires_only() -> None:
    con, _ = _journeys()
    commercial = new_user(con, "vendeur")  # type: ignore[arg-type]
    mine = new_affaire(con, gestion_par=commercial.id)  # type: ignore[arg-type]
    new_version(con, mine, "2026-03-01")  # type: ignore[arg-type]
    new_version(con, mine, "2026-03-04", etape="Négociation")  # type: ignore[arg-type]
    assert rows(conversion(con, commercial, YEAR_2026)) == [  # type: ignore[arg-type]
        ("Qualification", 1, 1, 1.0, 3.0),
        ("Analyse des besoins", 0, 0, None, None),
        ("Proposition commerciale", 0, 0, None, None),
        ("Négociation", 1, 0, 0.0, None),
    ]


def test_stuck_affaires_date_the_etape_from_its_entry_not_from_the_last_save() -> None:
    con, admin = new_base()
    moved = new_affaire(con, nom="Avancée", etape="Négociation")
    new_version(con, moved, "2026-01-02", etape="Qualification")
    new_version(con, moved, "2026-02-01", etape="Négociation")
    new_version(con, moved, "2026-05-20", ca_potentiel=500)
    frame = stuck_affaires(con, admin, YEAR_2026, threshold_days=30)  # type: ignore[arg-type]
    assert rows(frame[["nom", "etape", "depuis", "jours", "nombre_total"]]) == [
        ("Avancée", "Négociation", D("2026-02-01"), 120, 1),
    ]
