"""Reference lists: a rename carries the affaires, a value in use is deactivated, not deleted."""

from __future__ import annotations

import pytest

from crm_data import affaires, history, referentiels
from crm_data.model import PermissionDeniedError, ValidationError
from crm_data.store.db import Connection
from tests.factories import admin, make_affaire, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


def test_new_base_has_the_seeded_lists(con: Connection) -> None:
    assert [(e.nom, e.reussite_defaut) for e in referentiels.list_etapes(con)] == [
        ("Qualification", 20),
        ("Analyse des besoins", 40),
        ("Proposition commerciale", 60),
        ("Négociation", 80),
    ]
    categories = referentiels.categories_cloture(con)
    assert sorted(n for n, c in categories.items() if c == "interne") == [
        "Concurrent",
        "Délai de réponse",
        "Offre inadaptée",
        "Prix",
    ]
    assert referentiels.names(con, "famille_article") == [
        "Formation",
        "Logiciel",
        "Maintenance",
        "Matériel",
        "Prestation",
    ]


def test_renaming_an_etape_keeps_its_affaires_and_history(con: Connection) -> None:
    affaire_id = make_affaire(con, etape="Négociation")
    referentiels.save_value(
        con,
        admin(con),
        "etape",
        "Négociation finale",
        old_nom="Négociation",
        ordre=4,
        reussite_defaut=85,
    )
    assert affaires.get_affaire(con, admin(con), affaire_id).etape == "Négociation finale"
    frame = history.affaire_history(con, admin(con), affaire_id)
    assert "Négociation finale" in set(frame["nouveau"])
    assert "Négociation" not in set(frame["nouveau"])


def test_a_value_in_use_cannot_be_deleted(con: Connection) -> None:
    make_affaire(con, famille_article="Logiciel")
    with pytest.raises(ValidationError) as caught:
        referentiels.delete_value(con, admin(con), "famille_article", "Logiciel")
    assert "désactivez-le" in caught.value.errors[0][1]
    referentiels.delete_value(con, admin(con), "famille_article", "Formation")
    assert "Formation" not in referentiels.names(con, "famille_article", active_only=False)


def test_a_deactivated_value_stays_on_old_affaires_but_is_not_offered(con: Connection) -> None:
    affaire_id = make_affaire(con, famille_article="Logiciel")
    referentiels.save_value(
        con, admin(con), "famille_article", "Logiciel", old_nom="Logiciel", actif=False
    )
    assert "Logiciel" not in referentiels.names(con, "famille_article")
    aff = affaires.get_affaire(con, admin(con), affaire_id)
    affaires.update_affaire(con, admin(con), affaire_id, {"nom": "Toujours là"}, aff.version)
    with pytest.raises(ValidationError):
        make_affaire(con, famille_article="Logiciel")


def test_only_an_admin_edits_the_lists(con: Connection) -> None:
    with pytest.raises(PermissionDeniedError):
        referentiels.save_value(con, make_user(con), "famille_article", "Conseil")


def test_two_etapes_cannot_share_an_order(con: Connection) -> None:
    with pytest.raises(ValidationError) as caught:
        referentiels.save_value(con, admin(con), "etape", "Signature", ordre=4, reussite_defaut=90)
    assert caught.value.for_field("ordre")


def test_an_etapes_days_without_activity_can_be_set_and_emptied(con: Connection) -> None:
    me = admin(con)
    assert referentiels.list_etapes(con)[0].jours_sans_activite == 14
    fields = {"ordre": 1, "reussite_defaut": 20}
    referentiels.save_value(
        con, me, "etape", "Qualification", old_nom="Qualification", jours_sans_activite=30, **fields
    )
    assert referentiels.list_etapes(con)[0].jours_sans_activite == 30
    referentiels.save_value(
        con,
        me,
        "etape",
        "Qualification",
        old_nom="Qualification",
        jours_sans_activite=None,
        **fields,
    )
    assert referentiels.list_etapes(con)[0].jours_sans_activite is None


def test_a_save_or_rename_without_the_days_keeps_them(con: Connection) -> None:
    me = admin(con)
    fields = {"ordre": 4, "reussite_defaut": 80}
    referentiels.save_value(con, me, "etape", "Négociation", old_nom="Négociation", **fields)
    referentiels.save_value(con, me, "etape", "Négo", old_nom="Négociation", **fields)
    etapes = {e.nom: e for e in referentiels.list_etapes(con)}
    assert etapes["Négo"].jours_sans_activite == 14


@pytest.mark.parametrize("jours", [0, -3, 4000, "dix"])
def test_impossible_days_without_activity_are_refused_in_french(
    con: Connection, jours: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        referentiels.save_value(
            con,
            admin(con),
            "etape",
            "Qualification",
            old_nom="Qualification",
            ordre=1,
            reussite_defaut=20,
            jours_sans_activite=jours,
        )
    assert caught.value.for_field("jours_sans_activite")
    assert referentiels.list_etapes(con)[0].jours_sans_activite == 14


def test_use_counts_count_each_lists_values_in_one_scan(con: Connection) -> None:
    make_affaire(con, etape="Négociation", famille_article="Logiciel")
    make_affaire(con, etape="Négociation", famille_article="Logiciel")
    make_affaire(con, etape="Qualification")
    make_affaire(
        con,
        etape="Qualification",
        statut="Perdue",
        code_cloture="Prix",
        date_debut="2026-01-02",
        date_cloture="2026-01-05",
    )
    counts = referentiels.use_counts(con)
    assert counts == {
        "etape": {"Négociation": 2, "Qualification": 2},
        "code_cloture": {"Prix": 1},
        "famille_article": {"Logiciel": 2},
    }
    for referentiel in referentiels.REFERENTIELS:
        alone = referentiels.list_values(con, referentiel, active_only=False)
        shared = referentiels.list_values(con, referentiel, active_only=False, counts=counts)
        assert alone.equals(shared)
        expected = [counts[referentiel].get(n, 0) for n in alone["nom"]]
        assert alone["utilisations"].tolist() == expected
