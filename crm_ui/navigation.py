"""Moving between screens: the registered pages, drill-downs into the affaires list, and the
way into and out of a record (affaire, compte, contact): each record has a hidden page of its
own, so that its list's sidebar entry and the browser's Back show the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import pandas as pd
import streamlit as st

from crm_data.filters import Filters
from crm_ui.affaires_table import clicked_id
from crm_ui.fields import clear_keys
from crm_ui.record.form import close

AFFAIRES_PAGE = "app_pages/affaires.py"
FICHE_PAGE = "app_pages/fiche.py"
COMPTES_PAGE = "app_pages/comptes.py"
CONTACTS_PAGE = "app_pages/contacts.py"
FILTERS_KEY = "affaires_filters"
RECORD_SHOWN = "fiche_shown"
"""Session key: the `?affaire=` value the Fiche page drew last (gone once the record is left)."""

RECORDS = {
    "affaire": (AFFAIRES_PAGE, FICHE_PAGE),
    "compte": (COMPTES_PAGE, "app_pages/fiche_compte.py"),
    "contact": (CONTACTS_PAGE, "app_pages/fiche_contact.py"),
}
"""Query parameter of a record → (its list's page, its record's page)."""


def _shown_key(param: str) -> str:
    return RECORD_SHOWN if param == "affaire" else f"fiche_{param}_shown"


def open_affaires_list(filters: Filters) -> None:
    """Show the Affaires list with these filters applied (the drill-down target of every chart)."""
    st.session_state[FILTERS_KEY] = filters
    st.session_state["affaires_page"] = 0
    st.switch_page(AFFAIRES_PAGE)


def list_filters() -> Filters:
    """The Affaires list's current filters (kept across opening and closing a record)."""
    filters = st.session_state.get(FILTERS_KEY)
    if not isinstance(filters, Filters):
        filters = Filters()
        st.session_state[FILTERS_KEY] = filters
    return filters


def table_key(table: str) -> str:
    """The key of a list's table this run: a new one after each record opened from it, so that
    the old selection does not reopen the record on return."""
    return f"{table}_{st.session_state.get(table + '_n', 0)}"


def open_record(param: str, record_id: int | str, table: str | None = None) -> NoReturn:
    """Switch to the record page of param (affaire, compte, contact) showing record_id; table
    names the list it was opened from (its selection is then forgotten). Works in a callback:
    the record's page is then the only script run of the click."""
    if table is not None:
        st.session_state[table + "_n"] = st.session_state.get(table + "_n", 0) + 1
    st.switch_page(RECORDS[param][1], query_params={param: str(record_id)})


def opener(param: str, table: str, frame: pd.DataFrame) -> Callable[[], None]:
    """The on_select callback of the table table_key(table) drawing frame's rows (column id):
    a click on a row (its box or any cell) opens that row's record in the click's only run,
    instead of a run of the list that then switches page."""
    key = table_key(table)
    ids = frame[["id"]].reset_index(drop=True)

    def on_select() -> None:
        chosen = clicked_id(st.session_state.get(key), ids)
        if chosen is not None:
            open_record(param, chosen, table)

    return on_select


def leave_record(target: str, param: str = "affaire") -> None:
    """Forget the record's typed values and drop `?<param>=` (its record page then shows the
    list)."""
    record_id = int(target) if target.isascii() and target.isdigit() else None
    if param == "affaire":
        close(record_id)
    else:
        clear_keys(f"{param}.{target}.")
        if param in st.query_params:
            del st.query_params[param]
    st.session_state.pop(_shown_key(param), None)


def route_record(param: str = "affaire") -> None:
    """On a list's page: a `?<param>=` deep link opens the record's page; the same value left
    over from the record the session just showed means the sidebar's entry was clicked from the
    record (Streamlit keeps the query string across pages), so it goes back to the list."""
    target = st.query_params.get(param)
    if target is None:
        return
    if st.session_state.pop(_shown_key(param), None) == target:
        leave_record(target, param)
        return
    st.switch_page(RECORDS[param][1], query_params={param: target})


def record_target(param: str) -> str:
    """On a record's page: the `?<param>=` value to show, with « ← Retour à la liste » drawn;
    without one (the record was closed) the list's page is shown instead."""
    target = st.query_params.get(param)
    if target is None:
        st.session_state.pop(_shown_key(param), None)
        st.switch_page(RECORDS[param][0])
    st.session_state[_shown_key(param)] = target
    st.button(
        "← Retour à la liste",
        key=f"fiche_{param}_back" if param != "affaire" else "fiche_back",
        type="tertiary",
        on_click=leave_record,
        args=(target, param),
    )
    return target
