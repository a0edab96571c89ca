"""CRM Affaires' frame: page configuration, the base, the sign-in gate, the navigation by role.

Run with `streamlit run dashboard.py`. Every page lives in app_pages/ (not pages/: see STYLE.md).
Every page is registered for every role, hidden from those who may not use it.
"""

from __future__ import annotations

import streamlit as st

from crm_data.model import CrmError
from crm_ui import session, sign_in
from crm_ui.access import Area, page
from crm_ui.analysis.warmup import preload_charts
from crm_ui.fields import plain

st.set_page_config(
    page_title="CRM Affaires",
    page_icon=":material/work:",
    layout="wide",
    initial_sidebar_state="expanded",
)

try:
    session.connection()
    actor = sign_in.gate()
except CrmError as exc:
    st.error(plain(str(exc)), icon="🔒")
    st.stop()

# Section → (area, file, title, icon); Affaires is the default view.
PAGES = {
    "Commercial": [
        (Area.AFFAIRES, "app_pages/affaires.py", "Affaires", ":material/folder_open:"),
        (Area.COMPTES, "app_pages/comptes.py", "Comptes", ":material/domain:"),
        (Area.CONTACTS, "app_pages/contacts.py", "Contacts", ":material/contacts:"),
        (Area.AFFAIRES, "app_pages/mes_actions.py", "Mes actions", ":material/checklist:"),
    ],
    "Analyses": [
        (Area.PIPE, "app_pages/pipe.py", "Pipe", ":material/filter_alt:"),
        (Area.VENTES, "app_pages/ventes.py", "Ventes", ":material/trending_up:"),
    ],
    "Administration": [
        (
            Area.IMPORT_EXPORT,
            "app_pages/import_export.py",
            "Import / export",
            ":material/swap_vert:",
        ),
        (Area.PARAMETRES, "app_pages/parametres.py", "Paramètres", ":material/tune:"),
        (Area.UTILISATEURS, "app_pages/utilisateurs.py", "Utilisateurs", ":material/group:"),
        (Area.SAUVEGARDES, "app_pages/sauvegardes.py", "Sauvegardes", ":material/backup:"),
    ],
}

sections = {
    section: [
        page(actor, area, path, title, icon, default=path == "app_pages/affaires.py")
        for area, path, title, icon in entries
    ]
    for section, entries in PAGES.items()
}

session.show_flashes()
preload_charts()
st.navigation(sections).run()
