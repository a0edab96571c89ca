"""Rights enforced in crm_data: a commercial reaches only their own affaires and what hangs on
them, a manager reaches every one, and every refused attempt leaves the base unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from crm_data import (
    actions,
    affaires,
    comptes,
    contacts,
    documents,
    history,
    projets,
    referentiels,
    users,
)
from crm_data.affaires_list import affaire_ids, list_affaires, list_totals
from crm_data.files.canonical import read_canonical_bytes
from crm_data.filters import Filters
from crm_data.imports import canonical as importer
from crm_data.model import (
    Actor,
    CrmError,
    NotFoundError,
    PermissionDeniedError,
    Role,
    ValidationError,
)
from crm_data.store.db import Connection, dialect, read
from tests.factories import admin, make_affaire, make_compte, make_contact, make_user, new_base
from tests.files_helpers import csv_bytes

pytestmark = pytest.mark.usefixtures("engine")

TABLES = (
    "utilisateur",
    "etape",
    "code_cloture",
    "famille_article",
    "compte",
    "compte_cle",
    "contact",
    "affaire",
    "affaire_historique",
    "action",
    "document",
    "projet",
    "import_mapping",
)
PDF = b"%PDF-1.4 test"


def digest(con: Connection) -> list[tuple[str, int, str]]:
    """Row count and a hash of every row of every table, to prove that nothing changed."""
    with read(con) as cur:
        # PostgreSQL has no hash() of a row: the md5 of its rows' text forms, in order.
        rows = (
            "coalesce(sum(hash(t)), 0)"
            if dialect(cur) == "duckdb"
            else "coalesce(md5(string_agg(CAST(t AS TEXT), '|' ORDER BY CAST(t AS TEXT))), '')"
        )
        sql = "\nUNION ALL\n".join(
            f"SELECT '{table}', count(*), {rows} FROM {table} AS t" for table in TABLES
        )
        return sorted((str(n), int(c), str(h)) for n, c, h in cur.execute(sql).fetchall())


@dataclass
class World:
    con: Connection
    alice: Actor
    bob: Actor
    manager: Actor
    affaire: int
    action: int
    document: int
    projet: int
    compte: int
    contact: int


def world() -> World:
    """Alice (commercial) owns an affaire with an action, a document and a projet; Bob is
    another commercial; Claire manages the team."""
    con = new_base()
    alice = make_user(con, Role.COMMERCIAL, "Alice Martin")
    bob = make_user(con, Role.COMMERCIAL, "Bob Petit")
    manager = make_user(con, Role.MANAGER, "Claire Durand")
    compte = make_compte(con, "Acme")
    contact = make_contact(con, compte)
    affaire = make_affaire(con, alice, compte_id=compte, ca_potentiel="1000")
    action = actions.create_action(con, alice, affaire, {"type": "Mail", "objet": "Relance"})
    document = documents.create_document(
        con,
        alice,
        affaire,
        {
            "type": "Devis",
            "numero": "D-1",
            "date_document": "2026-01-05",
            "montant_ht": "900",
            "statut": "Envoyé",
            "fichier": PDF,
        },
    )
    projet = projets.create_projet(con, alice, affaire, {"nom": "Déploiement"})
    return World(con, alice, bob, manager, affaire, action, document, projet, compte, contact)


Operation = Callable[[World, Actor], Any]

ACTION_VALUES = {"type": "Téléphone", "objet": "Appel"}
DOCUMENT_VALUES = {
    "type": "Facture",
    "numero": "F-1",
    "date_document": "2026-02-01",
    "montant_ht": "900",
    "statut": "Émise",
}

READS: dict[str, Operation] = {
    "get_affaire": lambda w, a: affaires.get_affaire(w.con, a, w.affaire),
    "affaire_history": lambda w, a: history.affaire_history(w.con, a, w.affaire),
    "preview_on_affaire": lambda w, a: affaires.preview(
        w.con, a, {"nom": "X"}, affaires.get_affaire(w.con, w.manager, w.affaire)
    ),
    "get_action": lambda w, a: actions.get_action(w.con, a, w.action),
    "actions_of_affaire": lambda w, a: actions.actions_of_affaire(w.con, a, w.affaire),
    "get_document": lambda w, a: documents.get_document(w.con, a, w.document),
    "document_file": lambda w, a: documents.document_file(w.con, a, w.document),
    "documents_of_affaire": lambda w, a: documents.documents_of_affaire(w.con, a, w.affaire),
    "get_projet": lambda w, a: projets.get_projet(w.con, a, w.projet),
    "projets_of_affaire": lambda w, a: projets.projets_of_affaire(w.con, a, w.affaire),
}

WRITES: dict[str, Operation] = {
    "update_affaire": lambda w, a: affaires.update_affaire(
        w.con, a, w.affaire, {"nom": "Repris"}, 1
    ),
    "delete_affaire": lambda w, a: affaires.delete_affaire(w.con, a, w.affaire, 1),
    "create_action": lambda w, a: actions.create_action(w.con, a, w.affaire, ACTION_VALUES),
    "update_action": lambda w, a: actions.update_action(w.con, a, w.action, ACTION_VALUES, 1),
    "mark_action_done": lambda w, a: actions.mark_done(w.con, a, w.action, 1),
    "delete_action": lambda w, a: actions.delete_action(w.con, a, w.action, 1),
    "create_document": lambda w, a: documents.create_document(w.con, a, w.affaire, DOCUMENT_VALUES),
    "update_document": lambda w, a: documents.update_document(
        w.con, a, w.document, DOCUMENT_VALUES, 1
    ),
    "delete_document": lambda w, a: documents.delete_document(w.con, a, w.document, 1),
    "create_projet": lambda w, a: projets.create_projet(w.con, a, w.affaire, {"nom": "Suite"}),
    "update_projet": lambda w, a: projets.update_projet(w.con, a, w.projet, {"nom": "Suite"}, 1),
    "delete_projet": lambda w, a: projets.delete_projet(w.con, a, w.projet, 1),
}


@pytest.fixture
def read_only_world(engine: str) -> World:
    """One world shared by the reads of a test (each still checks the digest): a fresh base per
    test, since each engine's test drops its PostgreSQL bases afterwards."""
    return world()


