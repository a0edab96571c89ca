"""Affaires: the default view. Search, filters, sort and server-side pages over every affaire,
as a list or as a board by étape; a click on a row, `?affaire=ID` or "Nouvelle affaire" opens the
record on the Fiche page."""

from __future__ import annotations

import streamlit as st

from crm_data.affaires_list import SORTABLE, list_affaires, list_totals
from crm_data.analyses.common import base_state
from crm_data.filters import Filters
from crm_data.users import user_labels
from crm_ui import formatting, session
from crm_ui.admin.demo_offer import offer_demo
from crm_ui.affaires_filters import filter_widgets
from crm_ui.affaires_table import affaires_table, column_chooser
from crm_ui.board import show_board
from crm_ui.navigation import (
    FILTERS_KEY,
    list_filters,
    open_record,
    opener,
    route_record,
    table_key,
)
from crm_ui.record.form import NEW

PAGE_SIZE = 50
SORT_LABELS = {
    "updated_at": "Dernière modification",
    "id": "N°",
    "nom": "Nom",
    "compte": "Compte",
    "gestion_par": "Gestion par",
    "statut": "Statut",
    "etape": "Étape",
    "type": "Type",
    "famille_article": "Famille d'article",
    "date_debut": "Date de début",
    "date_fin": "Date fin",
    "ca_potentiel": "CA potentiel",
    "reussite": "Réussite",
    "ca_pondere": "CA pondéré",
    "total_ht": "Total HT",
    "date_signature": "Date de signature",
    "date_cloture": "Date de clôture",
    "reports": "Reports de date fin",
}
_HIDDEN_FILTERS = (
    "codes_cloture",
    "compte_id",
    "cloture_du",
    "cloture_au",
    "sans_date_fin",
    "sans_contact",
    "sans_ca_potentiel",
    "sans_code_cloture",
    "sans_action_depuis_jours",
    "dormantes",
    "affaire_ids",
    "reports_min",
)

con = session.connection()
actor = session.current_actor()
route_record()


def _open(affaire_id: int | str) -> None:
    open_record("affaire", affaire_id, "affaires_table")


head, view_col, new_col = st.columns([3, 1, 1], vertical_alignment="bottom")
head.title("Affaires")
view = view_col.segmented_control(
    "Affichage", ["Liste", "Tableau"], default="Liste", key="affaires_view"
)
if new_col.button("Nouvelle affaire", type="primary", icon=":material/add:", key="affaires_new"):
    _open(NEW)
current = list_filters()
filters = filter_widgets(con, current)
if filters != current:
    st.session_state[FILTERS_KEY] = filters
    st.session_state["affaires_page"] = 0
extra = filters.describe(user_labels(con), only=_HIDDEN_FILTERS)
if extra:
    shown = " · ".join(f"{k} : {v}" for k, v in extra.items())
    info, drop = st.columns([5, 1], vertical_alignment="center")
    info.info(f"Filtres venant d'une analyse : {shown}", icon=":material/filter_alt:")
    if drop.button("Retirer ces filtres", key="affaires_drop_extra"):
        st.session_state[FILTERS_KEY] = Filters(
            **{k: v for k, v in vars(filters).items() if k not in _HIDDEN_FILTERS}
        )
        st.rerun()

if view == "Tableau":
    show_board(con, actor, filters, _open)
    st.stop()

sort_col, dir_col, columns_col = st.columns([2, 1, 3], vertical_alignment="bottom")
sort = sort_col.selectbox(
    "Trier par", list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key="affaires_sort"
)
descending = dir_col.toggle("Décroissant", value=True, key="affaires_desc")
assert sort in SORTABLE
with columns_col:
    shown = column_chooser()

# Counting runs only when the filters or the data change: sorting and paging reuse the count,
# the slowest query of the list on a big base; anyone's save changes the base's state.
state = base_state(con)
cached = st.session_state.get("affaires_totals")
if isinstance(cached, tuple) and cached[:2] == (filters, state):
    totals = cached[2]
else:
    totals = list_totals(con, actor, filters)
    st.session_state["affaires_totals"] = (filters, state, totals)
m1, m2, m3 = st.columns(3)
m1.metric("Affaires", formatting.number(totals.nombre))
m2.metric("CA potentiel", formatting.euro(totals.ca_potentiel, 0))
m3.metric("CA pondéré", formatting.euro(totals.ca_pondere, 0))

if totals.nombre == 0:
    if filters.is_empty():
        if not offer_demo(con, actor):
            st.info(
                "Aucune affaire pour l'instant. Importez un fichier ou créez la première affaire."
            )
    else:
        st.info("Aucune affaire ne correspond à ces filtres. Élargissez la recherche.")
    st.stop()

pages = max(1, -(-totals.nombre // PAGE_SIZE))
page = min(int(st.session_state.get("affaires_page", 0)), pages - 1)
frame = list_affaires(
    con,
    actor,
    filters,
    sort=sort,
    descending=descending,
    limit=PAGE_SIZE,
    offset=page * PAGE_SIZE,
    reports="reports" in shown,
)
chosen = affaires_table(
    frame, shown, table_key("affaires_table"), opener("affaire", "affaires_table", frame)
)
if chosen is not None:
    _open(chosen)
st.caption("Cliquez sur une affaire pour ouvrir sa fiche.")
prev_col, info_col, next_col = st.columns([1, 3, 1])
if prev_col.button("← Précédente", disabled=page == 0, key="affaires_prev"):
    st.session_state["affaires_page"] = page - 1
    st.rerun()
info_col.caption(f"Page {page + 1} sur {formatting.number(pages)}")
if next_col.button("Suivante →", disabled=page >= pages - 1, key="affaires_next"):
    st.session_state["affaires_page"] = page + 1
    st.rerun()
