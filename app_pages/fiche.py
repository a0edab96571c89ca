"""Fiche affaire: the record of `?affaire=ID` (or a new one), a page of its own so that the
sidebar's « Affaires » and the browser's Back leave it for the list."""

from __future__ import annotations

import re

import streamlit as st

from crm_ui import session
from crm_ui.fields import plain
from crm_ui.navigation import AFFAIRES_PAGE, RECORD_SHOWN, leave_record
from crm_ui.record.fiche import show_fiche
from crm_ui.record.form import NEW

con = session.connection()
actor = session.current_actor()

target = st.query_params.get("affaire")
if target is None:
    # The record was closed (saved and closed, deleted, « Retour à la liste »).
    st.session_state.pop(RECORD_SHOWN, None)
    st.switch_page(AFFAIRES_PAGE)
st.session_state[RECORD_SHOWN] = target
st.button(
    "← Retour à la liste", key="fiche_back", type="tertiary", on_click=leave_record, args=(target,)
)
if target == NEW:
    show_fiche(con, actor, None)
# ASCII digits only: "²".isdigit() is True and int("²") raises; 18 digits fit a BIGINT.
elif re.fullmatch(r"[0-9]{1,18}", target):
    show_fiche(con, actor, int(target))
else:
    st.error(f"« {plain(target)} » n'est pas un numéro d'affaire.")