@pytest.mark.parametrize("name", list(READS))
def test_commercial_reading_anothers_record_is_told_introuvable(
    name: str, read_only_world: World
) -> None:
    w = read_only_world
    before = digest(w.con)
    with pytest.raises(NotFoundError, match="introuvable"):
        READS[name](w, w.bob)
    assert digest(w.con) == before


@pytest.mark.parametrize("name", list(READS))
def test_manager_reads_anothers_record(name: str, read_only_world: World) -> None:
    w = read_only_world
    assert READS[name](w, w.manager) is not None


@pytest.mark.parametrize("name", list(READS))
def test_owner_reads_own_record(name: str, read_only_world: World) -> None:
    w = read_only_world
    assert READS[name](w, w.alice) is not None


@pytest.mark.parametrize("name", list(WRITES))
def test_commercial_writing_anothers_record_is_told_introuvable_and_nothing_changes(
    name: str,
) -> None:
    w = world()
    before = digest(w.con)
    with pytest.raises(NotFoundError, match="introuvable"):
        WRITES[name](w, w.bob)
    assert digest(w.con) == before


@pytest.mark.parametrize("name", list(WRITES))
def test_manager_writes_anothers_record(name: str) -> None:
    w = world()
    before = digest(w.con)
    WRITES[name](w, w.manager)
    assert digest(w.con) != before


def test_missing_and_forbidden_child_records_get_the_same_answer(read_only_world: World) -> None:
    w = read_only_world
    with pytest.raises(NotFoundError) as forbidden:
        actions.get_action(w.con, w.bob, w.action)
    with pytest.raises(NotFoundError) as missing:
        actions.get_action(w.con, w.bob, 999_999)
    assert str(forbidden.value) == str(missing.value)


DENIED: dict[str, tuple[Operation, type[CrmError]]] = {
    "commercial_edits_compte": (
        lambda w, a: comptes.update_compte(w.con, a, w.compte, {"nom": "Acme SA"}, 1),
        PermissionDeniedError,
    ),
    "commercial_edits_contact": (
        lambda w, a: contacts.update_contact(
            w.con, a, w.contact, {"compte_id": w.compte, "nom": "Autre"}, 1
        ),
        PermissionDeniedError,
    ),
    "commercial_creates_affaire_for_another": (
        lambda w, a: affaires.create_affaire(
            w.con, a, {"nom": "Pour Alice", "compte_id": w.compte, "gestion_par": w.alice.id}
        ),
        ValidationError,
    ),
    "commercial_reassigns_in_bulk": (
        lambda w, a: affaires.reassign_affaires(w.con, a, w.alice.id, a.id),
        PermissionDeniedError,
    ),
    "commercial_adds_user": (
        lambda w, a: users.add_user(w.con, a, "pirate", "admin"),
        PermissionDeniedError,
    ),
    "commercial_promotes_self": (
        lambda w, a: users.update_user(
            w.con, a, a.id, nom=a.nom, email=None, role="admin", actif=True
        ),
        PermissionDeniedError,
    ),
    "commercial_edits_reference_list": (
        lambda w, a: referentiels.save_value(w.con, a, "famille_article", "Conseil"),
        PermissionDeniedError,
    ),
    "commercial_deletes_reference_value": (
        lambda w, a: referentiels.delete_value(w.con, a, "famille_article", "Formation"),
        PermissionDeniedError,
    ),
}


