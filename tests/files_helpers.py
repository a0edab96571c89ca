"""Small factories shared by the file tests: a base, users, a varied set of affaires, digests."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from crm_data.affaires import create_affaire
from crm_data.comptes import create_compte
from crm_data.contacts import create_contact
from crm_data.model import Actor
from crm_data.store.db import Connection
from crm_data.store.engine import POSTGRESQL, dialect
from crm_data.users import add_user, get_actor, local_admin
from tests import factories

HEADER = (
    "Nom;Date de début;Date fin;Compte;Contact;Gestion par;Statut;Etape;Type;"
    "Famille d'article;Notes;CA potentiel;Réussite;CA attendu;Code clôture;"
    "Date de signature;Total HT;Date de clôture"
)


def new_base() -> tuple[Connection, Actor]:
    """A fresh base of the running test's engine (in memory for DuckDB) and its local admin."""
    con = factories.new_base()
    return con, local_admin(con)


def add_commercial(con: Connection, login: str = "cmartin", nom: str = "Claire Martin") -> Actor:
    add_user(con, None, login, "commercial", nom=nom)
    return get_actor(con, login)


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    """A canonical CSV file made of the header and lines, encoded."""
    return "\n".join((header, *lines)).encode(encoding)


def table_digest(con: Connection) -> str:
    """A digest of every row of every table (order aside), to tell whether anything changed."""
    tables = [
        str(r[0])
        for r in con.execute(
            """
            SELECT table_name
            FROM information_schema.tables
            WHERE table_schema IN ('main', 'public')
            ORDER BY table_name
            """
        ).fetchall()
    ]
    # DuckDB hashes a row; PostgreSQL digests its rows' text in a fixed order.
    row_hash = (
        "md5(string_agg(CAST(t AS TEXT), '|' ORDER BY CAST(t AS TEXT)))"
        if dialect(con) == POSTGRESQL
        else "sum(hash(t))"
    )
    query = " UNION ALL ".join(
        f"SELECT '{t}', count(*), {row_hash} FROM \"{t}\" AS t" for t in tables
    )
    return hashlib.sha256(repr(con.execute(query).fetchall()).encode()).hexdigest()


def varied_base() -> tuple[Connection, Actor]:
    """A base with affaires of every statut, with and without optional fields, made through
    the crm_data write functions, including awkward text (accents, quotes, formulas, lines)."""
    con, admin = new_base()
    claire = add_commercial(con)
    societe = create_compte(con, admin, {"nom": "Société Générale d'Équipement"})
    durand = create_compte(con, admin, {"nom": "Durand; Fils & Cie"})
    jean = create_contact(con, admin, {"compte_id": societe, "prenom": "Jean", "nom": "Dupont"})
    solo = create_contact(con, admin, {"compte_id": durand, "nom": "Lefèvre"})
    cases: list[dict[str, Any]] = [
        {"nom": "Renouvellement parc", "compte_id": societe, "contact_id": jean},
        {
            "nom": '=HYPERLINK("x") « devis »',
            "compte_id": durand,
            "contact_id": solo,
            "date_debut": dt.date(2025, 1, 31),
            "date_fin": dt.date(2025, 6, 30),
            "gestion_par": claire.id,
            "etape": "Négociation",
            "type": "Récurrent",
            "famille_article": "Matériel",
            "notes": 'Ligne 1\nLigne 2 ; « guillemets » "doubles"',
            "ca_potentiel": Decimal("1234567.89"),
            "reussite": 85,
            "ca_attendu": Decimal("0.01"),
        },
        {
            "nom": "Gagnée",
            "compte_id": societe,
            "statut": "Gagnée",
            "date_debut": dt.date(2024, 2, 29),
            "date_signature": dt.date(2024, 12, 31),
            "total_ht": Decimal("999999999999.99"),
            "ca_potentiel": Decimal("0"),
            "type": "Mise à jour",
        },
        {
            "nom": "-Perdue",
            "compte_id": durand,
            "statut": "Perdue",
            "code_cloture": "Délai de réponse",
            "date_cloture": dt.date(2026, 3, 1),
            "date_debut": dt.date(2026, 1, 1),
            "notes": "@todo",
        },
        {
            "nom": "Abandonnée",
            "compte_id": societe,
            "contact_id": jean,
            "statut": "Abandonnée",
            "code_cloture": "Projet annulé",
            "date_debut": dt.date(2026, 1, 1),
            "reussite": 0,
        },
        {"nom": "+33 partenaire", "compte_id": durand, "statut": "Abandonnée"},
        {"nom": "'=déjà protégé", "compte_id": durand, "notes": "'-"},
    ]
    for values in cases:
        create_affaire(con, admin, values)
    return con, admin
