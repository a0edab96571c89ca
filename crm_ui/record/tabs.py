"""The record's tabs Projet and Action, and its Historique: lists, forms, deletion.

Documents live in crm_ui.record.documents. Rights follow the affaire (crm_data checks them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from crm_data import actions, history, projets, users
from crm_data.model import SCREEN_LABELS, Actor, StatutProjet, TypeAction
from crm_data.store.db import Connection
from crm_data.text import count_fr
from crm_ui import formatting
from crm_ui.fields import field_errors, other_errors
from crm_ui.record.child_forms import (
    delete_button,
    errors_of,
    form_key,
    init_once,
    selected_id,
    submit,
)

PROJET_FIELDS = ("nom", "date_debut", "date_fin", "statut", "responsable_id", "notes")
ACTION_FIELDS = (
    "type",
    "date_action",
    "objet",
    "description",
    "echeance",
    "fait",
    "utilisateur_id",
)


def _user_names(con: Connection) -> dict[int, str]:
    people = users.list_users(con)
    return dict(zip(people["id"].astype(int), people["nom"].astype(str), strict=True))


def _projet_fields(key: str, names: dict[int, str], errors: list[tuple[str, str]]) -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.text_input("Nom du projet *", key=key + "nom")
    with c1:
        field_errors(errors, "nom")
    c2.date_input("Début", key=key + "date_debut", format="DD/MM/YYYY")
    with c3:
        st.date_input("Fin", key=key + "date_fin", format="DD/MM/YYYY")
        field_errors(errors, "date_fin")
    c1, c2 = st.columns(2)
    c1.selectbox(
        "Statut", [s.value for s in StatutProjet], key=key + "statut", placeholder="Choisissez"
    )
    c2.selectbox(
        "Responsable",
        list(names),
        key=key + "responsable_id",
        format_func=lambda i: names.get(i, str(i)),
        index=None,
        placeholder="Personne",
    )
    st.text_area("Notes", key=key + "notes", height=80)
    other_errors(errors, {"nom", "date_fin"})


def projets_tab(con: Connection, actor: Actor, affaire_id: int) -> None:
    """The affaire's projets: list, edit the selected one, add, delete after confirmation."""
    frame = projets.projets_of_affaire(con, actor, affaire_id)
    names = _user_names(con)
    table_key = f"projet.{affaire_id}.table"
    if frame.empty:
        st.caption("Aucun projet pour cette affaire.")
    else:
        shown = frame.assign(responsable=frame["responsable_id"].map(names))
        st.dataframe(
            formatting.blank_missing(
                shown[["nom", "statut", "date_debut", "date_fin", "responsable", "notes"]]
            ),
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=table_key,
            column_config={
                "nom": "Projet",
                "statut": "Statut",
                "date_debut": "Début",
                "date_fin": "Fin",
                "responsable": "Responsable",
                "notes": "Notes",
            },
            placeholder="",
        )
        st.caption("Sélectionnez une ligne pour modifier ou supprimer le projet.")
    chosen = selected_id(table_key, frame)
    if chosen is not None:
        key = form_key("projet", affaire_id, chosen)
        version = init_once(key, projets.get_projet(con, actor, chosen))
        with st.form(key + "form", border=True):
            st.markdown("**Modifier le projet**")
            _projet_fields(key, names, errors_of(key))
            st.form_submit_button(
                "Enregistrer le projet",
                on_click=submit,
                args=(
                    key,
                    PROJET_FIELDS,
                    lambda v: projets.update_projet(con, actor, chosen, v, version),
                    "Projet enregistré.",
                ),
            )
        delete_button(
            key,
            partial(projets.delete_projet, con, actor, chosen, version),
            "Projet supprimé.",
            "ce projet",
            table_key,
        )
    key = form_key("projet", affaire_id, None)
    init_once(
        key,
        {"statut": StatutProjet.A_REALISER.value, "responsable_id": actor.id, "date_fin": None},
    )
    with st.expander("Ajouter un projet", expanded=frame.empty), st.form(key + "form"):
        _projet_fields(key, names, errors_of(key))
        st.form_submit_button(
            "Ajouter le projet",
            on_click=submit,
            args=(
                key,
                PROJET_FIELDS,
                partial(projets.create_projet, con, actor, affaire_id),
                "Projet ajouté.",
            ),
        )


def _action_fields(key: str, names: dict[int, str], errors: list[tuple[str, str]]) -> None:
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.selectbox("Type", [t.value for t in TypeAction], key=key + "type", placeholder="Choisissez")
    c2.date_input("Date", key=key + "date_action", format="DD/MM/YYYY")
    with c3:
        st.text_input("Objet *", key=key + "objet")
        field_errors(errors, "objet")
    st.text_area("Description", key=key + "description", height=80)
    c1, c2, c3 = st.columns(3)
    c1.date_input("Échéance", key=key + "echeance", format="DD/MM/YYYY")
    c2.selectbox(
        "Pour",
        list(names),
        key=key + "utilisateur_id",
        format_func=lambda i: names.get(i, str(i)),
        placeholder="Choisissez",
    )
    c3.checkbox("Fait", key=key + "fait")
    other_errors(errors, {"objet"})