@pytest.mark.parametrize("name", list(DENIED))
def test_commercial_denied_write_changes_nothing(name: str) -> None:
    w = world()
    before = digest(w.con)
    operation, error = DENIED[name]
    with pytest.raises(error):
        operation(w, w.bob)
    assert digest(w.con) == before


@pytest.mark.parametrize(
    "name", ["commercial_adds_user", "commercial_promotes_self", "commercial_edits_reference_list"]
)
def test_manager_is_not_an_admin(name: str) -> None:
    w = world()
    before = digest(w.con)
    operation, error = DENIED[name]
    with pytest.raises(error):
        operation(w, w.manager)
    assert digest(w.con) == before


def test_commercial_cannot_hand_own_affaire_to_another() -> None:
    w = world()
    before = digest(w.con)
    with pytest.raises(ValidationError, match="manager"):
        affaires.update_affaire(w.con, w.alice, w.affaire, {"gestion_par": w.bob.id}, 1)
    assert digest(w.con) == before


def test_commercial_lists_only_own_affaires() -> None:
    w = world()
    own = make_affaire(w.con, w.bob, compte_id=w.compte, ca_potentiel="300")
    everything = Filters()
    assert list_affaires(w.con, w.bob, everything)["id"].tolist() == [own]
    assert affaire_ids(w.con, w.bob, everything) == [own]
    totals = list_totals(w.con, w.bob, everything)
    assert (totals.nombre, totals.ca_potentiel) == (1, 300)
    asked_for_alice = Filters(gestion_par=[w.alice.id])
    assert list_totals(w.con, w.bob, asked_for_alice).nombre == 0


def test_manager_lists_every_affaire() -> None:
    w = world()
    own = make_affaire(w.con, w.bob, compte_id=w.compte)
    assert sorted(affaire_ids(w.con, w.manager, Filters())) == sorted([w.affaire, own])


def test_compte_totals_count_only_the_affaires_the_actor_sees() -> None:
    w = world()
    frame, total = comptes.list_comptes(w.con, w.bob)
    assert total == 1
    assert frame.loc[0, "affaires"] == 0
    frame, _ = comptes.list_comptes(w.con, w.manager)
    assert frame.loc[0, "affaires"] == 1


def test_my_actions_hide_actions_on_affaires_the_actor_cannot_see() -> None:
    w = world()
    actions.create_action(
        w.con,
        w.alice,
        w.affaire,
        {
            "type": "Tâche",
            "objet": "Pour Bob",
            "utilisateur_id": w.bob.id,
            "echeance": "2020-01-01",
        },
    )
    assert actions.my_actions(w.con, w.bob).empty


def test_manager_edit_carries_the_manager_in_audit_and_history() -> None:
    w = world()
    saved = affaires.update_affaire(w.con, w.manager, w.affaire, {"etape": "Négociation"}, 1)
    assert (saved.created_by, saved.updated_by) == (w.alice.id, w.manager.id)
    frame = history.affaire_history(w.con, w.manager, w.affaire)
    assert frame.loc[0, "utilisateur"] == "Claire Durand"
    action_id = actions.create_action(w.con, w.manager, w.affaire, ACTION_VALUES)
    with read(w.con) as cur:
        row = cur.execute(
            "SELECT created_by, updated_by, utilisateur_id FROM action WHERE id = ?", [action_id]
        ).fetchone()
    assert row == (w.manager.id, w.manager.id, w.manager.id)


def test_bulk_reassignment_moves_every_affaire_with_history_and_audit() -> None:
    w = world()
    second = make_affaire(w.con, w.alice, compte_id=w.compte)
    users.update_user(
        w.con, admin(w.con), w.alice.id, nom=w.alice.nom, email=None, role="commercial", actif=False
    )
    assert affaires.get_affaire(w.con, w.manager, w.affaire).gestion_par == w.alice.id
    moved = affaires.reassign_affaires(w.con, w.manager, w.alice.id, w.bob.id)
    assert moved == 2
    for affaire_id in (w.affaire, second):
        saved = affaires.get_affaire(w.con, w.bob, affaire_id)
        assert (saved.gestion_par, saved.updated_by, saved.version) == (w.bob.id, w.manager.id, 2)
        latest = history.affaire_history(w.con, w.bob, affaire_id).iloc[0]
        assert (latest["champ"], latest["ancien"], latest["nouveau"]) == (
            "Gestion par",
            "Alice Martin",
            "Bob Petit",
        )


