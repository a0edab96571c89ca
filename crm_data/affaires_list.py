"""The affaires list: filters, search, sort and server-side pagination, with the filtered totals.

The filters are crm_data.filters' model, shared with the analyses and their drill-downs; every
condition is bound, and sort columns go through an allow-list.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from crm_data.filters import REPORTS_BY_AFFAIRE, Filters, conditions
from crm_data.model import Actor
from crm_data.store.db import Connection, change_stamp, read, read_as
from crm_data.store.engine import DUCKDB, POSTGRESQL, dialect
from crm_data.store.pg_list import REPORTS_SORT
from crm_data.store.sql import (
    DORMANT,
    LAST_ACTIVITY,
    USER_LABELS,
    VISIBLE,
    WEIGHTED,
    among,
    days_between,
    in_ids,
    visibility,
    weighted_sum,
)

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
    "reports": "coalesce(r.reports, 0)",
}
"""Sort keys offered to the screen → the SQL expression they sort by."""


_SORT_JOINS = {
    "c.": "JOIN compte AS c ON c.id = a.compte_id\n",
    "u.": "JOIN utilisateur AS u ON u.id = a.gestion_par\n",
    "e.": "LEFT JOIN etape AS e ON e.nom = a.etape\n",
    "coalesce(r.": f"LEFT JOIN {REPORTS_BY_AFFAIRE} AS r ON r.affaire_id = a.id\n",
}
"""The joins a sort key needs before the page is cut (by the alias its expression starts with)."""

_FROM = """
    FROM affaire AS a
    JOIN compte AS c ON c.id = a.compte_id
    LEFT JOIN contact AS ct ON ct.id = a.contact_id
    JOIN utilisateur AS u ON u.id = a.gestion_par
    LEFT JOIN etape AS e ON e.nom = a.etape
"""


def where_clause(
    filters: Filters, actor: Actor, engine: str = DUCKDB
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (over the affaire's alias a only) and its bound parameters, in the
    engine's form (filters.conditions).

    Rights come first: a commercial only ever sees their own affaires (filters.conditions).
    """
    where, params = conditions(filters, actor, engine)
    return "WHERE " + "\n  AND ".join(where), params


def list_affaires(
    con: Connection,
    actor: Actor,
    filters: Filters,
    *,
    sort: str = "updated_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
    today: dt.date | None = None,
    reports: bool = False,
) -> pd.DataFrame:
    """One page of the affaires the actor may see that match filters, in the chosen order.

    Columns: id, nom, compte, contact, gestion_par (the user's name), statut, etape, type,
    famille_article, date_debut, date_fin, ca_potentiel, reussite, ca_pondere, total_ht,
    date_signature, code_cloture, version, en_retard (open, date fin before today), dormante
    (SPEC §3, A14's section), and with reports (or when sorted by it) `reports`, how many
    times date_fin was pushed later (SPEC §3 A13). Unknown sort keys fall back to the last
    update. Reports are read from the versions only when asked: for the page's rows, or for
    every affaire when the list is sorted by them.
    """
    engine = dialect(con)
    where, params = where_clause(filters, actor, engine)
    order = SORTABLE.get(sort, SORTABLE["updated_at"])
    if sort == "reports" and engine == POSTGRESQL:
        order = REPORTS_SORT
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
    with read_as(con, actor) as cur:
        page = cur.execute(sql, params).df()
        names = _page_names(cur, page)
        marks = page_marks(cur, page, today or dt.date.today())
    page["en_retard"] = page["id"].map(lambda i: marks.get(int(i), (False, False))[0])
    page["dormante"] = page["id"].map(lambda i: marks.get(int(i), (False, False))[1])
    if reports or sort == "reports":
        counts = page_reports(con, page)
        page["reports"] = page["id"].map(lambda i: counts.get(int(i), 0)).astype("int64")
    page.insert(2, "compte", page.pop("compte_id").map(names["compte"]))
    page.insert(3, "contact", page.pop("contact_id").map(names["contact"]))
    page.insert(4, "gestion_par", page.pop("gestion_par").map(names["gestion_par"]))
    return page


