"""CRM Affaires' frame: page configuration, the base, the user, and the navigation by section.

Run with `streamlit run dashboard.py`. Every page lives in app_pages/ (not pages/: see STYLE.md).
"""

from __future__ import annotations

import streamlit as st

from crm_data.model import CrmError
from crm_ui import session

st.set_page_config(
    page_title="CRM Affaires",
    page_icon=":material/work:",
    layout="wide",
    initial_sidebar_state="expanded",
)

try:
    session.connection()
    actor = session.current_actor()
except CrmError as exc:
    st.error(str(exc), icon="🔒")
    st.stop()

sections = {
    "Commercial": [
        st.Page(
            "app_pages/affaires.py", title="Affaires", icon=":material/folder_open:", default=True
        ),
    ],
    "Administration": [
        st.Page(
            "app_pages/import_export.py",
            title="Import / export",
            icon=":material/swap_vert:",
            url_path="import-export",
            visibility="visible" if actor.is_admin else "hidden",
        ),
    ],
}

with st.sidebar:
    st.markdown("### :material/work: CRM Affaires")
    st.caption(f"{actor.nom} · {actor.role}")

session.show_flashes()
st.navigation(sections).run()
