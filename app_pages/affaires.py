"""Affaires: the default view. Search, filters, sort and server-side pages over every affaire;
a selected row, `?affaire=ID` or "Nouvelle affaire" opens the record in place of the list."""

from __future__ import annotations

import re

import streamlit as st

from crm_data.affaires_list import SORTABLE, list_affaires, list_totals
from crm_data.analyses.common import base_state
from crm_data.filters import Filters
from crm_data.users import user_labels
from crm_ui import formatting, session
from crm_ui.admin.demo_offer import offer_demo
from crm_ui.affaires_filters import filter_widgets
from crm_ui.fields import plain
from crm_ui.navigation import FILTERS_KEY, list_filters
from crm_ui.record.fiche import show_fiche
from crm_ui.record.form import NEW

PAGE_SIZE = 50
SORT_LABELS = {
    "updated_at": "Dernière modification",
    "id": "N°",
    "nom": "Nom",
    "compte": "Compte",
    "gestion_par": "Gestion par",
    "statut": "Statut",
    "etape": "Etape",
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
)

con = session.connection()
actor = session.current_actor()

target = st.query_params.get("affaire")
if target is not None:
    st.session_state.pop("affaires_totals", None)
    if target == NEW:
        show_fiche(con, actor, None)
    # ASCII digits only: "²".isdigit() is True and int("²") raises; 18 digits fit a BIGINT.
    elif re.fullmatch(r"[0-9]{1,18}", target):
        show_fiche(con, actor, int(target))
    else:
        st.error(f"« {plain(target)} » n'est pas un numéro d'affaire.")
    st.stop()


def _open(affaire_id: int | str) -> None:
    st.query_params["affaire"] = str(affaire_id)
    # A new table key on every opening: the old selection must not reopen the record on return.
    st.session_state["affaires_table_n"] = st.session_state.get("affaires_table_n", 0) + 1


head, new_col = st.columns([4, 1], vertical_alignment="bottom")
head.title("Affaires")
new_col.button(
    "Nouvelle affaire",
    type="primary",
    icon=":material/add:",
    key="affaires_new",
    on_click=_open,
    args=(NEW,),
)

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

sort_col, dir_col, _ = st.columns([2, 1, 3])
sort = sort_col.selectbox(
    "Trier par", list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key="affaires_sort"
)
descending = dir_col.toggle("Décroissant", value=True, key="affaires_desc")
assert sort in SORTABLE

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
)
event = st.dataframe(
    formatting.blank_missing(frame.drop(columns=["version"])),
    hide_index=True,
    width="stretch",
    key=f"affaires_table_{st.session_state.get('affaires_table_n', 0)}",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "id": st.column_config.NumberColumn("N°", format="%d"),
        "nom": "Nom",
        "compte": "Compte",
        "contact": "Contact",
        "gestion_par": "Gestion par",
        "statut": "Statut",
        "etape": "Etape",
        "type": "Type",
        "famille_article": "Famille d'article",
        "date_debut": "Date de début",
        "date_fin": "Date fin",
        "ca_potentiel": st.column_config.NumberColumn("CA potentiel", format="euro"),
        "reussite": st.column_config.NumberColumn("Réussite", format="%d %%"),
        "ca_pondere": st.column_config.NumberColumn("CA pondéré", format="euro"),
        "total_ht": st.column_config.NumberColumn("Total HT", format="euro"),
        "date_signature": "Date de signature",
        "code_cloture": "Code clôture",
    },
)
rows = event.selection.rows if event is not None else []
if rows and rows[0] < len(frame):
    # Selection positions index the frame passed in, whatever the display order.
    _open(int(frame["id"].iloc[rows[0]]))
    st.rerun()
st.caption("Sélectionnez une ligne pour ouvrir sa fiche.")
prev_col, info_col, next_col = st.columns([1, 3, 1])
if prev_col.button("← Précédente", disabled=page == 0, key="affaires_prev"):
    st.session_state["affaires_page"] = page - 1
    st.rerun()
info_col.caption(f"Page {page + 1} sur {formatting.number(pages)}")
if next_col.button("Suivante →", disabled=page >= pages - 1, key="affaires_next"):
    st.session_state["affaires_page"] = page + 1
    st.rerun()
