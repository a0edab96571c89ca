"""Moving between screens: the registered pages, drill-downs into the affaires list, and the
way into and out of a record."""

from __future__ import annotations

import streamlit as st

from crm_data.filters import Filters
from crm_ui.record.form import close

AFFAIRES_PAGE = "app_pages/affaires.py"
FICHE_PAGE = "app_pages/fiche.py"
FILTERS_KEY = "affaires_filters"
RECORD_SHOWN = "fiche_shown"
"""Session key: the `?affaire=` value the Fiche page drew last (gone once the record is left)."""


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


def leave_record(target: str) -> None:
    """Forget the record's typed values and drop `?affaire=` (the Fiche page then shows the
    list)."""
    close(int(target) if target.isascii() and target.isdigit() else None)
    st.session_state.pop(RECORD_SHOWN, None)


def route_record() -> None:
    """On the Affaires page: a `?affaire=` deep link opens the Fiche page; the same value left
    over from the record the session just showed means the sidebar's « Affaires » was clicked
    from the record (Streamlit keeps the query string across pages), so it goes back to the list."""
    target = st.query_params.get("affaire")
    if target is None:
        return
    if st.session_state.pop(RECORD_SHOWN, None) == target:
        leave_record(target)
        return
    st.switch_page(FICHE_PAGE, query_params={"affaire": target})
