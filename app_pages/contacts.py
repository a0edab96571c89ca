"""Contacts: search the people of every compte, open one on the Fiche contact page (a click on
its row or `?contact=ID`), create a new one."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_data import contacts
from crm_data.text import count_fr
from crm_ui import formatting, session
from crm_ui.affaires_table import CLICK, clicked_id
from crm_ui.compte_view import CONTACT_FIELDS, contact_fields
from crm_ui.fields import field_errors
from crm_ui.navigation import open_record, opener, route_record, table_key
from crm_ui.record.child_forms import errors_of, submit
from crm_ui.record.compte_picker import compte_picker

PAGE_SIZE = 50

con = session.connection()
actor = session.current_actor()


def _create(values: dict[str, Any]) -> int:
    compte_id = st.session_state.get("contact.new.compte_id")
    return contacts.create_contact(con, actor, values | {"compte_id": compte_id})


route_record("contact")
st.title("Contacts")
search = st.text_input("Rechercher", placeholder="Nom, compte ou e-mail", key="contacts_search")
if st.session_state.get("contacts_last_search") != search:
    st.session_state["contacts_last_search"] = search
    st.session_state["contacts_page"] = 0
page = int(st.session_state.get("contacts_page", 0))
frame, total = contacts.list_contacts(con, search, PAGE_SIZE, page * PAGE_SIZE)
st.caption(count_fr(total, "contact"))
if not frame.empty:
    event = st.dataframe(
        formatting.blank_missing(frame.drop(columns=["id", "compte_id"])),
        hide_index=True,
        width="stretch",
        on_select=opener("contact", "contacts_table", frame),
        selection_mode=CLICK,
        key=table_key("contacts_table"),
        column_config={
            "nom_complet": "Nom",
            "fonction": "Fonction",
            "email": "E-mail",
            "telephone": "Téléphone",
            "compte": "Compte",
        },
        placeholder="",
    )
    chosen = clicked_id(event, frame)
    if chosen is not None:
        open_record("contact", chosen, "contacts_table")
    pages = max(1, -(-total // PAGE_SIZE))
    prev_col, info_col, next_col = st.columns([1, 3, 1])
    if prev_col.button("← Précédente", disabled=page == 0, key="contacts_prev"):
        st.session_state["contacts_page"] = page - 1
        st.rerun()
    info_col.caption(f"Page {page + 1} sur {formatting.number(pages)}")
    if next_col.button("Suivante →", disabled=page >= pages - 1, key="contacts_next"):
        st.session_state["contacts_page"] = page + 1
        st.rerun()
else:
    st.info("Aucun contact ne correspond." if search else "Aucun contact pour l'instant.")

key = "contact.new."
with st.expander("Nouveau contact", expanded=frame.empty):
    compte_picker(con, actor, key)
    field_errors(errors_of(key), "compte_id")
    with st.form(key + "form"):
        contact_fields(key, [e for e in errors_of(key) if e[0] != "compte_id"])
        st.form_submit_button(
            "Créer le contact",
            on_click=submit,
            args=(key, CONTACT_FIELDS, _create, "Contact créé."),
        )
