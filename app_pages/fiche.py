"""Fiche affaire: the record of `?affaire=ID` (or a new one), a page of its own so that the
sidebar's « Affaires » and the browser's Back leave it for the list; a dormant affaire shows
since when, with « Relancer »."""

from __future__ import annotations

import re

import streamlit as st

from crm_data import actions
from crm_data.affaires_list import dormant_days
from crm_data.model import CrmError
from crm_ui import formatting, session
from crm_ui.fields import plain
from crm_ui.navigation import record_target
from crm_ui.record.fiche import show_fiche
from crm_ui.record.form import NEW

con = session.connection()
actor = session.current_actor()


def _dormancy_banner(affaire_id: int) -> None:
    days = dormant_days(con, actor, affaire_id)
    if days is None:
        return
    text, button = st.columns([5, 1], vertical_alignment="center")
    text.warning(
        f"Affaire dormante depuis {formatting.number(days)} jours.", icon=":material/bedtime:"
    )
    if button.button("Relancer", key=f"fiche_relance.{affaire_id}"):
        try:
            actions.create_relance(con, actor, affaire_id)
        except CrmError as exc:
            st.error(plain(str(exc)), icon="⚠️")
        else:
            session.flash("Relance créée pour aujourd'hui.")
            st.rerun()


target = record_target("affaire")
if target == NEW:
    show_fiche(con, actor, None)
# ASCII digits only: "²".isdigit() is True and int("²") raises; 18 digits fit a BIGINT.
elif re.fullmatch(r"[0-9]{1,18}", target):
    _dormancy_banner(int(target))
    show_fiche(con, actor, int(target))
else:
    st.error(f"« {plain(target)} » n'est pas un numéro d'affaire.")