def _page_names(cur: Connection, page: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    """compte, contact and user names of one page's ids, read from their own tables."""
    queries = {
        "compte": (
            f"""
            SELECT id, nom
            FROM compte
            WHERE {in_ids("id", "ids")}
            """,
            "compte_id",
        ),
        "contact": (
            f"""
            SELECT id, nullif(trim(coalesce(prenom, '') || ' ' || coalesce(nom, '')), '')
            FROM contact
            WHERE {in_ids("id", "ids")}
            """,
            "contact_id",
        ),
        "gestion_par": (
            f"""
            SELECT id, nom
            FROM {USER_LABELS} AS u
            WHERE {in_ids("id", "ids")}
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


def page_marks(cur: Connection, page: pd.DataFrame, today: dt.date) -> dict[int, tuple[bool, bool]]:
    """Whether each affaire of one page is late and dormant, computed for that page only."""
    ids = [int(i) for i in page["id"]]
    if not ids:
        return {}
    rows = cur.execute(
        f"""
        SELECT a.id,
               coalesce(a.statut = 'En cours' AND a.date_fin < CAST($today AS DATE), FALSE),
               coalesce({among(DORMANT, "ids")}, FALSE)
        FROM affaire AS a
        WHERE {in_ids("a.id", "ids")}
        """,
        {"ids": ids, "today": today},
    ).fetchall()
    return {int(i): (bool(late), bool(dormant)) for i, late, dormant in rows}


def page_reports(con: Connection, page: pd.DataFrame) -> dict[int, int]:
    """How many times date_fin was pushed later (SPEC §3 A13) for each affaire of one page that
    has one, read from those affaires' versions only."""
    ids = [int(i) for i in page["id"]]
    if not ids:
        return {}
    with read(con) as cur:
        rows = cur.execute(
            f"""
            SELECT affaire_id, reports
            FROM {REPORTS_BY_AFFAIRE} AS r
            WHERE {in_ids("affaire_id", "ids")}
            """,
            {"ids": ids},
        ).fetchall()
    return {int(i): int(n) for i, n in rows}


def dormant_days(
    con: Connection, actor: Actor, affaire_id: int, today: dt.date | None = None
) -> int | None:
    """The days since the last activity of an affaire the actor may see, when it is dormant
    (SPEC §3, A14's section) and no relance is left to do on it (as Mes actions lists them);
    None otherwise."""
    with read_as(con, actor) as cur:
        row = cur.execute(
            f"""
            SELECT {days_between(among(LAST_ACTIVITY, "ids"), "$today")}
            FROM affaire AS a
            WHERE a.id = $id
              AND {VISIBLE}
              AND {among(DORMANT, "ids")}
              AND NOT EXISTS (
                  SELECT 1
                  FROM action AS x
                  WHERE x.affaire_id = a.id AND NOT x.fait AND x.type = 'Relance'
              )
            """,
            {
                **visibility(actor),
                "id": affaire_id,
                "ids": [affaire_id],
                "today": today or dt.date.today(),
            },
        ).fetchone()
    return None if row is None else int(row[0])


@dataclass(frozen=True)
class ListTotals:
    nombre: int
    ca_potentiel: Decimal
    ca_pondere: Decimal


_TOTALS: OrderedDict[tuple[object, ...], ListTotals] = OrderedDict()
_TOTALS_LOCK = threading.Lock()
_TOTALS_KEPT = 256
"""The latest list totals computed on PostgreSQL, by base, change stamp, day, conditions and
actor: a count over a million affaires there is a few hundred milliseconds, which every rerun of
the list (a sort, the next page) would otherwise pay again for the same figures."""


def kept_totals() -> int:
    """How many list totals are kept (at most 256)."""
    with _TOTALS_LOCK:
        return len(_TOTALS)


def list_totals(con: Connection, actor: Actor, filters: Filters) -> ListTotals:
    """The count, Σ ca_potentiel and Σ ca_pondere of every affaire matching filters, the sums
    exact and rounded half-up to the cent once."""
    engine = dialect(con)
    where, params = where_clause(filters, actor, engine)
    # Summed by réussite first: Σ ca_pondere is then the same rule over at most 101 groups (a
    # group's Σ ca_potentiel times its réussite, exactly), not two DECIMAL products per affaire,
    # which were half of the count's time on PostgreSQL at a million affaires.
    sql = f"""
        SELECT coalesce(sum(a.nombre), 0),
               round(coalesce(sum(a.ca_potentiel), 0), 2),
               {weighted_sum()}
        FROM (
            SELECT a.reussite, count(*) AS nombre, sum(a.ca_potentiel) AS ca_potentiel
            FROM affaire AS a
            {where}
            GROUP BY a.reussite
        ) AS a
    """
    key: tuple[object, ...] | None = None
    if engine == POSTGRESQL:
        # The stamp is read before the totals' own snapshot: a write committed in between
        # bumps it after its commit, so figures are never kept under a stamp newer than them.
        with read(con) as cur:
            stamp = change_stamp(cur)
        bound = tuple(sorted((k, repr(v)) for k, v in params.items()))
        base = getattr(con, "url", id(con))
        key = (base, stamp, dt.date.today(), where, bound, actor)
        with _TOTALS_LOCK:
            if key in _TOTALS:
                _TOTALS.move_to_end(key)
                return _TOTALS[key]
    with read_as(con, actor) as cur:
        row = cur.execute(sql, params).fetchone()
    assert row is not None
    totals = ListTotals(int(row[0]), Decimal(row[1]), Decimal(row[2]))
    if key is not None:
        with _TOTALS_LOCK:
            _TOTALS[key] = totals
            while len(_TOTALS) > _TOTALS_KEPT:
                _TOTALS.popitem(last=False)
    return totals


def affaire_ids(con: Connection, actor: Actor, filters: Filters) -> list[int]:
    """The ids of every affaire matching filters, for exports of the filtered list."""
    where, params = where_clause(filters, actor, dialect(con))
    with read_as(con, actor) as cur:
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
