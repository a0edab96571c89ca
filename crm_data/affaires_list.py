"""The affaires list: filters, search, sort and server-side pagination, with the filtered totals.

Filters are a plain dataclass so that screens, drill-downs from the analyses and exports share
one definition; every condition is bound, and sort columns go through an allow-list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

import pandas as pd

from crm_data.analyses_common import CLOSING_DATE, USER_LABELS, WEIGHTED, weighted_sum
from crm_data.db import Connection, read
from crm_data.model import Actor
from crm_data.text import storable

SORTABLE = {
    "id": "a.id",
    "nom": "a.nom",
    "compte": "c.nom_cle",
    "gestion_par": "u.nom",
    "statut": "a.statut",
    "etape": "e.ordre",
    "type": "a.type",
    "famille_article": "a.famille_article",
    "date_debut": "a.date_debut",
    "date_fin": "a.date_fin",
    "ca_potentiel": "a.ca_potentiel",
    "reussite": "a.reussite",
    "ca_pondere": WEIGHTED,
    "date_signature": "a.date_signature",
    "total_ht": "a.total_ht",
    "date_cloture": "a.date_cloture",
    "updated_at": "a.updated_at",
}
"""Sort keys offered to the screen → the SQL expression they sort by."""


@dataclass
class AffaireFilters:
    """What narrows the list. Empty lists and None mean "no condition"."""

    search: str = ""
    statuts: list[str] = field(default_factory=list)
    etapes: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    gestion_par: list[int] = field(default_factory=list)
    familles: list[str] = field(default_factory=list)
    sans_famille: bool = False
    """Also (or, without familles, only) the affaires without a famille d'article."""
    codes_cloture: list[str] = field(default_factory=list)
    compte_id: int | None = None
    date_debut_du: dt.date | None = None
    date_debut_au: dt.date | None = None
    date_fin_du: dt.date | None = None
    date_fin_au: dt.date | None = None
    cloture_du: dt.date | None = None
    """The closing date (date_signature for a Gagnée, date_cloture otherwise) from this day."""
    cloture_au: dt.date | None = None
    sans_date_fin: bool = False
    sans_contact: bool = False
    sans_ca_potentiel: bool = False
    sans_code_cloture: bool = False
    sans_action_depuis_jours: int | None = None
    """Only affaires without any action dated within that many days."""

    def is_empty(self) -> bool:
        return self == AffaireFilters()

    def describe(
        self, user_names: dict[int, str] | None = None, only: tuple[str, ...] | None = None
    ) -> dict[str, str]:
        """The non-empty filters (of `only`, when given) as French label → readable value, for
        export sheets and banners: users by their name (user_names), dates as JJ/MM/AAAA."""
        names = user_names or {}
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "", [], False) or (only is not None and f.name not in only):
                continue
            label = FILTER_LABELS.get(f.name, f.name)
            if f.name == "gestion_par":
                out[label] = ", ".join(names.get(int(v), f"n° {v}") for v in value)
            elif isinstance(value, list):
                out[label] = ", ".join(str(v) for v in value)
            elif isinstance(value, dt.date):
                out[label] = value.strftime("%d/%m/%Y")
            else:
                out[label] = "oui" if value is True else str(value)
        return out


FILTER_LABELS = {
    "search": "Recherche",
    "statuts": "Statut",
    "etapes": "Etape",
    "types": "Type",
    "gestion_par": "Gestion par",
    "familles": "Famille d'article",
    "sans_famille": "Sans famille d'article",
    "codes_cloture": "Code clôture",
    "compte_id": "Compte n°",
    "date_debut_du": "Date de début à partir du",
    "date_debut_au": "Date de début jusqu'au",
    "date_fin_du": "Date fin à partir du",
    "date_fin_au": "Date fin jusqu'au",
    "cloture_du": "Clôturée à partir du",
    "cloture_au": "Clôturée jusqu'au",
    "sans_date_fin": "Sans date fin",
    "sans_contact": "Sans contact",
    "sans_ca_potentiel": "Sans CA potentiel",
    "sans_code_cloture": "Sans code clôture",
    "sans_action_depuis_jours": "Sans action depuis (jours)",
}
"""Each filter's French label, as the banners and export sheets show it."""