def _overdue_style(row: pd.Series) -> list[str]:
    colour = "background-color: #fde2e1; color: #8a1c1c" if bool(row["en_retard"]) else ""
    return [colour] * len(row)


def actions_tab(con: Connection, actor: Actor, affaire_id: int) -> None:
    """The affaire's actions: overdue ones in red, mark done, edit, add, delete."""
    frame = actions.actions_of_affaire(con, actor, affaire_id)
    names = _user_names(con)
    table_key = f"action.{affaire_id}.table"
    if frame.empty:
        st.caption("Aucune action pour cette affaire.")
    else:
        late = int(frame["en_retard"].sum())
        if late:
            st.warning(f"{count_fr(late, 'action')} en retard.", icon=":material/alarm:")
        shown = frame.assign(pour=frame["utilisateur_id"].map(names))[
            ["type", "date_action", "objet", "echeance", "fait", "pour", "en_retard"]
        ]
        st.dataframe(
            formatting.blank_missing(shown).style.apply(_overdue_style, axis=1),
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=table_key,
            column_config={
                "type": "Type",
                "date_action": "Date",
                "objet": "Objet",
                "echeance": "Échéance",
                "fait": st.column_config.CheckboxColumn("Fait"),
                "pour": "Pour",
                "en_retard": st.column_config.CheckboxColumn("En retard"),
            },
            placeholder="",
        )
        st.caption(
            "Sélectionnez une ligne pour marquer l'action faite, la modifier ou la supprimer."
        )
    chosen = selected_id(table_key, frame)
    if chosen is not None:
        _edit_action(con, actor, affaire_id, chosen, names)
    key = form_key("action", affaire_id, None)
    defaults = {"type": TypeAction.TELEPHONE.value, "date_action": dt.date.today()}
    init_once(key, defaults | {"utilisateur_id": actor.id, "echeance": None})
    with st.expander("Ajouter une action", expanded=frame.empty), st.form(key + "form"):
        _action_fields(key, names, errors_of(key))
        st.form_submit_button(
            "Ajouter l'action",
            on_click=submit,
            args=(
                key,
                ACTION_FIELDS,
                partial(actions.create_action, con, actor, affaire_id),
                "Action ajoutée.",
            ),
        )


def _edit_action(
    con: Connection, actor: Actor, affaire_id: int, action_id: int, names: dict[int, str]
) -> None:
    key = form_key("action", affaire_id, action_id)
    version = init_once(key, actions.get_action(con, actor, action_id))
    if not st.session_state.get(key + "fait"):
        st.button(
            "Marquer comme faite",
            key=key + "done",
            icon=":material/task_alt:",
            on_click=submit,
            args=(
                key,
                (),
                lambda _: actions.mark_done(con, actor, action_id, version),
                "Action marquée comme faite.",
            ),
        )
    with st.form(key + "form", border=True):
        st.markdown("**Modifier l'action**")
        _action_fields(key, names, errors_of(key))
        st.form_submit_button(
            "Enregistrer l'action",
            on_click=submit,
            args=(
                key,
                ACTION_FIELDS,
                lambda v: actions.update_action(con, actor, action_id, v, version),
                "Action enregistrée.",
            ),
        )
    delete_button(
        key,
        partial(actions.delete_action, con, actor, action_id, version),
        "Action supprimée.",
        "cette action",
        f"action.{affaire_id}.table",
    )


_HISTORY_DATES = {
    SCREEN_LABELS[f] for f in ("date_debut", "date_fin", "date_signature", "date_cloture")
}
_HISTORY_AMOUNTS = {SCREEN_LABELS[f] for f in ("ca_potentiel", "ca_attendu", "total_ht")}


def _history_value(champ: str, value: object) -> str:
    """A history value (ISO date, plain decimal) in the screen's French format."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value)
    try:
        if champ in _HISTORY_DATES:
            return formatting.date_fr(dt.date.fromisoformat(text))
        if champ in _HISTORY_AMOUNTS:
            return formatting.euro(Decimal(text))
        if champ == SCREEN_LABELS["reussite"]:
            return formatting.points(int(text))
    except (ValueError, InvalidOperation):
        return text
    return text


def history_tab(con: Connection, actor: Actor, affaire_id: int) -> None:
    """Every change of the affaire: who, when, which field, before, after (newest first)."""
    frame = history.affaire_history(con, actor, affaire_id)
    if frame.empty:
        st.caption("Aucune modification enregistrée.")
        return
    shown: dict[str, Any] = {
        "Quand": frame["changed_at"].map(formatting.datetime_fr),
        "Qui": frame["utilisateur"].astype(object).fillna(""),
        "Champ": frame["champ"],
        "Avant": [
            _history_value(c, v) for c, v in zip(frame["champ"], frame["ancien"], strict=True)
        ],
        "Après": [
            _history_value(c, v) for c, v in zip(frame["champ"], frame["nouveau"], strict=True)
        ],
    }
    st.dataframe(
        pd.DataFrame(shown),
        hide_index=True,
        width="stretch",
        key=f"hist.{affaire_id}",
        placeholder="",
    )
