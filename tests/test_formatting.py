"""French formats on screen: money, rates, dates, blanks instead of None."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from crm_ui import formatting

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234.5, f"1{NB}234,50{NB}€"),
        (Decimal("1234567.891"), f"1{NB}234{NB}567,89{NB}€"),
        (0, f"0,00{NB}€"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_euro(value: object, expected: str) -> None:
    assert formatting.euro(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10_149_860, f"10,15{NB}M€"),
        (845_300, f"845,3{NB}k€"),
        (9_870, f"9{NB}870{NB}€"),
        (None, ""),
    ],
)
def test_euro_compact(value: float | None, expected: str) -> None:
    assert formatting.euro_compact(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("15000"), "15\u00a0000"),
        (Decimal("15000.50"), "15\u00a0000,50"),
        (0, "0"),
        (None, ""),
    ],
)
def test_a_grid_amount_shows_cents_only_when_it_has_some(
    value: Decimal | None, expected: str
) -> None:
    assert formatting.number(value, formatting.CENTS_IF_ANY) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.625, f"62,5{NB}%"), (0.5, f"50,0{NB}%"), (0.41666, f"41,7{NB}%"), (None, "")],
)
def test_percent(fraction: float | None, expected: str) -> None:
    assert formatting.percent(fraction) == expected


def test_dates_are_french() -> None:
    assert formatting.date_fr(dt.date(2026, 12, 31)) == "31/12/2026"
    assert formatting.date_fr(pd.NaT) == ""


def test_blank_missing_shows_no_none() -> None:
    frame = pd.DataFrame(
        {
            "nom": ["A", None],
            "date_fin": [dt.date(2026, 1, 2), None],
            "ts": pd.to_datetime(["2026-03-04", None]),
            "ca": [1.5, None],
        }
    )
    shown = formatting.blank_missing(frame)
    assert shown["nom"].tolist() == ["A", ""]
    assert shown["date_fin"].tolist() == ["02/01/2026", ""]
    assert shown["ts"].tolist() == ["04/03/2026", ""]
    assert shown["ca"].iloc[0] == 1.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12", "déc. 2026"),
        ("2027-01", "janv. 2027"),
        ("2026-08", "août 2026"),
        ("En retard", "En retard"),
        ("Sans date", "Sans date"),
        (None, ""),
    ],
)
def test_months_are_french(value: str | None, expected: str) -> None:
    assert formatting.month_fr(value) == expected


def test_days_carry_one_decimal_and_a_comma() -> None:
    assert formatting.days(64.06) == f"64,1{NB}j"
    assert formatting.days(float("nan")) == ""
