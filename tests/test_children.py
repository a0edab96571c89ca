"""Actions, documents and projets hang on an affaire and follow its rights and versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from crm_data import actions, affaires, documents, projets, users
from crm_data.model import ConflictError, NotFoundError, ValidationError
from crm_data.store.db import Connection
from tests.factories import admin, make_affaire, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def con(engine: str) -> Connection:
    return new_base()


def test_overdue_action_stands_out(con: Connection) -> None:
    affaire_id = make_affaire(con)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    actions.create_action(
        con, admin(con), affaire_id, {"type": "Relance", "objet": "Relancer", "echeance": yesterday}
    )
    actions.create_action(
        con,
        admin(con),
        affaire_id,
        {"type": "Mail", "objet": "Fait", "echeance": yesterday, "fait": True},
    )
    frame = actions.actions_of_affaire(con, admin(con), affaire_id)
    assert dict(zip(frame["objet"], frame["en_retard"], strict=True)) == {
        "Relancer": True,
        "Fait": False,
    }


def test_my_actions_lists_overdue_today_and_upcoming(con: Connection) -> None:
    affaire_id = make_affaire(con)
    today = dt.date.today()
    for days, objet in ((-2, "retard"), (0, "jour"), (3, "bientôt"), (60, "loin")):
        actions.create_action(
            con,
            admin(con),
            affaire_id,
            {"type": "Tâche", "objet": objet, "echeance": today + dt.timedelta(days=days)},
        )
    frame = actions.my_actions(con, admin(con))
    assert list(zip(frame["objet"], frame["quand"], strict=True)) == [
        ("retard", "En retard"),
        ("jour", "Aujourd'hui"),
        ("bientôt", "À venir"),
    ]


def test_mark_done_records_the_day(con: Connection) -> None:
    affaire_id = make_affaire(con)
    action_id = actions.create_action(con, admin(con), affaire_id, {"type": "Mail", "objet": "x"})
    actions.mark_done(con, admin(con), action_id, 1)
    done = actions.get_action(con, admin(con), action_id)
    assert (done["fait"], done["fait_le"], done["version"]) == (True, dt.date.today(), 2)


def test_document_keeps_its_pdf_and_refuses_other_files(con: Connection) -> None:
    affaire_id = make_affaire(con)
    values = {
        "type": "Devis",
        "numero": "D-1",
        "date_document": dt.date.today(),
        "montant_ht": "1500",
        "statut": "Envoyé",
    }
    doc_id = documents.create_document(
        con, admin(con), affaire_id, values | {"fichier": PDF, "fichier_nom": "devis.pdf"}
    )
    assert documents.document_file(con, admin(con), doc_id) == ("devis.pdf", PDF)
    with pytest.raises(ValidationError) as caught:
        documents.create_document(
            con, admin(con), affaire_id, values | {"fichier": b"MZ\x90\x00", "fichier_nom": "x.exe"}
        )
    assert caught.value.for_field("fichier") == ["Seuls les fichiers PDF sont acceptés."]


@pytest.mark.parametrize(("kind", "statut"), [("Devis", "Payée"), ("Facture", "Brouillon")])
def test_document_statut_depends_on_its_type(con: Connection, kind: str, statut: str) -> None:
    with pytest.raises(ValidationError) as caught:
        documents.create_document(
            con,
            admin(con),
            make_affaire(con),
            {
                "type": kind,
                "numero": "N",
                "date_document": "2026-01-01",
                "montant_ht": 1,
                "statut": statut,
            },
        )
    assert caught.value.for_field("statut")


def test_projet_stale_save_is_refused(con: Connection) -> None:
    affaire_id = make_affaire(con)
    projet_id = projets.create_projet(con, admin(con), affaire_id, {"nom": "Déploiement"})
    projets.update_projet(con, admin(con), projet_id, {"nom": "Déploiement v2"}, 1)
    with pytest.raises(ConflictError):
        projets.update_projet(con, admin(con), projet_id, {"nom": "Autre"}, 1)
    assert projets.get_projet(con, admin(con), projet_id)["nom"] == "Déploiement v2"


def test_commercial_cannot_touch_what_hangs_on_another_affaire(con: Connection) -> None:
    alice, bob = make_user(con), make_user(con)
    affaire_id = make_affaire(con, alice)
    action_id = actions.create_action(con, alice, affaire_id, {"type": "Mail", "objet": "x"})
    with pytest.raises(NotFoundError):
        actions.create_action(con, bob, affaire_id, {"type": "Mail", "objet": "y"})
    with pytest.raises(NotFoundError):
        actions.delete_action(con, bob, action_id, 1)
    assert len(actions.actions_of_affaire(con, alice, affaire_id)) == 1


def _owner_ids(con: Connection) -> dict[str, int]:
    gone = make_user(con)
    users.update_user(
        con, admin(con), gone.id, nom=gone.nom, email=None, role="commercial", actif=False
    )
    return {"missing": 9999, "deactivated": gone.id}


@pytest.mark.parametrize("owner", ["missing", "deactivated"])
@pytest.mark.parametrize(
    ("create", "field"),
    [
        (
            lambda con, a, f, v: actions.create_action(
                con, a, f, {"type": "Mail", "objet": "Relance", "utilisateur_id": v}
            ),
            "utilisateur_id",
        ),
        (
            lambda con, a, f, v: projets.create_projet(
                con, a, f, {"nom": "Suite", "responsable_id": v}
            ),
            "responsable_id",
        ),
    ],
    ids=["action", "projet"],
)
def test_an_owner_must_be_an_active_user(
    con: Connection, create: Callable[..., int], field: str, owner: str
) -> None:
    affaire = make_affaire(con)
    user_id = _owner_ids(con)[owner]
    with pytest.raises(ValidationError) as refused:
        create(con, admin(con), affaire, user_id)
    assert refused.value.for_field(field) == ["Utilisateur introuvable ou désactivé."]
    assert con.execute(
        "SELECT (SELECT count(*) FROM action) + (SELECT count(*) FROM projet)"
    ).fetchone() == (0,)


def test_an_action_keeps_its_owner_once_deactivated(con: Connection) -> None:
    affaire = make_affaire(con)
    owner = make_user(con)
    action = actions.create_action(
        con, admin(con), affaire, {"type": "Mail", "objet": "Relance", "utilisateur_id": owner.id}
    )
    users.update_user(
        con, admin(con), owner.id, nom=owner.nom, email=None, role="commercial", actif=False
    )
    actions.mark_done(con, admin(con), action, 1)
    assert actions.get_action(con, admin(con), action)["fait"]


def test_an_action_on_a_deleted_affaire_is_refused_in_french(con: Connection) -> None:
    affaire = make_affaire(con)
    affaires.delete_affaire(con, admin(con), affaire, 1)
    with pytest.raises(NotFoundError):
        actions.create_action(con, admin(con), affaire, {"type": "Mail", "objet": "Relance"})