_SORT_JOINS = {
    "c.": "JOIN compte AS c ON c.id = a.compte_id\n",
    "u.": "JOIN utilisateur AS u ON u.id = a.gestion_par\n",
    "e.": "LEFT JOIN etape AS e ON e.nom = a.etape\n",
}
"""The joins a sort key needs before the page is cut (by the alias its expression starts with)."""

_FROM = """
    FROM affaire AS a
    JOIN compte AS c ON c.id = a.compte_id
    LEFT JOIN contact AS ct ON ct.id = a.contact_id
    JOIN utilisateur AS u ON u.id = a.gestion_par
    LEFT JOIN etape AS e ON e.nom = a.etape
"""


def where_clause(filters: AffaireFilters, actor: Actor) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (over the affaire's alias a only) and its bound parameters.

    Rights come first: a commercial only ever sees their own affaires. The search matches the
    affaire's name, its compte's name or its contact's full name, ignoring case.
    """
    conditions = ["($all OR a.gestion_par = $me)"]
    params: dict[str, Any] = {"all": actor.sees_everything, "me": actor.id}
    search = filters.search.strip().lower()
    if search:
        # Matching compte and contact names in their own (small) tables keeps every condition
        # on the affaire alone: the count and the page then need no join over a million rows.
        conditions.append(
            "(contains(lower(a.nom), $search)"
            " OR a.compte_id IN (SELECT id FROM compte WHERE contains(lower(nom), $search))"
            " OR a.contact_id IN (SELECT id FROM contact"
            " WHERE contains(lower(coalesce(prenom, '') || ' ' || nom), $search)))"
        )
        params["search"] = storable(search)
    lists = (
        ("statuts", "a.statut"),
        ("etapes", "a.etape"),
        ("types", "a.type"),
        ("gestion_par", "a.gestion_par"),
        ("codes_cloture", "a.code_cloture"),
    )
    for name, column in lists:
        values = getattr(filters, name)
        if values:
            conditions.append(f"list_contains(${name}, {column})")
            params[name] = [storable(v) if isinstance(v, str) else v for v in values]
    familles = ["list_contains($familles, a.famille_article)"] if filters.familles else []
    if filters.familles:
        params["familles"] = [storable(f) for f in filters.familles]
    if filters.sans_famille:
        familles.append("coalesce(a.famille_article, '') = ''")
    if familles:
        conditions.append("(" + " OR ".join(familles) + ")")
    closing = CLOSING_DATE
    ranges = (
        ("date_debut_du", "a.date_debut", ">="),
        ("date_debut_au", "a.date_debut", "<="),
        ("date_fin_du", "a.date_fin", ">="),
        ("date_fin_au", "a.date_fin", "<="),
        ("cloture_du", closing, ">="),
        ("cloture_au", closing, "<="),
    )
    for name, column, operator in ranges:
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{column} {operator} ${name}")
            params[name] = value
    if filters.compte_id is not None:
        conditions.append("a.compte_id = $compte_id")
        params["compte_id"] = filters.compte_id
    if filters.sans_date_fin:
        conditions.append("a.date_fin IS NULL")
    if filters.sans_contact:
        conditions.append("a.contact_id IS NULL")
    if filters.sans_ca_potentiel:
        conditions.append("a.ca_potentiel IS NULL")
    if filters.sans_code_cloture:
        conditions.append("a.code_cloture IS NULL")
    if filters.sans_action_depuis_jours is not None:
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM action AS x WHERE x.affaire_id = a.id "
            "AND x.date_action >= current_date - CAST($jours AS INTEGER))"
        )
        params["jours"] = filters.sans_action_depuis_jours
    return "WHERE " + "\n  AND ".join(conditions), params


def list_affaires(
    con: Connection,
    actor: Actor,
    filters: AffaireFilters,
    *,
    sort: str = "updated_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> pd.DataFrame:
    """One page of the affaires the actor may see that match filters, in the chosen order.

    Columns: id, nom, compte, contact, gestion_par (the user's name), statut, etape, type,
    famille_article, date_debut, date_fin, ca_potentiel, reussite, ca_pondere, total_ht,
    date_signature, code_cloture, version. Unknown sort keys fall back to the last update.
    """
    where, params = where_clause(filters, actor)
    order = SORTABLE.get(sort, SORTABLE["updated_at"])
    direction = "DESC" if descending else "ASC"
    params.update(limit=max(1, min(limit, 1000)), offset=max(0, offset))
    # The page is cut from the affaire table alone, then only its rows get their names: joining
    # a million affaires to their comptes and contacts before the cut costs several times more.
    # Sorting by a joined name (compte, gestion par, étape order) still needs that join first.
    joins = "".join(join for alias, join in _SORT_JOINS.items() if order.startswith(alias))
    sql = f"""
        SELECT a.id, a.nom, a.compte_id, a.contact_id, a.gestion_par, a.statut, a.etape,
               a.type, a.famille_article, a.date_debut, a.date_fin, a.ca_potentiel, a.reussite,
               round({WEIGHTED}, 2) AS ca_pondere,
               a.total_ht, a.date_signature, a.code_cloture, a.version
        FROM affaire AS a
        {joins}
        {where}
        ORDER BY {order} {direction} NULLS LAST, a.id {direction}
        LIMIT $limit
        OFFSET $offset
    """
    with read(con) as cur:
        page = cur.execute(sql, params).df()
        names = _page_names(cur, page)
    page.insert(2, "compte", page.pop("compte_id").map(names["compte"]))
    page.insert(3, "contact", page.pop("contact_id").map(names["contact"]))
    page.insert(4, "gestion_par", page.pop("gestion_par").map(names["gestion_par"]))
    return page


def _page_names(cur: Connection, page: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    """compte, contact and user names of one page's ids, read from their own tables."""
    queries = {
        "compte": (
            """
            SELECT id, nom
            FROM compte
            WHERE id = ANY($ids)
            """,
            "compte_id",
        ),
        "contact": (
            """
            SELECT id, nullif(trim(coalesce(prenom, '') || ' ' || coalesce(nom, '')), '')
            FROM contact
            WHERE id = ANY($ids)
            """,
            "contact_id",
        ),
        "gestion_par": (
            f"""
            SELECT id, nom
            FROM {USER_LABELS}
            WHERE id = ANY($ids)
            """,
            "gestion_par",
        ),
    }
    names: dict[str, dict[Any, Any]] = {}
    for name, (sql, column) in queries.items():
        ids = [int(i) for i in page[column].dropna().unique()]
        rows = cur.execute(sql, {"ids": ids}).fetchall() if ids else []
        names[name] = {int(i): n for i, n in rows}
    return names


@dataclass(frozen=True)
class ListTotals:
    nombre: int
    ca_potentiel: Decimal
    ca_pondere: Decimal


def list_totals(con: Connection, actor: Actor, filters: AffaireFilters) -> ListTotals:
    """The count, Σ ca_potentiel and Σ ca_pondere of every affaire matching filters, the sums
    exact and rounded half-up to the cent once."""
    where, params = where_clause(filters, actor)
    sql = f"""
        SELECT count(*),
               round(coalesce(sum(a.ca_potentiel), 0), 2),
               {weighted_sum()}
        FROM affaire AS a
        {where}
    """
    with read(con) as cur:
        row = cur.execute(sql, params).fetchone()
    assert row is not None
    return ListTotals(int(row[0]), Decimal(row[1]), Decimal(row[2]))


def affaire_ids(con: Connection, actor: Actor, filters: AffaireFilters) -> list[int]:
    """The ids of every affaire matching filters, for exports of the filtered list."""
    where, params = where_clause(filters, actor)
    with read(con) as cur:
        rows = cur.execute(
            f"""
            SELECT a.id
            {_FROM}
            {where}
            ORDER BY a.id
            """,
            params,
        ).fetchall()
    return [int(r[0]) for r in rows]
