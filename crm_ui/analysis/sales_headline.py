"""The Ventes screen's headline figures, each beside the previous period and a year earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import Filters
from crm_data.model import Actor
from crm_ui import formatting, session
from crm_ui.analysis.period import Period


@st.cache_data(max_entries=256, show_spinner=False)
def _summaries(
    base_state: str, actor: Actor, filters: Filters, periods: tuple[tuple[dt.date, dt.date], ...]
) -> list[pd.DataFrame]:
    return analyses.sales_summaries(session.connection(), actor, filters, periods)


def _change(now: float | None, before: float | None, kind: str) -> float | None:
    if now is None or before is None or now != now or before != before:
        return None
    if kind in ("rate", "days"):
        return float(now - before)
    return None if before == 0 else float((now - before) / before)


def _delta(change: float | None, kind: str) -> str | None:
    if change is None:
        return None
    if kind == "rate":
        return f"{formatting.number(change * 100, 1)} pts"
    if kind == "days":
        return f"{formatting.number(change, 1)} j"
    return formatting.percent(change)


FIGURES: list[tuple[str, str, str, Callable[[float], str], str]] = [
    (
        "CA signé",
        "ca_signe",
        "amount",
        formatting.euro_compact,
        "Somme des Total HT des affaires gagnées dont la date de signature tombe dans la période.",
    ),
    (
        "Affaires gagnées",
        "gagnees",
        "count",
        formatting.number,
        "Nombre d'affaires au statut Gagnée signées dans la période.",
    ),
    (
        "Taux de réussite",
        "taux_reussite",
        "rate",
        formatting.percent,
        "Gagnées ÷ (gagnées + perdues) clôturées dans la période ; les abandonnées ne comptent "
        "pas.",
    ),
    (
        "Panier moyen",
        "panier_moyen",
        "amount",
        lambda v: formatting.euro(v, 0),
        "CA signé ÷ nombre d'affaires gagnées dans la période.",
    ),
    (
        "Cycle moyen",
        "cycle_moyen_jours",
        "days",
        formatting.days,
        "Moyenne, sur les affaires gagnées dans la période, des jours entre la date de début et "
        "la date de signature.",
    ),
]


def headline(
    base_state: str, actor: Actor, filters: Filters, period: Period
) -> dict[str, pd.DataFrame]:
    """Draw the five headline metrics and return the three summaries (période, précédente,
    un an plus tôt) for the export. The arrow compares with the previous period (grey and
    without arrow when nothing changed); the « Précédente » line is left out when the previous
    period is the year before (« Cette année »)."""
    periods = ((period.du, period.au), period.previous, period.year_before)
    labels = ("Période", "Période précédente", "Un an plus tôt")
    summaries = dict(zip(labels, _summaries(base_state, actor, filters, periods), strict=True))
    now, before, year = (s.iloc[0] for s in summaries.values())
    same = period.previous == period.year_before
    versus = "un an plus tôt" if same else "la période précédente"
    columns = st.columns(len(FIGURES))
    for column, (label, field, kind, show, meaning) in zip(columns, FIGURES, strict=True):
        value = now[field]
        change = _change(value, before[field], kind)
        still = change is not None and round(change, 4) == 0
        column.metric(
            label,
            show(value) if value == value else "—",
            delta="stable" if still else _delta(change, kind),
            delta_color="off" if still else ("inverse" if kind == "days" else "normal"),
            delta_arrow="off" if still else "auto",
            help=f"{meaning} La flèche compare avec {versus}.",
        )
        earlier = show(year[field]) if year[field] == year[field] else "—"
        if same:
            column.caption(f"Un an plus tôt : {earlier}")
        else:
            previous = show(before[field]) if before[field] == before[field] else "—"
            column.caption(f"Précédente : {previous}  \nUn an plus tôt : {earlier}")
    return summaries
