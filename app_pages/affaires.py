"""Affaires: the default view. Search, filters, sort and server-side pages over every affaire."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from crm_data import referentiels, users
from crm_data.affaires_list import SORTABLE, AffaireFilters, list_affaires, list_totals
from crm_data.model import Statut, TypeAffaire
from crm_ui import formatting, session
from crm_ui.navigation import list_filters

PAGE_SIZE = 50
SORT_LABELS = {
    "updated_at": "Dernière modification",
    "nom": "Nom",
    "compte": "Compte",
    "date_debut": "Date de début",
    "date_fin": "Date fin",
    "ca_potentiel": "CA potentiel",
    "ca_pondere": "CA pondéré",
    "etape": "Etape",
    "statut": "Statut",
    "gestion_par": "Gestion par",
}

DRILL_LABELS = {
    "codes_cloture": "Code clôture",
    "date_fin_du": "Date fin à partir du",
    "date_fin_au": "Date fin jusqu'au",
    "cloture_du": "Clôturée à partir du",
    "cloture_au": "Clôturée jusqu'au",
    "sans_date_fin": "Sans date fin",
    "sans_contact": "Sans contact",
    "sans_ca_potentiel": "Sans CA potentiel",
    "sans_code_cloture": "Sans code clôture",
    "sans_action_depuis_jours": "Sans action depuis (jours)",
}

con = session.connection()
actor = session.current_actor()
st.title("Affaires")

current = list_filters()
user_frame = users.list_users(con)
user_names = dict(zip(user_frame["id"].astype(int), user_frame["nom"].astype(str), strict=True))

with st.container(border=True):
    search = st.text_input(
        "Rechercher",
        value=current.search,
        placeholder="Nom d'affaire, compte ou contact",
        key="affaires_search",
    )
    c1, c2, c3, c4, c5 = st.columns(5)
    statuts = c1.multiselect(
        "Statut",
        [s.value for s in Statut],
        default=current.statuts,
        key="affaires_statuts",
        placeholder="Tous",
    )
    etapes = c2.multiselect(
        "Etape",
        referentiels.names(con, "etape", active_only=False),
        default=current.etapes,
        key="affaires_etapes",
        placeholder="Tous",
    )
    types = c3.multiselect(
        "Type",
        [t.value for t in TypeAffaire],
        default=current.types,
        key="affaires_types",
        placeholder="Tous",
    )
    gestion = c4.multiselect(
        "Gestion par",
        list(user_names),
        default=current.gestion_par,
        format_func=lambda i: user_names.get(i, str(i)),
        key="affaires_gestion",
        placeholder="Tous",
    )
    familles = c5.multiselect(
        "Famille d'article",
        referentiels.names(con, "famille_article", active_only=False),
        default=current.familles,
        key="affaires_familles",
        placeholder="Tous",
    )

# replace, not a new AffaireFilters: a drill-down's other conditions (dates, codes, checks)
# have no widget here and must survive the reruns until cleared.
filters = replace(
    current,
    search=search,
    statuts=statuts,
    etapes=etapes,
    types=types,
    gestion_par=gestion,
    familles=familles,
)
if filters != current:
    st.session_state["affaires_filters"] = filters
    st.session_state["affaires_page"] = 0
widget_filters = replace(
    AffaireFilters(),
    search=filters.search,
    statuts=filters.statuts,
    etapes=filters.etapes,
    types=filters.types,
    gestion_par=filters.gestion_par,
    familles=filters.familles,
)
if widget_filters != filters:
    extra = {k: v for k, v in filters.describe().items() if k not in widget_filters.describe()}
    info, clear = st.columns([5, 1])
    info.info(
        "Filtres venant d'une analyse : "
        + " ; ".join(f"{DRILL_LABELS.get(k, k)} : {v}" for k, v in extra.items()),
        icon=":material/filter_alt:",
    )
    if clear.button("Retirer ces filtres", key="affaires_clear_drill"):
        st.session_state["affaires_filters"] = widget_filters
        st.rerun()

sort_col, dir_col, _ = st.columns([2, 1, 3])
sort = sort_col.selectbox(
    "Trier par", list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key="affaires_sort"
)
descending = dir_col.toggle("Décroissant", value=True, key="affaires_desc")
assert sort in SORTABLE

totals = list_totals(con, actor, filters)
m1, m2, m3 = st.columns(3)
m1.metric("Affaires", formatting.number(totals.nombre))
m2.metric("CA potentiel", formatting.euro(totals.ca_potentiel, 0))
m3.metric("CA pondéré", formatting.euro(totals.ca_pondere, 0))

if totals.nombre == 0:
    if filters.is_empty():
        st.info("Aucune affaire pour l'instant. Importez un fichier ou créez la première affaire.")
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
st.dataframe(
    frame.drop(columns=["version"]),
    hide_index=True,
    width="stretch",
    key="affaires_table",
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
        "date_debut": st.column_config.DateColumn("Date de début", format="DD/MM/YYYY"),
        "date_fin": st.column_config.DateColumn("Date fin", format="DD/MM/YYYY"),
        "ca_potentiel": st.column_config.NumberColumn("CA potentiel", format="euro"),
        "reussite": st.column_config.NumberColumn("Réussite", format="%d %%"),
        "ca_pondere": st.column_config.NumberColumn("CA pondéré", format="euro"),
        "total_ht": st.column_config.NumberColumn("Total HT", format="euro"),
        "date_signature": st.column_config.DateColumn("Date de signature", format="DD/MM/YYYY"),
        "code_cloture": "Code clôture",
    },
)
prev_col, info_col, next_col = st.columns([1, 3, 1])
if prev_col.button("← Précédente", disabled=page == 0, key="affaires_prev"):
    st.session_state["affaires_page"] = page - 1
    st.rerun()
info_col.caption(f"Page {page + 1} sur {formatting.number(pages)}")
if next_col.button("Suivante →", disabled=page >= pages - 1, key="affaires_next"):
    st.session_state["affaires_page"] = page + 1
    st.rerun()
