"""French number, money, percent and date formats for screens and charts.

`1 234,50 €`, `62,5 %`, `31/12/2026`; the thousands separator is a non-breaking space so that
an amount never wraps.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd

NBSP = "\u00a0"


def is_missing(value: object) -> bool:
    """None, NaN, NaT or NA: a value shown as a blank."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


CENTS_IF_ANY = -1
"""The decimals of an amount shown with its cents only where there are some (1 000, 1 000,50):
a narrow grid cell (objectifs)."""


def number(value: float | Decimal | int | None, decimals: int = 0) -> str:
    """1 234 567 or 1 234,5 (decimals places, or CENTS_IF_ANY); empty for a missing value."""
    if is_missing(value):
        return ""
    assert value is not None
    if decimals == CENTS_IF_ANY:
        decimals = 0 if float(value) == round(float(value)) else 2
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def euro(value: float | Decimal | int | None, decimals: int = 2) -> str:
    """1 234,50 € ; empty for a missing value."""
    text = number(value, decimals)
    return f"{text}{NBSP}€" if text else ""


def percent(fraction: float | None, decimals: int = 1) -> str:
    """A rate given as a fraction (0.625) shown as 62,5 % and 0.5 as 50,0 % (the same decimals
    down a column); empty for a missing rate."""
    if is_missing(fraction):
        return ""
    assert fraction is not None
    return f"{number(float(fraction) * 100, decimals)}{NBSP}%"


def days(value: float | None) -> str:
    """A duration in days, one decimal: 64,1 j ; empty for a missing one."""
    return "" if is_missing(value) else f"{number(value, 1)}{NBSP}j"


MONTHS: tuple[str, ...] = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août")
MONTHS += ("sept.", "oct.", "nov.", "déc.")


def month_fr(value: object) -> str:
    """A month `AAAA-MM` as « déc. 2026 »; any other text (« En retard », « Sans date ») as is,
    empty for a missing one."""
    if is_missing(value):
        return ""
    text = str(value)
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        month = int(text[5:])
        if 1 <= month <= 12:
            return f"{MONTHS[month - 1]} {text[:4]}"
    return text


def points(value: int | float | None) -> str:
    """A percentage already 0–100 (réussite 60) shown as 60 % ."""
    return "" if is_missing(value) else f"{number(value)}{NBSP}%"


def date_fr(value: dt.date | dt.datetime | None) -> str:
    """31/12/2026 ; empty for a missing date."""
    if is_missing(value):
        return ""
    assert value is not None
    return value.strftime("%d/%m/%Y")


def datetime_fr(value: dt.datetime | None) -> str:
    """31/12/2026 14:05 ; empty for a missing timestamp."""
    if is_missing(value):
        return ""
    assert value is not None
    return value.strftime("%d/%m/%Y %H:%M")


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display where dates read 31/12/2026 and missing dates and texts are blank.

    st.dataframe writes "None" in an empty text or date cell, an English word on a French screen.
    """
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            shown[column] = [date_fr(v) for v in values]
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            sample = values.dropna()
            if len(sample) and all(isinstance(v, dt.date) for v in sample.head(20)):
                shown[column] = [date_fr(v) for v in values]
            else:
                shown[column] = values.astype(object).where(values.notna(), "")
    return shown


def euro_compact(value: float | Decimal | int | None) -> str:
    """A headline amount that fits a narrow metric: 10,15 M€, 845,3 k€, 9 870 €."""
    if is_missing(value):
        return ""
    assert value is not None
    amount = float(value)
    if abs(amount) >= 1_000_000:
        return f"{number(amount / 1_000_000, 2)}{NBSP}M€"
    if abs(amount) >= 100_000:
        return f"{number(amount / 1_000, 1)}{NBSP}k€"
    return euro(amount, 0)
