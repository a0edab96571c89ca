"""The board (kanban) of open affaires: one column per active étape with its count and sums over
every matching affaire, and a capped number of cards; a card moved is saved through
crm_data.affaires like any other change (rights, version check, history, validation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

import pandas as pd

from crm_data import affaires, referentiels
from crm_data.affaires_list import page_marks, where_clause
from crm_data.filters import Filters
from crm_data.model import Actor, Affaire, Statut
from crm_data.store.db import Connection, read_as
from crm_data.store.sql import USER_LABELS, in_ids, weighted_sum

CARD_COLUMNS = (
    "id",
    "nom",
    "compte",
    "ca_potentiel",
    "date_fin",
    "gestion_par",
    "en_retard",
    "dormante",
    "version",
)


@dataclass(frozen=True)
class Column:
    """One étape of the board: its figures over every matching affaire, and its first cards
    (soonest date fin first) as a frame of CARD_COLUMNS."""

    etape: str
    nombre: int
    ca_potentiel: Decimal
    ca_pondere: Decimal
    cards: pd.DataFrame


def board_filters(filters: Filters) -> Filters:
    """The list's filters narrowed to what the board shows: open affaires (statut En cours)."""
    return replace(filters, statuts=[Statut.EN_COURS.value])


def board(
    con: Connection,
    actor: Actor,
    filters: Filters,
    *,
    cards_per_column: int = 20,
    today: dt.date | None = None,
) -> list[Column]:
    """The board over the open affaires matching filters: one Column per active étape in étape
    order (étapes without affaires included). Counts and sums cover every matching affaire; the
    cards are capped at cards_per_column, the late (date fin past) and dormant ones marked."""
    where, params = where_clause(board_filters(filters), actor)
    etapes = referentiels.names(con, "etape")
    with read_as(con, actor) as cur:
        sums = cur.execute(
            f"""
            SELECT a.etape,
                   count(*),
                   round(coalesce(sum(a.ca_potentiel), 0), 2),
                   {weighted_sum()}
            FROM affaire AS a
            {where}
            GROUP BY a.etape
            """,
            params,
        ).fetchall()
        figures = {str(r[0]): (int(r[1]), Decimal(r[2]), Decimal(r[3])) for r in sums}
        ids = [
            i
            for e in etapes
            if e in figures
            for i in _card_ids(cur, where, params, e, cards_per_column)
        ]
        cards = _cards(cur, ids)
        marks = page_marks(cur, cards, today or dt.date.today())
    cards["en_retard"] = [marks.get(int(i), (False, False))[0] for i in cards["id"]]
    cards["dormante"] = [marks.get(int(i), (False, False))[1] for i in cards["id"]]
    columns = []
    for etape in etapes:
        nombre, potentiel, pondere = figures.get(etape, (0, Decimal(0), Decimal(0)))
        frame = cards[cards["etape"] == etape][list(CARD_COLUMNS)].reset_index(drop=True)
        columns.append(Column(etape, nombre, potentiel, pondere, frame))
    return columns


def _card_ids(
    cur: Connection, where: str, params: dict[str, object], etape: str, limit: int
) -> list[int]:
    # Cut from the affaire table alone, one étape at a time (a top-N, a few ms at a million
    # affaires); joining names before the cut costs ten times more.
    rows = cur.execute(
        f"""
        SELECT a.id
        FROM affaire AS a
        {where}
          AND a.etape = $etape
        ORDER BY a.date_fin ASC NULLS LAST, a.id
        LIMIT $limit
        """,
        params | {"etape": etape, "limit": max(1, limit)},
    ).fetchall()
    return [int(r[0]) for r in rows]


def _cards(cur: Connection, ids: list[int]) -> pd.DataFrame:
    return cur.execute(
        f"""
        SELECT a.id, a.nom, c.nom AS compte, a.ca_potentiel, a.date_fin, u.nom AS gestion_par,
               a.version, a.etape
        FROM affaire AS a
        JOIN compte AS c ON c.id = a.compte_id
        JOIN {USER_LABELS} AS u ON u.id = a.gestion_par
        WHERE {in_ids("a.id", "ids")}
        ORDER BY a.date_fin ASC NULLS LAST, a.id
        """,
        {"ids": ids},
    ).df()


def move_card(
    con: Connection, actor: Actor, affaire_id: int, etape: str, expected_version: int
) -> Affaire:
    """Move an affaire to another étape: a normal save of that one field at the version the
    card showed (ConflictError when someone saved meanwhile, ValidationError when refused)."""
    return affaires.update_affaire(con, actor, affaire_id, {"etape": etape}, expected_version)