def test_bulk_reassignment_of_open_affaires_leaves_closed_ones() -> None:
    w = world()
    lost = make_affaire(w.con, w.alice, compte_id=w.compte, statut="Perdue", code_cloture="Prix")
    assert affaires.reassign_affaires(w.con, w.manager, w.alice.id, w.bob.id, open_only=True) == 1
    assert affaires.get_affaire(w.con, w.manager, lost).gestion_par == w.alice.id


def test_bulk_reassignment_to_a_deactivated_user_changes_nothing() -> None:
    w = world()
    users.update_user(
        w.con, admin(w.con), w.bob.id, nom=w.bob.nom, email=None, role="commercial", actif=False
    )
    before = digest(w.con)
    with pytest.raises(ValidationError, match="désactivé"):
        affaires.reassign_affaires(w.con, w.manager, w.alice.id, w.bob.id)
    assert digest(w.con) == before


def test_bulk_reassignment_of_a_user_without_affaires_moves_none() -> None:
    w = world()
    assert affaires.reassign_affaires(w.con, w.manager, w.bob.id, w.alice.id) == 0


def test_bulk_reassignment_keeps_every_other_field() -> None:
    w = world()
    before = affaires.get_affaire(w.con, w.manager, w.affaire)
    affaires.reassign_affaires(w.con, w.manager, w.alice.id, w.bob.id)
    after = affaires.get_affaire(w.con, w.manager, w.affaire)
    moved = {"gestion_par", "version", "updated_at", "updated_by"}
    assert {k: v for k, v in vars(after).items() if k not in moved} == {
        k: v for k, v in vars(before).items() if k not in moved
    }
    assert actions.actions_of_affaire(w.con, w.bob, w.affaire)["id"].tolist() == [w.action]


def _import_one_row(w: World, a: Actor) -> object:
    line = "Importée;Acme;;;;;;;;;;;;;;;;"
    source = read_canonical_bytes(csv_bytes(line), "f.csv")
    return importer.import_rows(w.con, a, source.rows, headers=source.headers)


STALE_ACTOR_WRITES: dict[str, Operation] = {
    **WRITES,
    "create_affaire": lambda w, a: affaires.create_affaire(
        w.con, a, {"nom": "Nouvelle", "compte_id": w.compte}
    ),
    "reassign_affaires": lambda w, a: affaires.reassign_affaires(w.con, a, w.alice.id, w.bob.id),
    "create_compte": lambda w, a: comptes.create_compte(w.con, a, {"nom": "Globex"}),
    "update_compte": lambda w, a: comptes.update_compte(w.con, a, w.compte, {"nom": "Acme SA"}, 1),
    "create_contact": lambda w, a: contacts.create_contact(
        w.con, a, {"compte_id": w.compte, "nom": "Martin"}
    ),
    "update_contact": lambda w, a: contacts.update_contact(
        w.con, a, w.contact, {"compte_id": w.compte, "nom": "Autre"}, 1
    ),
    "add_user": lambda w, a: users.add_user(w.con, a, "nouveau", "commercial"),
    "update_user": lambda w, a: users.update_user(
        w.con, a, w.bob.id, nom="Bob", email=None, role="manager", actif=True
    ),
    "save_reference_value": lambda w, a: referentiels.save_value(
        w.con, a, "famille_article", "Conseil"
    ),
    "delete_reference_value": lambda w, a: referentiels.delete_value(
        w.con, a, "famille_article", "Formation"
    ),
    "import_rows": _import_one_row,
}


@pytest.mark.parametrize("change", ["deactivated", "demoted"])
@pytest.mark.parametrize("name", list(STALE_ACTOR_WRITES))
def test_a_deactivated_or_demoted_users_old_actor_writes_nothing(name: str, change: str) -> None:
    w = world()
    boss = make_user(w.con, Role.ADMIN, "Ancien Chef")
    users.update_user(
        w.con,
        admin(w.con),
        boss.id,
        nom=boss.nom,
        email=None,
        role="admin" if change == "deactivated" else "commercial",
        actif=change != "deactivated",
    )
    before = digest(w.con)
    with pytest.raises(PermissionDeniedError):
        STALE_ACTOR_WRITES[name](w, boss)
    assert digest(w.con) == before
