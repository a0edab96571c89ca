"""The empty base's first screen: load realistic demo data in one click, with progress."""

from __future__ import annotations

import streamlit as st

from crm_data.demo import generate as demo
from crm_data.model import Actor, CrmError
from crm_data.store.db import Connection
from crm_ui import session
from crm_ui.fields import plain

DEMO_AFFAIRES = 5_000
DEMO_SEED = 1


def offer_demo(con: Connection, actor: Actor) -> None:
    """On a base without any affaire, let an admin fill it with demo data (others are told who
    can). Shows nothing once the base holds an affaire."""
    if not demo.can_load(con):
        return
    with st.container(border=True):
        st.subheader("Votre base est vide")
        st.write(
            "Créez votre première affaire, importez un fichier (Administration → Import / "
            "export), ou découvrez l'application avec des données de démonstration : "
            f"{DEMO_AFFAIRES:,} affaires fictives sur trois ans, avec leurs comptes, contacts, "
            "actions, devis et factures.".replace(",", "\u00a0")
        )
        if not actor.is_admin:
            st.caption("Seul un administrateur peut charger les données de démonstration.")
            return
        if not st.button(
            "Charger les données de démonstration",
            icon=":material/auto_awesome:",
            key="demo_load",
            type="primary",
        ):
            return
        bar = st.progress(0.0, text="Préparation…")

        def show(fraction: float, message: str) -> None:
            bar.progress(min(fraction, 1.0), text=message)

        try:
            demo.generate(con, affaires=DEMO_AFFAIRES, seed=DEMO_SEED, progress=show)
        except CrmError as exc:
            st.error(plain(str(exc)))
            return
    st.cache_data.clear()
    session.flash("Données de démonstration chargées.")
    st.rerun()
