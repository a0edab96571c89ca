"""Choosing a compte by typing part of its name, among thousands, or creating it on the spot.

Only the matching comptes are read (`search_comptes`), never the whole list.
"""

from __future__ import annotations

import streamlit as st

from crm_data import comptes
from crm_data.model import Actor, ValidationError
from crm_data.store.db import Connection
from crm_data.text import fold
from crm_ui.fields import plain
from crm_ui.session import flash

SEARCH_LIMIT = 20


def _create(con: Connection, actor: Actor, key: str, nom: str) -> None:
    try:
        compte_id = comptes.create_compte(con, actor, {"nom": nom})
    except ValidationError as exc:
        st.session_state[f"{key}.compte_error"] = str(exc.errors[0][1])
        return
    st.session_state[key + "compte_id"] = compte_id
    st.session_state[key + "compte_search"] = ""
    flash(f"Compte « {plain(nom.strip())} » créé.")


def _label(nom: str, ville: object) -> str:
    """How a compte shows in the picker; the same text for a found and a chosen compte, since
    the browser names its choice by this text."""
    return f"{nom} ({ville})" if isinstance(ville, str) and ville else nom


def compte_picker(con: Connection, actor: Actor, key: str, *, label: str = "Compte *") -> None:
    """Draw the picker; the chosen compte id is kept in st.session_state[key + 'compte_id'].

    key is the record's prefix: every widget key of the picker starts with it.
    """
    id_key = key + "compte_id"
    select_key = key + "compte_select"
    # The choice lives apart from the selectbox: under load the browser can send an empty
    # selection for a box it had not drawn yet, which wiped the compte and refused the save.
    # Only choosing another compte replaces it; a required compte is never emptied here.
    chosen = st.session_state.get(select_key)
    if isinstance(chosen, int) and chosen != st.session_state.get(id_key):
        st.session_state[id_key] = chosen
    current = st.session_state.get(id_key)
    search = st.text_input(
        "Rechercher un compte",
        key=key + "compte_search",
        placeholder="Tapez une partie du nom du compte, puis Entrée",
    )
    found = comptes.search_comptes(con, search, SEARCH_LIMIT) if search.strip() else None
    labels: dict[int, str] = {}
    if isinstance(current, int):
        compte = comptes.get_compte(con, current)
        labels[current] = _label(compte.nom, compte.ville)
    elif current is not None:
        # The browser names its choice by label: an unknown label means no valid choice.
        st.session_state[id_key] = None
    if found is not None:
        for row in found.itertuples():
            labels.setdefault(int(str(row.id)), _label(str(row.nom), row.ville))
    if isinstance(current, int):
        st.session_state[select_key] = current
    st.selectbox(
        label,
        list(labels),
        key=select_key,
        format_func=lambda i: labels.get(i, str(i)),
        index=None,
        placeholder="Cherchez un compte ci-dessus, puis choisissez-le ici",
    )
    if found is not None:
        if len(found) == SEARCH_LIMIT:
            st.caption(f"Les {SEARCH_LIMIT} premiers comptes : précisez la recherche.")
        exact = any(fold(str(n)) == fold(search) for n in found["nom"])
        if not exact:
            if found.empty:
                st.caption("Aucun compte ne contient ce texte.")
            st.button(
                f"Créer le compte « {plain(search.strip())} »",
                key=key + "compte_create",
                on_click=_create,
                args=(con, actor, key, search),
                icon=":material/add_business:",
            )
    error = st.session_state.pop(f"{key}.compte_error", None)
    if error:
        st.error(error, icon=":material/error:")
