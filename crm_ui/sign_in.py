"""The sign-in gate's screens: sign in, access refused, the signed-in user in the sidebar and the
local-mode banner. The decisions themselves are in crm_ui.session."""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from crm_data.model import Actor
from crm_ui import session
from crm_ui.access import ROLE_LABELS
from crm_ui.fields import plain

PROVIDER_LABELS = {"microsoft": "Microsoft", "google": "Google", "keycloak": "Keycloak"}


def gate() -> Actor:
    """The actor of this run; otherwise shows the sign-in or the "Accès refusé" screen and
    stops the run, so that nothing else of the app is drawn."""
    state = session.sign_in()
    if state.actor is not None:
        _sidebar(state.actor, state.local)
        if state.local:
            st.warning(
                "Mode local : aucune connexion n'est configurée, vous agissez en tant "
                "qu'administrateur local. Pour activer la connexion, ajoutez une section "
                "[auth] à .streamlit/secrets.toml (voir docs/sign-in.md).",
                icon=":material/lock_open:",
            )
        return state.actor
    if state.signed_in:
        _refused(state.email)
    else:
        _sign_in_screen()
    st.stop()


def _sign_in_screen() -> None:
    st.title("CRM Affaires")
    st.write("Connectez-vous avec le compte de votre entreprise pour accéder à vos affaires.")
    for name in session.providers():
        label = "Se connecter"
        if name is not None:
            label += f" avec {PROVIDER_LABELS.get(name, name.capitalize())}"
        if st.button(label, key=f"sign_in_{name or 'default'}", icon=":material/login:"):
            _leave(functools.partial(st.login, name))


def _refused(email: str | None) -> None:
    st.title("Accès refusé")
    who = f"L'adresse « {plain(email)} »" if email else "Votre compte"
    st.error(
        f"{who} n'a pas accès à CRM Affaires : elle est inconnue, désactivée ou non vérifiée. "
        "Demandez à un administrateur de vous ajouter ou de réactiver votre compte.",
        icon=":material/block:",
    )
    if st.button("Se déconnecter", key="sign_out", icon=":material/logout:"):
        _leave(st.logout)


def _sidebar(actor: Actor, local: bool) -> None:
    with st.sidebar:
        st.markdown("### :material/work: CRM Affaires")
        st.caption(f"{plain(actor.nom)} · {ROLE_LABELS[actor.role]}")
        if not local and st.button("Se déconnecter", key="sign_out", icon=":material/logout:"):
            _leave(st.logout)


def _leave(redirect: Callable[[], None]) -> None:
    # st.login and st.logout only queue the browser's redirect: the run would go on drawing
    # the app for a user who is leaving.
    redirect()
    st.stop()
