"""The Fiche affaire as a whole: header, form, then the tabs Documents, Projet, Action and
Historique."""

from __future__ import annotations

import streamlit as st

from crm_data.model import Actor, NotFoundError
from crm_data.store.db import Connection
from crm_ui import formatting
from crm_ui.fields import plain
from crm_ui.record.documents import documents_tab
from crm_ui.record.form import affaire_form, close
from crm_ui.record.tabs import actions_tab, history_tab, projets_tab

TABS = ["Documents", "Projet", "Action", "Historique"]


def tab_key(affaire_id: int) -> str:
    """The key of the record's tabs: outside the form's prefix, so a save keeps the open tab."""
    return f"fiche_tab.{affaire_id}"


def show_fiche(con: Connection, actor: Actor, affaire_id: int | None) -> None:
    """Draw the record (a new one when affaire_id is None); a missing one offers the list back."""
    if affaire_id is None:
        st.title("Nouvelle affaire")
        st.caption("Les champs marqués * sont obligatoires ; les valeurs par défaut sont remplies.")
        affaire_form(con, actor, None)
        st.info("Enregistrez l'affaire pour lui ajouter documents, projets et actions.")
        return
    head = st.container()
    try:
        orig = affaire_form(con, actor, affaire_id)
    except NotFoundError as exc:
        st.error(plain(str(exc)), icon=":material/search_off:")
        st.button("Retour à la liste", key="fiche_missing_back", on_click=close, args=(None,))
        return
    head.subheader(f"Affaire n° {affaire_id} — {plain(orig.nom)}")
    head.caption(
        f"Créée le {formatting.datetime_fr(orig.created_at)}, "
        f"modifiée le {formatting.datetime_fr(orig.updated_at)} (version {orig.version})"
    )
    # Only the open tab is drawn: drawing all four made the browser lay out every table and
    # form of the record on each run (SPEC's "every interaction under 1 s").
    tabs = st.tabs(TABS, key=tab_key(affaire_id), on_change="rerun")
    for tab, draw in zip(tabs, (documents_tab, projets_tab, actions_tab, history_tab), strict=True):
        if tab.open:
            with tab:
                draw(con, actor, affaire_id)
