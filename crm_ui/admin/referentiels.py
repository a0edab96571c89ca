"""Editing one reference list (étapes, codes clôture, familles d'article) on the Paramètres page;
an étape also carries its réussite par défaut and its jours sans activité (dormant affaires).

A value in use cannot be deleted, only deactivated; a rename carries the affaires that use it
(both enforced by crm_data.referentiels).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from crm_data import referentiels
from crm_data.model import Actor, CategorieCloture
from crm_data.store.db import Connection
from crm_ui import formatting
from crm_ui.fields import field_errors, other_errors, plain
from crm_ui.record.child_forms import delete_button, errors_of, init_once, selected_id, submit

LABELS = {
    "etape": ("Étapes", "une étape"),
    "code_cloture": ("Codes clôture", "un code clôture"),
    "famille_article": ("Familles d'article", "une famille d'article"),
}
"""Reference list → (its title, one of its values with its article)."""
_EXTRA = {
    "etape": ("ordre", "reussite_defaut", "jours_sans_activite"),
    "code_cloture": ("categorie",),
    "famille_article": (),
}


def _fields(referentiel: str, key: str, errors: list[tuple[str, str]]) -> None:
    columns = st.columns(len(_EXTRA[referentiel]) + 2)
    with columns[0]:
        st.text_input("Libellé *", key=key + "nom")
        field_errors(errors, "nom")
    if referentiel == "etape":
        with columns[1]:
            st.number_input("Ordre", key=key + "ordre", step=1, min_value=0)
            field_errors(errors, "ordre")
        with columns[2]:
            st.number_input(
                "Réussite par défaut (%)",
                key=key + "reussite_defaut",
                min_value=0,
                max_value=100,
                step=5,
            )
            field_errors(errors, "reussite_defaut")
        with columns[3]:
            st.number_input(
                "Jours sans activité",
                key=key + "jours_sans_activite",
                min_value=1,
                max_value=referentiels.MAX_JOURS_SANS_ACTIVITE,
                step=1,
                help="Une affaire en cours de cette étape devient dormante quand sa dernière "
                "activité (enregistrement ou action faite) date de plus de jours que ce seuil. "
                "Vide : jamais dormante.",
            )
            field_errors(errors, "jours_sans_activite")
    if referentiel == "code_cloture":
        with columns[1]:
            st.selectbox(
                "Catégorie",
                [c.value for c in CategorieCloture],
                key=key + "categorie",
                help="Interne : la perte était de notre fait ; externe : le projet a été annulé.",
            )
    columns[-1].checkbox("Actif", key=key + "actif")
    other_errors(errors, {"nom", "ordre", "reussite_defaut", "jours_sans_activite", "categorie"})


def _save(
    con: Connection, actor: Actor, referentiel: str, old_nom: str | None, values: dict[str, Any]
) -> None:
    extra = {c: values.get(c) for c in _EXTRA[referentiel]}
    for name in ("ordre", "reussite_defaut", "jours_sans_activite"):
        number = extra.get(name)
        if number is not None:
            extra[name] = int(number)
    referentiels.save_value(
        con,
        actor,
        referentiel,
        str(values.get("nom") or ""),
        old_nom=old_nom,
        actif=bool(values.get("actif")),
        **extra,
    )


def _value(value: Any) -> Any:
    """A cell as a widget takes it: a missing number is None, a whole number an int."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The list as the table shows it: French figures (« 1 026 », « 20 % »), blanks, no None."""
    shown = frame.assign(id=range(len(frame)))
    shown["utilisations"] = [formatting.number(v) for v in frame["utilisations"]]
    if "reussite_defaut" in frame:
        shown["reussite_defaut"] = [formatting.points(v) for v in frame["reussite_defaut"]]
    if "jours_sans_activite" in frame:
        shown["jours_sans_activite"] = [formatting.number(v) for v in frame["jours_sans_activite"]]
    return shown


def referentiel_editor(
    con: Connection,
    actor: Actor,
    referentiel: str,
    counts: dict[str, dict[str, int]] | None = None,
) -> None:
    """The list with its use counts (from counts, referentiels.use_counts' answer, when given),
    the selected value's form, and an add form."""
    title, one = LABELS[referentiel]
    frame = referentiels.list_values(con, referentiel, active_only=False, counts=counts)
    names = ("nom", *_EXTRA[referentiel], "actif")
    table_key = f"ref.{referentiel}.table"
    st.dataframe(
        _shown(frame),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=table_key,
        column_order=[*names, "utilisations"],
        column_config={
            "nom": "Libellé",
            "ordre": "Ordre",
            "reussite_defaut": "Réussite par défaut",
            "jours_sans_activite": "Jours sans activité",
            "categorie": "Catégorie",
            "actif": st.column_config.CheckboxColumn("Actif"),
            "utilisations": "Affaires",
        },
        placeholder="",
    )
    st.caption(f"Sélectionnez une ligne pour renommer, désactiver ou supprimer {one}.")
    position = selected_id(table_key, frame.assign(id=range(len(frame))))
    if position is not None:
        row = frame.iloc[position].to_dict()
        old_nom = str(row["nom"])
        key = f"ref.{referentiel}.{old_nom}."
        init_once(key, {n: _value(row[n]) for n in names} | {"actif": bool(row["actif"])})
        with st.form(key + "form", border=True):
            st.markdown(f"**Modifier : {plain(old_nom)}**")
            _fields(referentiel, key, errors_of(key))
            st.form_submit_button(
                "Enregistrer",
                on_click=submit,
                args=(key, names, partial(_save, con, actor, referentiel, old_nom), "Enregistré."),
            )
        if int(row["utilisations"]):
            count = int(row["utilisations"])
            st.caption(
                f"Valeur utilisée par {formatting.number(count)} "
                f"affaire{'s' if count > 1 else ''} : désactivez-la plutôt que de la supprimer."
            )
        delete_button(
            key,
            partial(referentiels.delete_value, con, actor, referentiel, old_nom),
            "Valeur supprimée.",
            f"« {old_nom} »",
            table_key,
        )
    key = f"ref.{referentiel}.new."
    defaults: dict[str, Any] = {"actif": True, "categorie": CategorieCloture.INTERNE.value}
    if referentiel == "etape":
        next_order = int(frame["ordre"].max()) + 1 if len(frame) else 1
        defaults |= {"ordre": next_order, "reussite_defaut": 50, "jours_sans_activite": 21}
    init_once(key, defaults)
    with st.expander(f"Ajouter : {title.lower()}"), st.form(key + "form"):
        _fields(referentiel, key, errors_of(key))
        st.form_submit_button(
            "Ajouter",
            on_click=submit,
            args=(key, names, partial(_save, con, actor, referentiel, None), "Valeur ajoutée."),
        )
