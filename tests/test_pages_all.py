"""Every page through dashboard.py, on an empty base and on a filled one, runs without exception."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from crm_data import actions, documents, projets
from crm_data.model import Role
from crm_data.store import db
from tests.factories import admin, make_affaire, make_compte, make_contact, make_user
from tests.pages import run_app

PAGES = (
    "app_pages/affaires.py",
    "app_pages/comptes.py",
    "app_pages/contacts.py",
    "app_pages/mes_actions.py",
    "app_pages/parametres.py",
)


def fill(con: db.Connection) -> None:
    """Demo data when crm_data.demo.generate is there, else a small base with every kind of
    record."""
    if importlib.util.find_spec("crm_data.demo.generate") is not None:
        from crm_data.demo import generate as demo

        demo.generate(con, affaires=300, seed=7)
        return
    me = admin(con)
    seller = make_user(con, Role.COMMERCIAL, nom="Paul Vendeur")
    today = dt.date.today()
    for n in range(6):
        compte = make_compte(con, f"Société {n}", ville="Nantes")
        contact = make_contact(con, compte, f"Contact{n}", prenom="Léa")
        aid = make_affaire(
            con,
            nom=f"Affaire {n}",
            compte_id=compte,
            contact_id=contact,
            gestion_par=seller.id if n % 2 else me.id,
            ca_potentiel=str(1000 * (n + 1)),
            statut=("En cours", "Gagnée", "Perdue", "Abandonnée")[n % 4],
            code_cloture="Prix" if n % 4 == 2 else None,
            total_ht="900" if n % 4 == 1 else None,
            notes="<script>alert(1)</script>",
        )
        actions.create_action(
            con,
            me,
            aid,
            {"type": "Relance", "objet": "Relancer", "echeance": today + dt.timedelta(n - 2)},
        )
        documents.create_document(
            con,
            me,
            aid,
            {
                "type": "Devis",
                "numero": f"D{n}",
                "date_document": today,
                "montant_ht": "100",
                "statut": "Envoyé",
            },
        )
        projets.create_projet(con, me, aid, {"nom": "Installation"})


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(_isolated_base: Path, page: str, filled: bool) -> None:
    con = db.shared_connection(_isolated_base)
    if filled:
        fill(con)
    at = run_app(page)
    assert not at.exception
    assert at.title


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_new_record_runs_without_exception(_isolated_base: Path, filled: bool) -> None:
    con = db.shared_connection(_isolated_base)
    if filled:
        fill(con)
    at = run_app(affaire="nouvelle")
    assert not at.exception


def test_every_record_of_a_filled_base_opens(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    fill(con)
    with db.read(con) as cur:
        ids = [
            int(r[0]) for r in cur.execute("SELECT id FROM affaire ORDER BY id LIMIT 6").fetchall()
        ]
    for affaire_id in ids:
        at = run_app(affaire=str(affaire_id))
        assert not at.exception
        assert at.subheader[0].value.startswith(f"Affaire n° {affaire_id}")
