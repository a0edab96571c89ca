"""Contacts: search the people of every compte, open one to edit it, create a new one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import streamlit as st

from crm_data import comptes, contacts
from crm_ui import formatting, session
from crm_ui.affaires_table import CLICK, clicked_id
from crm_ui.compte_view import CONTACT_FIELDS, contact_fields
from crm_ui.fields import clear_keys, field_errors, plain
from crm_ui.record.child_forms import errors_of, init_once, submit
from crm_ui.record.compte_picker import compte_picker

PAGE_SIZE = 50

con = session.connection()
actor = session.current_actor()


def _create(values: dict[str, Any]) -> int:
    compte_id = st.session_state.get("contact.new.compte_id")
    return contacts.create_contact(con, actor, values | {"compte_id": compte_id})


target = st.query_params.get("contact")
if target is not None and target.isdigit():
    contact_id = int(target)
    if st.button("← Retour aux contacts", key="contacts_back"):
        clear_keys(f"contact.{contact_id}.")
        del st.query_params["contact"]
        st.rerun()
    contact = contacts.get_contact(con, contact_id)
    st.title(plain(contact.nom_complet))
    compte = comptes.get_compte(con, contact.compte_id)
    st.page_link(
        "app_pages/comptes.py",
        label=f"Compte : {plain(compte.nom)}",
        icon=":material/domain:",
        query_params={"compte": str(compte.id)},
    )
    key = f"contact.{contact_id}."
    version = init_once(key, asdict(contact))
    with st.form(key + "form", border=True):
        contact_fields(key, errors_of(key))
        st.form_submit_button(
            "Enregistrer le contact",
            disabled=not actor.sees_everything,
            on_click=submit,
            args=(
                key,
                (*CONTACT_FIELDS, "compte_id"),
                lambda v: contacts.update_contact(con, actor, contact_id, v, version),
                "Contact enregistré.",
            ),
        )
    st.stop()

st.title("Contacts")
search = st.text_input("Rechercher", placeholder="Nom, compte ou e-mail", key="contacts_search")
if st.session_state.get("contacts_last_search") != search:
    st.session_state["contacts_last_search"] = search
    st.session_state["contacts_page"] = 0
page = int(st.session_state.get("contacts_page", 0))
frame, total = contacts.list_contacts(con, search, PAGE_SIZE, page * PAGE_SIZE)
st.caption(f"{formatting.number(total)} contact(s)")
if not frame.empty:
    event = st.dataframe(
        formatting.blank_missing(frame.drop(columns=["id", "compte_id"])),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode=CLICK,
        key="contacts_table",
        column_config={
            "nom_complet": "Nom",
            "fonction": "Fonction",
            "email": "E-mail",
            "telephone": "Téléphone",
            "compte": "Compte",
        },
    )
    chosen = clicked_id(event, frame)
    if chosen is not None:
        del st.session_state["contacts_table"]
        st.query_params["contact"] = str(chosen)
        st.rerun()
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
