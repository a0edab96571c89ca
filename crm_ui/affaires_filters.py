"""The Affaires list's search and filter widgets, read into an Filters.

The widgets start from the filters kept in session state, so a filter survives opening and
closing a record and a drill-down from an analysis arrives with its filters applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import streamlit as st

from crm_data import referentiels
from crm_data.filters import Filters
from crm_data.model import Statut, TypeAffaire
from crm_data.store.db import Connection
from crm_data.users import user_labels

_RANGES = (
    ("date_debut", "Date de début"),
    ("date_fin", "Date fin"),
    ("cloture", "Date de clôture"),
)


def _range(label: str, key: str, du: dt.date | None, au: dt.date | None) -> tuple[Any, Any]:
    if key not in st.session_state:
        st.session_state[key] = tuple(d for d in (du, au) if d is not None)
    picked = st.date_input(label, key=key, format="DD/MM/YYYY")
    if not isinstance(picked, tuple):
        return None, None
    start = picked[0] if len(picked) > 0 else None
    end = picked[1] if len(picked) > 1 else None
    return start, end


def _sans_famille(column: Any, wanted: bool) -> bool:
    # A keyed checkbox keeps its own state and ignores `value`: when the filters changed
    # elsewhere (a drill-down from the A5 « (vide) » bar), the box is set to them first.
    key = "affaires_sans_famille"
    if st.session_state.get(f"{key}_synced") != wanted or key not in st.session_state:
        st.session_state[key] = wanted
    ticked = bool(
        column.checkbox(
            "Sans famille",
            key=key,
            help="Les affaires sans famille d'article (en plus des familles choisies)",
        )
    )
    st.session_state[f"{key}_synced"] = ticked
    return ticked


def filter_widgets(con: Connection, current: Filters) -> Filters:
    """Draw the search box and filters; return the filters they describe."""
    user_names = user_labels(con)
    with st.container(border=True):
        search = st.text_input(
            "Rechercher",
            value=current.search,
            placeholder="Nom d'affaire, compte ou contact",
            key="affaires_search",
        )
        c1, c2, c3, c4, c5 = st.columns(5)
        choices: dict[str, Any] = {
            "statuts": c1.multiselect(
                "Statut",
                [s.value for s in Statut],
                default=current.statuts,
                key="affaires_statuts",
                placeholder="Tous",
            ),
            "etapes": c2.multiselect(
                "Étape",
                referentiels.names(con, "etape", active_only=False),
                default=current.etapes,
                key="affaires_etapes",
                placeholder="Toutes",
            ),
            "types": c3.multiselect(
                "Type",
                [t.value for t in TypeAffaire],
                default=current.types,
                key="affaires_types",
                placeholder="Tous",
            ),
            "gestion_par": c4.multiselect(
                "Gestion par",
                list(user_names),
                default=[u for u in current.gestion_par if u in user_names],
                format_func=lambda i: user_names.get(i, str(i)),
                key="affaires_gestion",
                placeholder="Tous",
            ),
            "familles": c5.multiselect(
                "Famille d'article",
                referentiels.names(con, "famille_article", active_only=False),
                default=current.familles,
                key="affaires_familles",
                placeholder="Toutes",
            ),
        }
        choices["sans_famille"] = _sans_famille(c5, current.sans_famille)
        columns = st.columns(len(_RANGES))
        for col, (name, label) in zip(columns, _RANGES, strict=True):
            with col:
                du, au = _range(
                    label,
                    f"affaires_{name}",
                    getattr(current, f"{name}_du"),
                    getattr(current, f"{name}_au"),
                )
            choices[f"{name}_du"], choices[f"{name}_au"] = du, au
    return replace(current, search=search, **choices)
