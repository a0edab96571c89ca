"""Paramètres: the reference lists an administrator edits (étapes, codes clôture, familles).

Users are administered on their own page, Utilisateurs.
"""

from __future__ import annotations

import streamlit as st

from crm_data.referentiels import REFERENTIELS, use_counts
from crm_ui import session
from crm_ui.access import Area, require
from crm_ui.admin.referentiels import LABELS, referentiel_editor

con = session.connection()
actor = session.current_actor()
st.title("Paramètres")
require(actor, Area.PARAMETRES)

st.header("Listes de référence")
st.caption(
    "Une valeur utilisée par des affaires ne peut pas être supprimée, seulement désactivée ; "
    "la renommer met à jour les affaires qui l'utilisent."
)
# Every tab runs on each run: their use counts come from one scan of the affaires.
counts = use_counts(con)
for referentiel, tab in zip(
    REFERENTIELS, st.tabs([LABELS[r][0] for r in REFERENTIELS]), strict=True
):
    with tab:
        referentiel_editor(con, actor, referentiel, counts)
