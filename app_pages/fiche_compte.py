"""Fiche compte: the record of `?compte=ID`, a page of its own so that the sidebar's « Comptes »
and the browser's Back leave it for the list."""

from __future__ import annotations

import streamlit as st

from crm_ui import session
from crm_ui.compte_view import compte_record
from crm_ui.fields import plain
from crm_ui.navigation import record_target

con = session.connection()
actor = session.current_actor()

target = record_target("compte")
if target.isascii() and target.isdigit() and len(target) <= 18:
    compte_record(con, actor, int(target))
else:
    st.error(f"« {plain(target)} » n'est pas un numéro de compte.")
