"""The Affaires board (kanban): a column per active étape with its count and sums at its head,
cards that open their record, move to the previous or next étape, and relaunch when dormant.

A move is saved at the version the card showed when drawn, so a card someone saved since is
refused with the conflict message instead of silently overwriting their save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from crm_data import actions
from crm_data.board import Column, board, move_card
from crm_data.filters import Filters
from crm_data.model import Actor, CrmError, Statut
from crm_data.store.db import Connection
from crm_ui import formatting, session
from crm_ui.fields import plain

CARDS_STEP = 20
_SHOWN = "board_shown_versions"
_CAPS = "board_caps"


def _head(column: Column) -> None:
    st.markdown(f"**{plain(column.etape)}** · {formatting.number(column.nombre)}")
    st.caption(
        f"CA potentiel {formatting.euro(column.ca_potentiel, 0)}  \n"
        f"CA pondéré {formatting.euro(column.ca_pondere, 0)}"
    )


def _card(
    con: Connection,
    actor: Actor,
    card: Any,
    neighbours: tuple[str | None, str | None],
    shown: dict[int, int],
    open_affaire: Callable[[int], None],
) -> None:
    affaire_id = int(str(card.id))
    # The version drawn last run: a click answers that card, not the one re-read this run.
    version = shown.get(affaire_id, int(str(card.version)))
    with st.container(border=True):
        if st.button(plain(str(card.nom)), key=f"board_open_{affaire_id}", type="tertiary"):
            open_affaire(affaire_id)
            st.rerun()
        details = [
            plain(str(card.compte)),
            formatting.euro(card.ca_potentiel, 0),
            f"fin {formatting.date_fr(card.date_fin)}" if formatting.date_fr(card.date_fin) else "",
            plain(str(card.gestion_par)),
        ]
        marks = [
            m for m, on in (("⏰ En retard", card.en_retard), ("💤 Dormante", card.dormante)) if on
        ]
        st.caption("  \n".join([" · ".join(d for d in details if d), " · ".join(marks)]))
        left, right, relance = st.columns(3)
        before, after = neighbours
        target = None
        if before and left.button("←", key=f"board_prev_{affaire_id}", help=f"Vers {before}"):
            target = before
        if after and right.button("→", key=f"board_next_{affaire_id}", help=f"Vers {after}"):
            target = after
        if card.dormante and relance.button(
            "Relancer", key=f"board_relance_{affaire_id}", help="Créer une relance pour aujourd'hui"
        ):
            _relance(con, actor, affaire_id)
        if target is not None:
            _move(con, actor, affaire_id, target, version)


def _move(con: Connection, actor: Actor, affaire_id: int, etape: str, version: int) -> None:
    try:
        move_card(con, actor, affaire_id, etape, version)
    except CrmError as exc:
        st.error(plain(str(exc)), icon="⚠️")
        return
    session.flash(f"Affaire n° {affaire_id} déplacée vers {plain(etape)}.")
    st.rerun()


def _relance(con: Connection, actor: Actor, affaire_id: int) -> None:
    try:
        actions.create_relance(con, actor, affaire_id)
    except CrmError as exc:
        st.error(plain(str(exc)), icon="⚠️")
        return
    session.flash("Relance créée : elle apparaît dans Mes actions.")
    st.rerun()


def show_board(
    con: Connection, actor: Actor, filters: Filters, open_affaire: Callable[[int], None]
) -> None:
    """Draw the board of the open affaires matching the list's filters."""
    if filters.statuts and Statut.EN_COURS.value not in filters.statuts:
        st.info("Le tableau montre les affaires en cours : ajoutez « En cours » au filtre Statut.")
        return
    caps: dict[str, int] = st.session_state.setdefault(_CAPS, {})
    shown: dict[int, int] = st.session_state.get(_SHOWN, {})
    columns = board(con, actor, filters, cards_per_column=max([CARDS_STEP, *caps.values()]))
    st.caption("Affaires en cours, une colonne par étape active ; les sommes portent sur toutes.")
    drawn: dict[int, int] = {}
    places = st.columns(len(columns)) if columns else []
    names = [c.etape for c in columns]
    for i, (place, column) in enumerate(zip(places, columns, strict=True)):
        neighbours = (names[i - 1] if i > 0 else None, names[i + 1] if i + 1 < len(names) else None)
        with place:
            _head(column)
            cap = caps.get(column.etape, CARDS_STEP)
            cards = column.cards.head(cap)
            for card in cards.itertuples():
                _card(con, actor, card, neighbours, shown, open_affaire)
                drawn[int(str(card.id))] = int(str(card.version))
            rest = column.nombre - len(cards)
            if rest > 0 and st.button(
                f"Afficher plus ({formatting.number(rest)} autres)",
                key=f"board_more_{i}",
                type="tertiary",
            ):
                caps[column.etape] = cap + CARDS_STEP
                st.rerun()
    st.session_state[_SHOWN] = drawn
