"""Moving between screens: the registered pages and drill-downs into the affaires list."""

from __future__ import annotations

import streamlit as st

from crm_data.filters import Filters

AFFAIRES_PAGE = "app_pages/affaires.py"
FILTERS_KEY = "affaires_filters"


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
