"""The compte and contact forms, and a compte's record: its details, contacts and affaires with
their totals. Values are kept per record in session state like every other form."""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Any

import streamlit as st

from crm_data import comptes, contacts
from crm_data.affaires_list import list_affaires, list_totals
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store.db import Connection
from crm_ui import formatting
from crm_ui.affaires_table import CLICK, clicked_id
from crm_ui.fields import field_errors, other_errors, plain
from crm_ui.navigation import open_affaires_list, open_record, opener, table_key
from crm_ui.record.child_forms import errors_of, init_once, submit

COMPTE_FIELDS = comptes.COMPTE_FIELDS
CONTACT_FIELDS = ("prenom", "nom", "fonction", "email", "telephone")


def compte_fields(key: str, errors: list[tuple[str, str]]) -> None:
    """The compte's inputs (inside the caller's form), each with its messages."""
    c1, c2, c3 = st.columns(3)
    with c1:
        st.text_input("Nom *", key=key + "nom")
        field_errors(errors, "nom")
    c2.text_input("Secteur", key=key + "secteur")
    c3.text_input("Ville", key=key + "ville")
    c1, c2 = st.columns(2)
    c1.text_input("Téléphone", key=key + "telephone")
    c2.text_input("Site web", key=key + "site_web")
    st.text_area("Notes", key=key + "notes", height=80)
    other_errors(errors, {"nom"})


def contact_fields(key: str, errors: list[tuple[str, str]]) -> None:
    """The contact's inputs (inside the caller's form), each with its messages."""
    c1, c2, c3 = st.columns(3)
    c1.text_input("Prénom", key=key + "prenom")
    with c2:
        st.text_input("Nom *", key=key + "nom")
        field_errors(errors, "nom")
    c3.text_input("Fonction", key=key + "fonction")
    c1, c2 = st.columns(2)
    with c1:
        st.text_input("E-mail", key=key + "email")
        field_errors(errors, "email")
    c2.text_input("Téléphone", key=key + "telephone")
    other_errors(errors, {"nom", "email"})


def _add_contact(con: Connection, actor: Actor, compte_id: int, values: dict[str, Any]) -> int:
    return contacts.create_contact(con, actor, values | {"compte_id": compte_id})


def _contacts(con: Connection, actor: Actor, compte_id: int) -> None:
    frame = contacts.contacts_of_compte(con, compte_id)
    st.subheader(f"Contacts ({formatting.number(len(frame))})")
    if frame.empty:
        st.caption("Aucun contact pour ce compte.")
    else:
        st.dataframe(
            formatting.blank_missing(frame[["nom_complet", "fonction", "email", "telephone"]]),
            hide_index=True,
            column_config={
                "nom_complet": "Nom",
                "fonction": "Fonction",
                "email": "E-mail",
                "telephone": "Téléphone",
            },
            placeholder="",
        )
    key = f"contact.new.{compte_id}."
    with st.expander("Ajouter un contact"), st.form(key + "form"):
        contact_fields(key, errors_of(key))
        st.form_submit_button(
            "Ajouter le contact",
            on_click=submit,
            args=(
                key,
                CONTACT_FIELDS,
                partial(_add_contact, con, actor, compte_id),
                "Contact ajouté.",
            ),
        )


def _affaires(con: Connection, actor: Actor, compte_id: int) -> None:
    filters = Filters(compte_id=compte_id)
    totals = list_totals(con, actor, filters)
    st.subheader(f"Affaires ({formatting.number(totals.nombre)})")
    m1, m2 = st.columns(2)
    m1.metric("CA potentiel", formatting.euro(totals.ca_potentiel, 0))
    m2.metric("CA pondéré", formatting.euro(totals.ca_pondere, 0))
    if totals.nombre == 0:
        st.caption("Aucune affaire pour ce compte.")
        return
    frame = list_affaires(con, actor, filters, sort="date_debut", limit=100)
    table = f"compte_{compte_id}_affaires"
    event = st.dataframe(
        formatting.blank_missing(
            frame[["id", "nom", "statut", "etape", "date_debut", "ca_potentiel", "total_ht"]]
        ),
        hide_index=True,
        on_select=opener("affaire", table, frame),
        selection_mode=CLICK,
        key=table_key(table),
        column_config={
            "id": st.column_config.NumberColumn("N°", format="%d"),
            "nom": "Nom",
            "statut": "Statut",
            "etape": "Étape",
            "date_debut": "Date de début",
            "ca_potentiel": st.column_config.NumberColumn("CA potentiel", format="euro"),
            "total_ht": st.column_config.NumberColumn("Total HT", format="euro"),
        },
        placeholder="",
    )
    chosen = clicked_id(event, frame)
    if chosen is not None:
        open_record("affaire", chosen, table)
    if st.button("Voir ces affaires dans la liste", key=f"compte.{compte_id}.list"):
        open_affaires_list(filters)


def compte_record(con: Connection, actor: Actor, compte_id: int) -> None:
    """Draw a compte's record: its form (managers and admins save), contacts and affaires."""
    compte = comptes.get_compte(con, compte_id)
    st.subheader(plain(compte.nom))
    key = f"compte.{compte_id}."
    version = init_once(key, asdict(compte))
    with st.form(key + "form", border=True):
        compte_fields(key, errors_of(key))
        st.form_submit_button(
            "Enregistrer le compte",
            disabled=not actor.sees_everything,
            help=None if actor.sees_everything else "Seuls les managers modifient les comptes.",
            on_click=submit,
            args=(
                key,
                COMPTE_FIELDS,
                lambda v: comptes.update_compte(con, actor, compte_id, v, version),
                "Compte enregistré.",
            ),
        )
    _contacts(con, actor, compte_id)
    _affaires(con, actor, compte_id)
