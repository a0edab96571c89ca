"""A devis's file is read when its button is clicked, with the user's rights at that moment."""

from __future__ import annotations

import pytest

from crm_data import documents, users
from crm_data.model import Actor, CrmError, Role
from crm_data.store.db import Connection
from crm_ui.record.documents import file_at_click
from tests.factories import admin, make_affaire, make_user, new_base

pytestmark = pytest.mark.usefixtures("engine")

PDF = b"%PDF-1.4\n" + bytes(range(256))


def base_with_a_devis() -> tuple[Connection, Actor, int]:
    con = new_base()
    owner = make_user(con, Role.COMMERCIAL)
    affaire = make_affaire(con, owner)
    document_id = documents.create_document(
        con,
        owner,
        affaire,
        {
            "type": "Devis",
            "numero": "D-1",
            "date_document": "2026-03-01",
            "montant_ht": "10",
            "statut": "Envoyé",
            "fichier": PDF,
        },
    )
    return con, owner, document_id


def test_the_owner_gets_the_file_at_the_click() -> None:
    con, owner, document_id = base_with_a_devis()
    assert file_at_click(con, owner, document_id) == PDF


def test_a_user_deactivated_since_the_page_was_drawn_gets_nothing() -> None:
    con, owner, document_id = base_with_a_devis()
    users.update_user(
        con, admin(con), owner.id, nom=owner.nom, email=None, role=owner.role.value, actif=False
    )
    with pytest.raises(CrmError):
        file_at_click(con, owner, document_id)
