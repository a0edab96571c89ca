"""The period picker of the analysis screens: presets, a custom range, and the two periods each
figure is compared with (the previous period and the same period a year earlier)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from crm_data.analyses.registry import shift_months, shift_period

PRESETS = ("Ce mois", "Ce trimestre", "Cette année", "12 derniers mois", "Personnalisée")


@dataclass(frozen=True)
class Period:
    du: dt.date
    au: dt.date
    previous: tuple[dt.date, dt.date]
    year_before: tuple[dt.date, dt.date]

    def label(self) -> str:
        return f"du {self.du:%d/%m/%Y} au {self.au:%d/%m/%Y}"


def resolve(
    preset: str, today: dt.date, du: dt.date | None = None, au: dt.date | None = None
) -> Period:
    """The period a preset means on `today` (to date: it ends today), with its comparisons.

    The previous period is the same stretch one month, quarter or year earlier; for the last
    12 months and a custom range, the stretch of the same length just before. Shifts go by
    crm_data's shift_months: a month's last day goes to the target month's last day.
    """
    if preset == "Ce mois":
        start, months = today.replace(day=1), 1
    elif preset == "Ce trimestre":
        start, months = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3
    elif preset == "Cette année":
        start, months = dt.date(today.year, 1, 1), 12
    elif preset == "12 derniers mois":
        start, months = shift_months(today, -12) + dt.timedelta(days=1), 12
    else:
        start, end = du or today.replace(day=1), au or today
        start, end = min(start, end), max(start, end)
        length = end - start
        previous = (start - dt.timedelta(days=1) - length, start - dt.timedelta(days=1))
        return Period(start, end, previous, shift_period(start, end))
    end = today
    return Period(start, end, shift_period(start, end, -months), shift_period(start, end))


def picker(key: str, default: str = "Cette année") -> Period:
    """The preset selector (and the two dates of a custom period) drawn in the current container."""
    today = dt.date.today()
    preset = (
        st.segmented_control(
            "Période", PRESETS, default=default, key=f"{key}_preset", selection_mode="single"
        )
        or default
    )
    du = au = None
    if preset == "Personnalisée":
        c1, c2 = st.columns(2)
        du = c1.date_input(
            "Du", value=today.replace(month=1, day=1), format="DD/MM/YYYY", key=f"{key}_du"
        )
        au = c2.date_input("Au", value=today, format="DD/MM/YYYY", key=f"{key}_au")
    return resolve(preset, today, du, au)
