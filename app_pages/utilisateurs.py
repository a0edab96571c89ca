"""Utilisateurs (admin): create users, change their role, deactivate them, and hand a departed
user's affaires to someone else in one go."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from crm_data import affaires, users
from crm_data.model import CrmError, Role, ValidationError
from crm_data.text import count_fr
from crm_ui import formatting, session
from crm_ui.access import ROLE_LABELS, Area, require
from crm_ui.fields import plain

FIELD_LABELS = {"login": "Identifiant", "nom": "Nom", "email": "E-mail", "role": "Rôle"}

con = session.connection()
actor = session.current_actor()
require(actor, Area.UTILISATEURS)
st.title("Utilisateurs")


def role_label(role: str) -> str:
    return ROLE_LABELS[Role(role)]


def show_errors(exc: ValidationError, slots: dict[str, DeltaGenerator]) -> None:
    for name, message in exc.errors:
        target = slots.get(name)
        if target is not None:
            target.error(message)
        else:
            st.error(f"{FIELD_LABELS.get(name, name)} : {plain(message)}")


team = users.users_with_affaires(con, actor)
names = dict(zip(team["id"].astype(int), team["nom"].astype(str), strict=True))
counts = dict(zip(team["id"].astype(int), team["affaires"].astype(int), strict=True))
# Text cells: Streamlit writes "None" in an empty cell (a user without e-mail) and "%d" drops
# the thousands separator of « 1 026 ».
shown = formatting.blank_missing(team.drop(columns=["id"])).assign(
    role=team["role"].map(role_label),
    affaires=[formatting.number(v) for v in team["affaires"]],
    en_cours=[formatting.number(v) for v in team["en_cours"]],
)
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    key="users_table",
    column_config={
        "login": "Identifiant",
        "nom": "Nom",
        "email": "E-mail",
        "role": "Rôle",
        "actif": st.column_config.CheckboxColumn("Actif"),
        "affaires": "Affaires",
        "en_cours": "En cours",
    },
    placeholder="",
)

new_tab, edit_tab, reassign_tab = st.tabs(["Nouvel utilisateur", "Modifier", "Réattribuer"])

with new_tab, st.form("users_new", clear_on_submit=False):
    login = st.text_input("Identifiant", key="users_new_login")
    new_slots = {"login": st.empty()}
    nom = st.text_input("Nom (prénom et nom)", key="users_new_nom")
    new_slots["nom"] = st.empty()
    email = st.text_input("E-mail (celui de la connexion)", key="users_new_email")
    new_slots["email"] = st.empty()
    role = st.selectbox(
        "Rôle", [r.value for r in Role], index=2, format_func=role_label, key="users_new_role"
    )
    if st.form_submit_button("Créer l'utilisateur", type="primary"):
        try:
            users.add_user(con, actor, login, role, nom or None, email or None)
        except ValidationError as exc:
            show_errors(exc, new_slots)
        else:
            session.flash(f"Utilisateur « {plain(login)} » créé.")
            st.rerun()

with edit_tab:
    user_id = st.selectbox(
        "Utilisateur", list(names), format_func=lambda i: names[i], key="users_edit_id"
    )
    if user_id is not None:
        current = team[team["id"] == user_id].iloc[0]
        with st.form(f"users_edit_{user_id}"):
            edit_nom = st.text_input(
                "Nom", value=str(current["nom"]), key=f"users_edit_nom_{user_id}"
            )
            edit_slots = {"nom": st.empty()}
            edit_email = st.text_input(
                "E-mail", value=str(current["email"] or ""), key=f"users_edit_email_{user_id}"
            )
            edit_slots["email"] = st.empty()
            roles = [r.value for r in Role]
            edit_role = st.selectbox(
                "Rôle",
                roles,
                index=roles.index(str(current["role"])),
                format_func=role_label,
                key=f"users_edit_role_{user_id}",
            )
            edit_slots["role"] = st.empty()
            edit_actif = st.toggle(
                "Actif", value=bool(current["actif"]), key=f"users_edit_actif_{user_id}"
            )
            st.caption("Un utilisateur désactivé ne peut plus se connecter ; ses affaires restent.")
            if st.form_submit_button("Enregistrer", type="primary"):
                try:
                    users.update_user(
                        con,
                        actor,
                        int(user_id),
                        nom=edit_nom,
                        email=edit_email or None,
                        role=edit_role,
                        actif=edit_actif,
                    )
                except ValidationError as exc:
                    show_errors(exc, edit_slots)
                except CrmError as exc:
                    st.error(plain(str(exc)))
                else:
                    session.flash(f"Utilisateur « {plain(edit_nom)} » enregistré.")
                    st.rerun()

with reassign_tab:
    st.write(
        "Confiez toutes les affaires d'un utilisateur (par exemple un commercial parti) à un "
        "autre. Chaque affaire garde la trace du changement dans son historique."
    )
    holders = team[team["affaires"] > 0]
    # Deactivated users first: they are the usual reason to reassign.
    holders = holders.sort_values(["actif", "nom"])
    active = team[team["actif"]]
    with st.form("users_reassign"):
        source = st.selectbox(
            "Affaires de",
            holders["id"].astype(int).tolist(),
            format_func=lambda i: f"{names[i]} ({formatting.number(counts[i])} affaires)",
            key="users_reassign_from",
            placeholder="Personne n'a d'affaires",
        )
        target = st.selectbox(
            "Confiées à",
            active["id"].astype(int).tolist(),
            format_func=lambda i: names[i],
            key="users_reassign_to",
        )
        open_only = st.checkbox(
            "Seulement les affaires en cours", value=False, key="users_reassign_open"
        )
        if st.form_submit_button("Réattribuer", type="primary"):
            if source is None or target is None:
                st.error("Choisissez l'utilisateur d'origine et celui qui reprend les affaires.")
            else:
                try:
                    moved = affaires.reassign_affaires(
                        con, actor, int(source), int(target), open_only=open_only
                    )
                except CrmError as exc:
                    st.error(plain(str(exc)))
                else:
                    session.flash(
                        f"{count_fr(moved, 'affaire')} de {plain(names[int(source)])} "
                        f"{'confiée' if moved < 2 else 'confiées'} à {plain(names[int(target)])}."
                    )
                    st.rerun()
