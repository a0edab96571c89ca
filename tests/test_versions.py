"""Every write of an affaire appends its whole state as a version, with who and when, in the
same transaction; the Historique is derived from consecutive versions and lists the documents,
actions and projets added or removed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from crm_data import actions, affaires, documents, history, projets
from crm_data.model import AFFAIRE_FIELDS, Role, ValidationError
from crm_data.store.db import Connection
from tests.factories import admin, make_compte, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")

T0 = dt.datetime(2026, 3, 2, 9, 30)


def versions(con: Connection, affaire_id: int) -> list[tuple[object, ...]]:
    return con.execute(
        f"""
        SELECT version, valid_from, written_by, {", ".join(AFFAIRE_FIELDS)}
        FROM affaire_version
        WHERE affaire_id = ?
        ORDER BY version
        """,
        [affaire_id],
    ).fetchall()


def row_as_version(con: Connection, affaire_id: int) -> tuple[object, ...]:
    row = con.execute(
        f"""
        SELECT version, updated_at, updated_by, {", ".join(AFFAIRE_FIELDS)}
        FROM affaire
        WHERE id = ?
        """,
        [affaire_id],
    ).fetchone()
    assert row is not None
    return tuple(row)


def create(con: Connection, at: dt.datetime = T0, **values: object) -> int:
    values.setdefault("compte_id", make_compte(con))
    values.setdefault("nom", "Affaire suivie")
    return affaires.create_affaire(con, admin(con), values, at=at)


def save(con: Connection, affaire_id: int, at: dt.datetime, **values: object) -> None:
    current = affaires.get_affaire(con, admin(con), affaire_id)
    affaires.update_affaire(con, admin(con), affaire_id, values, current.version, at=at)


def test_a_creation_is_one_version_and_no_history_row() -> None:
    con = new_base()
    affaire_id = create(con, ca_potentiel="1 500,50")
    [version] = versions(con, affaire_id)
    assert version == row_as_version(con, affaire_id)
    assert version[:3] == (1, T0, admin(con).id)
    assert con.execute("SELECT count(*) FROM affaire_historique").fetchone() == (0,)


def test_each_save_appends_the_state_after_it_at_its_instant() -> None:
    con = new_base()
    affaire_id = create(con)
    later = T0 + dt.timedelta(days=3)
    save(con, affaire_id, later, etape="Négociation", ca_potentiel="9000")
    first, second = versions(con, affaire_id)
    assert second == row_as_version(con, affaire_id)
    assert second[:2] == (2, later)
    fields = dict(zip(AFFAIRE_FIELDS, second[3:], strict=True))
    assert (fields["etape"], fields["ca_potentiel"]) == ("Négociation", Decimal("9000.00"))
    assert dict(zip(AFFAIRE_FIELDS, first[3:], strict=True))["etape"] == "Qualification"


def test_a_save_that_changes_nothing_writes_no_version() -> None:
    con = new_base()
    affaire_id = create(con, notes="Même note")
    save(con, affaire_id, T0 + dt.timedelta(hours=1), notes="Même note")
    assert len(versions(con, affaire_id)) == 1


def test_a_refused_save_writes_no_version() -> None:
    con = new_base()
    affaire_id = create(con)
    with pytest.raises(ValidationError):
        save(con, affaire_id, T0 + dt.timedelta(hours=1), statut="Perdue")
    assert len(versions(con, affaire_id)) == 1


def test_closing_and_reopening_are_versions_of_their_own() -> None:
    con = new_base()
    affaire_id = create(con)
    save(con, affaire_id, T0 + dt.timedelta(days=1), statut="Perdue", code_cloture="Prix")
    save(con, affaire_id, T0 + dt.timedelta(days=2), statut="En cours")
    statuts = [v[3 + AFFAIRE_FIELDS.index("statut")] for v in versions(con, affaire_id)]
    assert statuts == ["En cours", "Perdue", "En cours"]


def test_a_reassignment_appends_one_version_per_affaire_moved() -> None:
    con = new_base()
    claire = make_user(con, Role.COMMERCIAL, "Claire Petit")
    marc = make_user(con, Role.MANAGER, "Marc Roux")
    moved = [create(con, gestion_par=claire.id) for _ in range(3)]
    kept = create(con)
    when = T0 + dt.timedelta(days=5)
    assert affaires.reassign_affaires(con, marc, claire.id, marc.id, at=when) == 3
    for affaire_id in moved:
        last = versions(con, affaire_id)[-1]
        assert last == row_as_version(con, affaire_id)
        assert last[:3] == (2, when, marc.id)
        assert dict(zip(AFFAIRE_FIELDS, last[3:], strict=True))["gestion_par"] == marc.id
    assert len(versions(con, kept)) == 1
    frame = history.affaire_history(con, admin(con), moved[0])
    latest = frame.iloc[0]
    assert (latest["champ"], latest["ancien"], latest["nouveau"], latest["utilisateur"]) == (
        "Gestion par",
        "Claire Petit",
        "Marc Roux",
        "Marc Roux",
    )


def test_deleting_an_affaire_removes_its_versions_and_events() -> None:
    con = new_base()
    affaire_id = create(con)
    keep = create(con)
    actions.create_action(con, admin(con), affaire_id, {"type": "Mail", "objet": "Relance"})
    save(con, affaire_id, T0 + dt.timedelta(days=1), etape="Négociation")
    current = affaires.get_affaire(con, admin(con), affaire_id)
    affaires.delete_affaire(con, admin(con), affaire_id, current.version)
    for table in ("affaire_version", "affaire_historique"):
        assert con.execute(
            f"SELECT count(*) FROM {table} WHERE affaire_id = ?", [affaire_id]
        ).fetchone() == (0,)
    assert len(versions(con, keep)) == 1


def test_the_historique_is_derived_from_consecutive_versions() -> None:
    con = new_base()
    affaire_id = create(con, ca_potentiel="100")
    save(con, affaire_id, T0 + dt.timedelta(days=1), ca_potentiel="250", etape="Négociation")
    frame = history.affaire_history(con, admin(con), affaire_id)
    assert list(frame.columns) == ["changed_at", "utilisateur", "champ", "ancien", "nouveau"]
    newest = frame[frame["changed_at"] == T0 + dt.timedelta(days=1)]
    changed = set(zip(newest["champ"], newest["ancien"], newest["nouveau"], strict=True))
    assert {("CA potentiel", "100.00", "250.00"), ("Étape", "Qualification", "Négociation")} <= (
        changed
    )
    assert not {c for c, _, _ in changed} & {"Nom", "Compte", "Statut"}
    creation = frame[frame["changed_at"] == T0]
    assert set(creation["champ"]) >= {"Nom", "Compte", "Statut", "Étape", "CA potentiel"}
    assert creation["ancien"].isna().all()
    assert frame["changed_at"].is_monotonic_decreasing


def test_documents_actions_and_projets_added_or_removed_are_in_the_historique() -> None:
    con = new_base()
    affaire_id = create(con)
    actor = admin(con)
    doc = documents.create_document(
        con,
        actor,
        affaire_id,
        {
            "type": "Devis",
            "numero": "D-42",
            "date_document": dt.date(2026, 3, 3),
            "montant_ht": "1500",
            "statut": "Envoyé",
        },
    )
    actions.create_action(con, actor, affaire_id, {"type": "Mail", "objet": "Envoi du devis"})
    projet = projets.create_projet(
        con, actor, affaire_id, {"nom": "Déploiement", "statut": "En cours"}
    )
    documents.delete_document(con, actor, doc, 1)
    projets.delete_projet(con, actor, projet, 1)
    frame = history.affaire_history(con, actor, affaire_id)
    events = frame[frame["champ"].isin(["Document", "Action", "Projet"])]
    shown = [
        tuple(None if pd.isna(v) else v for v in row)
        for row in zip(events["champ"], events["ancien"], events["nouveau"], strict=True)
    ]
    assert sorted(shown, key=str) == sorted(
        [
            ("Document", None, "Devis D-42"),
            ("Document", "Devis D-42", None),
            ("Action", None, "Mail : Envoi du devis"),
            ("Projet", None, "Déploiement"),
            ("Projet", "Déploiement", None),
        ],
        key=str,
    )
    assert shown[0] == ("Projet", "Déploiement", None)
    assert len(versions(con, affaire_id)) == 1


def test_a_commercial_sees_no_historique_of_another_affaire() -> None:
    con = new_base()
    affaire_id = create(con)
    claire = make_user(con, Role.COMMERCIAL)
    with pytest.raises(Exception, match="introuvable"):
        history.affaire_history(con, claire, affaire_id)
