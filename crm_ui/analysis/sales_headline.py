"""The Ventes screen's headline figures, each beside the previous period and a year earlier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st

from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import Filters
from crm_data.model import Actor
from crm_ui import formatting, session
from crm_ui.analysis.period import Period


@st.cache_data(max_entries=256, show_spinner=False)
def _summary(base_state: str, actor: Actor, filters: Filters) -> pd.DataFrame:
    return analyses.sales_summary(session.connection(), actor, filters)


def _delta(now: float | None, before: float | None, kind: str) -> str | None:
    if now is None or before is None or now != now or before != before:
        return None
    if kind == "rate":
        return f"{formatting.number((now - before) * 100, 1)} pts"
    if kind == "days":
        return f"{formatting.number(now - before, 1)} j"
    if before == 0:
        return None
    return formatting.percent((now - before) / before)


FIGURES: list[tuple[str, str, str, Callable[[float], str]]] = [
    ("CA signé", "ca_signe", "amount", formatting.euro_compact),
    ("Affaires gagnées", "gagnees", "count", formatting.number),
    ("Taux de réussite", "taux_reussite", "rate", formatting.percent),
    ("Panier moyen", "panier_moyen", "amount", lambda v: formatting.euro(v, 0)),
    ("Cycle moyen", "cycle_moyen_jours", "days", lambda v: f"{formatting.number(v, 1)} j"),
]


def headline(
    base_state: str, actor: Actor, filters: Filters, period: Period
) -> dict[str, pd.DataFrame]:
    """Draw the five headline metrics and return the three summaries (période, précédente,
    un an plus tôt) for the export."""
    summaries = {
        "Période": _summary(base_state, actor, filters),
        "Période précédente": _summary(
            base_state, actor, replace(filters, du=period.previous[0], au=period.previous[1])
        ),
        "Un an plus tôt": _summary(
            base_state, actor, replace(filters, du=period.year_before[0], au=period.year_before[1])
        ),
    }
    now, before, year = (s.iloc[0] for s in summaries.values())
    for column, (label, field, kind, show) in zip(st.columns(len(FIGURES)), FIGURES, strict=True):
        value = now[field]
        column.metric(
            label,
            show(value) if value == value else "—",
            delta=_delta(value, before[field], kind),
            delta_color="inverse" if kind == "days" else "normal",
            help="Comparé à la période précédente",
        )
        previous = show(before[field]) if before[field] == before[field] else "—"
        earlier = show(year[field]) if year[field] == year[field] else "—"
        column.caption(f"Précédente : {previous}  \nUn an plus tôt : {earlier}")
    return summaries
