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
from crm_ui.chrome import cover_chrome
from crm_ui.fields import plain

st.set_page_config(
    page_title="CRM Affaires",
    page_icon=":material/work:",
    layout="wide",
    initial_sidebar_state="expanded",
)
cover_chrome()

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
        (Area.OBJECTIFS, "app_pages/objectifs.py", "Objectifs", ":material/flag:"),
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

# Each record (affaire, compte, contact) has a page of its own, reached from its list, a link or
# `?affaire=ID` (`?compte=`, `?contact=`), never from the menu: leaving it by the sidebar or the
# browser's Back then shows the list.
sections["Commercial"] += [
    st.Page("app_pages/fiche.py", title="Fiche affaire", url_path="fiche", visibility="hidden"),
    st.Page(
        "app_pages/fiche_compte.py",
        title="Fiche compte",
        url_path="fiche_compte",
        visibility="hidden",
    ),
    st.Page(
        "app_pages/fiche_contact.py",
        title="Fiche contact",
        url_path="fiche_contact",
        visibility="hidden",
    ),
]


def _to_the_list() -> None:
    """`/affaires` typed by hand (the list lives at `/`): the list, with the address's filters,
    instead of Streamlit's English « Page not found »."""
    st.switch_page(sections["Commercial"][0], query_params=st.query_params.to_dict())


sections["Commercial"].append(
    st.Page(_to_the_list, title="Liste des affaires", url_path="affaires", visibility="hidden")
)

session.show_flashes()
preload_charts()
try:
    st.navigation(sections).run()
except CrmError as exc:
    # What a page does not catch itself (a PostgreSQL server restarting under several app
    # servers, a restore in progress) is said in French, not as Streamlit's English error.
    st.error(plain(str(exc)), icon="⚠️")
