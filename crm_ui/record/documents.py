"""The record's Documents tab: devis and factures with their sums, and the attached PDF files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial
from typing import Any

import streamlit as st

from crm_data import documents, users
from crm_data.model import DOCUMENT_STATUTS, Actor, NotFoundError, TypeDocument
from crm_data.store.db import Connection
from crm_ui import formatting
from crm_ui.chrome import upload_note
from crm_ui.fields import amount_input, amount_text, field_errors, other_errors, plain
from crm_ui.record.child_forms import (
    Saver,
    delete_button,
    errors_of,
    form_key,
    init_once,
    selected_id,
    submit,
)

UPLOAD_LABEL = "Fichier PDF (10 Mo au plus)"
DOCUMENT_FIELDS = ("type", "numero", "date_document", "montant_ht", "statut")


def _with_file(key: str, save: Saver) -> Saver:
    """The form's values with the uploaded file's bytes (none uploaded keeps the current file)."""

    def run(values: dict[str, Any]) -> object:
        upload = st.session_state.get(key + "upload")
        if upload is not None:
            values = values | {"fichier": upload.getvalue(), "fichier_nom": upload.name}
        return save(values)

    return run


def _fields(key: str, errors: list[tuple[str, str]]) -> None:
    kind = st.session_state.get(key + "type") or TypeDocument.DEVIS.value
    statuts = DOCUMENT_STATUTS[TypeDocument(kind)]
    if st.session_state.get(key + "statut") not in statuts:
        st.session_state[key + "statut"] = statuts[0]
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        st.text_input("Numéro *", key=key + "numero")
        field_errors(errors, "numero")
    with c2:
        st.date_input("Date *", key=key + "date_document", format="DD/MM/YYYY")
        field_errors(errors, "date_document")
    with c3:
        amount_input("Montant HT (€) *", key + "montant_ht")
        field_errors(errors, "montant_ht")
    with c4:
        st.selectbox("Statut", list(statuts), key=key + "statut", placeholder="Choisissez")
        field_errors(errors, "statut")
    st.file_uploader(UPLOAD_LABEL, type=["pdf"], key=key + "upload")
    upload_note(UPLOAD_LABEL, "PDF, 10 Mo au plus")
    field_errors(errors, "fichier")
    other_errors(errors, {"numero", "date_document", "montant_ht", "statut", "fichier"})


def _totals(frame: Any) -> None:
    c1, c2 = st.columns(2)
    for col, kind, label in (
        (c1, TypeDocument.DEVIS.value, "Total des devis"),
        (c2, TypeDocument.FACTURE.value, "Total des factures"),
    ):
        # A record has a handful of documents: summing in Python, exactly, beats pandas' masks.
        amounts = [
            Decimal(str(m))
            for t, m in zip(frame["type"], frame["montant_ht"], strict=True)
            if t == kind
        ]
        col.metric(f"{label} ({len(amounts)})", formatting.euro(sum(amounts, Decimal(0))))


def documents_tab(con: Connection, actor: Actor, affaire_id: int) -> None:
    """The affaire's devis and factures: sums, list, file download, edit, add, delete."""
    frame = documents.documents_of_affaire(con, actor, affaire_id)
    table_key = f"document.{affaire_id}.table"
    _totals(frame)
    if frame.empty:
        st.caption("Aucun devis ni facture pour cette affaire.")
    else:
        shown = frame.assign(fichier_nom=frame["fichier_nom"].astype(object).fillna(""))
        st.dataframe(
            shown[["type", "numero", "date_document", "montant_ht", "statut", "fichier_nom"]],
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=table_key,
            column_config={
                "type": "Type",
                "numero": "Numéro",
                "date_document": st.column_config.DateColumn("Date", format="DD/MM/YYYY"),
                "montant_ht": st.column_config.NumberColumn("Montant HT", format="euro"),
                "statut": "Statut",
                "fichier_nom": "Fichier",
            },
            placeholder="",
        )
        st.caption("Sélectionnez une ligne pour télécharger, modifier ou supprimer le document.")
    chosen = selected_id(table_key, frame)
    if chosen is not None:
        _edit(con, actor, affaire_id, chosen)
    key = form_key("document", affaire_id, None)
    init_once(
        key,
        {"type": TypeDocument.DEVIS.value, "date_document": dt.date.today(), "montant_ht": ""},
    )
    with st.expander("Ajouter un devis ou une facture", expanded=frame.empty):
        st.segmented_control(
            "Type", [t.value for t in TypeDocument], key=key + "type", required=True
        )
        with st.form(key + "form"):
            _fields(key, errors_of(key))
            st.form_submit_button(
                "Ajouter le document",
                on_click=submit,
                args=(
                    key,
                    DOCUMENT_FIELDS,
                    _with_file(key, partial(documents.create_document, con, actor, affaire_id)),
                    "Document ajouté.",
                ),
            )


def file_at_click(con: Connection, actor: Actor, document_id: int) -> bytes:
    """The document's file, read when the button is clicked with the user's rights of then.

    Given as bytes, Streamlit would serve it at an unguessable /media/ URL for as long as the
    page shows the button, to anyone holding the URL; read at the click, it is stored only
    until the next script run ends (RELIABILITY.md).
    """
    attached = documents.document_file(con, users.get_actor(con, actor.login), document_id)
    if attached is None:
        raise NotFoundError("Ce document n'a plus de fichier.")
    return attached[1]


def _edit(con: Connection, actor: Actor, affaire_id: int, document_id: int) -> None:
    key = form_key("document", affaire_id, document_id)
    record = documents.get_document(con, actor, document_id)
    version = init_once(key, record | {"montant_ht": amount_text(record["montant_ht"])})
    if record["fichier_nom"]:
        name = str(record["fichier_nom"])
        st.download_button(
            f"Télécharger {plain(name)}",
            data=partial(file_at_click, con, actor, document_id),
            file_name=name,
            mime="application/pdf",
            key=key + "download",
            icon=":material/download:",
        )
    st.segmented_control("Type", [t.value for t in TypeDocument], key=key + "type", required=True)
    with st.form(key + "form", border=True):
        st.markdown("**Modifier le document**")
        _fields(key, errors_of(key))
        st.form_submit_button(
            "Enregistrer le document",
            on_click=submit,
            args=(
                key,
                DOCUMENT_FIELDS,
                _with_file(
                    key, lambda v: documents.update_document(con, actor, document_id, v, version)
                ),
                "Document enregistré.",
            ),
        )
    delete_button(
        key,
        partial(documents.delete_document, con, actor, document_id, version),
        "Document supprimé.",
        "ce document et son fichier",
        f"document.{affaire_id}.table",
    )
