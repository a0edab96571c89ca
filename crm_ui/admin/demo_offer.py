"""The empty base's first screen: load realistic demo data in one click, with progress."""

from __future__ import annotations

import streamlit as st

from crm_data.demo import generate as demo
from crm_data.model import Actor, CrmError
from crm_data.store.db import Connection
from crm_ui import formatting, session
from crm_ui.fields import plain

DEMO_AFFAIRES = 5_000
DEMO_SEED = 1


def offer_demo(con: Connection, actor: Actor) -> bool:
    """On a base without any affaire, say so once and let an admin fill it with demo data
    (others are told who can); True when drawn. Shows nothing once the base holds an affaire.

    Text and button side by side: on a 1440×900 screen the button stays above the fold."""
    if not demo.can_load(con):
        return False
    with st.container(border=True):
        text, action = st.columns([3, 1], vertical_alignment="center")
        text.markdown(
            "**Votre base est vide.** Créez votre première affaire, importez un fichier "
            "(Administration → Import / export), ou découvrez l'application avec des données "
            f"de démonstration : {formatting.number(DEMO_AFFAIRES)} affaires fictives sur trois "
            "ans, avec leurs comptes, contacts, actions, devis et factures."
        )
        if not actor.is_admin:
            action.caption("Seul un administrateur peut charger les données de démonstration.")
            return True
        if not action.button(
            "Charger les données de démonstration",
            icon=":material/auto_awesome:",
            key="demo_load",
            type="primary",
        ):
            return True
        bar = st.progress(0.0, text="Préparation…")

        def show(fraction: float, message: str) -> None:
            bar.progress(min(fraction, 1.0), text=message)

        try:
            demo.generate(con, affaires=DEMO_AFFAIRES, seed=DEMO_SEED, progress=show)
        except CrmError as exc:
            st.error(plain(str(exc)))
            return True
    st.cache_data.clear()
    session.flash("Données de démonstration chargées.")
    st.rerun()
    return True
