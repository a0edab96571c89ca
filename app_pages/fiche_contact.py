"""Fiche contact: the record of `?contact=ID` (its compte, its form), a page of its own so that
the sidebar's « Contacts » and the browser's Back leave it for the list."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from crm_data import comptes, contacts
from crm_ui import session
from crm_ui.compte_view import CONTACT_FIELDS, contact_fields
from crm_ui.fields import plain
from crm_ui.navigation import RECORDS, record_target
from crm_ui.record.child_forms import errors_of, init_once, submit

con = session.connection()
actor = session.current_actor()

target = record_target("contact")
if not (target.isascii() and target.isdigit() and len(target) <= 18):
    st.error(f"« {plain(target)} » n'est pas un numéro de contact.")
    st.stop()
contact_id = int(target)
contact = contacts.get_contact(con, contact_id)
st.title(plain(contact.nom_complet))
compte = comptes.get_compte(con, contact.compte_id)
st.page_link(
    RECORDS["compte"][1],
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
