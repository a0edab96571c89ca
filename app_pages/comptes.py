"""Comptes: search the companies, open one on the Fiche compte page (a click on its row or
`?compte=ID`), create a new one."""

from __future__ import annotations

from functools import partial

import streamlit as st

from crm_data import comptes
from crm_data.text import count_fr
from crm_ui import formatting, session
from crm_ui.affaires_table import CLICK, clicked_id
from crm_ui.compte_view import COMPTE_FIELDS, compte_fields
from crm_ui.navigation import open_record, opener, route_record, table_key
from crm_ui.record.child_forms import errors_of, submit

PAGE_SIZE = 50

con = session.connection()
actor = session.current_actor()

route_record("compte")

st.title("Comptes")
search = st.text_input("Rechercher", placeholder="Nom du compte", key="comptes_search")
if st.session_state.get("comptes_last_search") != search:
    st.session_state["comptes_last_search"] = search
    st.session_state["comptes_page"] = 0
page = int(st.session_state.get("comptes_page", 0))
frame, total = comptes.list_comptes(con, actor, search, PAGE_SIZE, page * PAGE_SIZE)
st.caption(count_fr(total, "compte"))
if not frame.empty:
    event = st.dataframe(
        formatting.blank_missing(frame.drop(columns=["id"])),
        hide_index=True,
        width="stretch",
        on_select=opener("compte", "comptes_table", frame),
        selection_mode=CLICK,
        key=table_key("comptes_table"),
        column_config={
            "nom": "Nom",
            "secteur": "Secteur",
            "ville": "Ville",
            "telephone": "Téléphone",
            "affaires": st.column_config.NumberColumn("Affaires", format="%d"),
            "affaires_en_cours": st.column_config.NumberColumn("En cours", format="%d"),
            "ca_signe": st.column_config.NumberColumn("CA signé", format="euro"),
        },
        placeholder="",
    )
    chosen = clicked_id(event, frame)
    if chosen is not None:
        open_record("compte", chosen, "comptes_table")
    pages = max(1, -(-total // PAGE_SIZE))
    prev_col, info_col, next_col = st.columns([1, 3, 1])
    if prev_col.button("← Précédente", disabled=page == 0, key="comptes_prev"):
        st.session_state["comptes_page"] = page - 1
        st.rerun()
    info_col.caption(f"Page {page + 1} sur {formatting.number(pages)}")
    if next_col.button("Suivante →", disabled=page >= pages - 1, key="comptes_next"):
        st.session_state["comptes_page"] = page + 1
        st.rerun()
elif search:
    st.info("Aucun compte ne contient ce texte.")
else:
    st.info("Aucun compte pour l'instant : créez le premier ci-dessous.")

key = "compte.new."
with st.expander("Nouveau compte", expanded=frame.empty), st.form(key + "form"):
    compte_fields(key, errors_of(key))
    st.form_submit_button(
        "Créer le compte",
        on_click=submit,
        args=(key, COMPTE_FIELDS, partial(comptes.create_compte, con, actor), "Compte créé."),
    )
