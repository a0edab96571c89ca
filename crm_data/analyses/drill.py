"""Drill-downs: the Affaires list's filters that select exactly the affaires behind one figure of
an analysis (a bar, a cell, a line of the to-do list). The list and the analyses share one filter
model (crm_data.filters), so a drill-down only narrows the analysis's filters and turns its period
into the list's conditions. UI-free, so that tests can count them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import replace

from crm_data.analyses.pipe import EN_RETARD, SANS_DATE, SLIPPED_TIMES
from crm_data.filters import Filters
from crm_data.model import Statut

CLOSED = [Statut.GAGNEE.value, Statut.PERDUE.value, Statut.ABANDONNEE.value]


def base(filters: Filters) -> Filters:
    """The analysis filters every drill-down keeps: all but the period and the day, which each
    drill-down turns into the list's own conditions."""
    return filters.affaires_only()


def _narrow(values: list[str], value: str | None) -> list[str]:
    return values if value is None else [value]


def open_at_etape(filters: Filters, etape: str | None = None) -> Filters:
    """A1: the open affaires of an étape (of every étape when None)."""
    start = base(filters)
    return replace(start, statuts=[Statut.EN_COURS.value], etapes=_narrow(start.etapes, etape))


def _month_bounds(mois: str) -> tuple[dt.date, dt.date]:
    year, month = int(mois[:4]), int(mois[5:7])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def forecast_bucket(filters: Filters, mois: str) -> Filters:
    """A2: the open affaires of a month of date_fin, of "En retard" or of "Sans date".

    A month starts at today at the earliest: earlier dates of the month are "En retard".
    """
    start = open_at_etape(filters)
    today = filters.day()
    if mois == SANS_DATE:
        return replace(start, sans_date_fin=True)
    if mois == EN_RETARD:
        return replace(start, date_fin_au=today - dt.timedelta(days=1))
    first, last = _month_bounds(mois)
    return replace(start, date_fin_du=max(first, today), date_fin_au=last)


def closed_in_period(
    filters: Filters,
    statut: str | None = None,
    *,
    type: str | None = None,
    code_cloture: str | None = None,
    etape: str | None = None,
    gestion_par: int | None = None,
) -> Filters:
    """A3, A4, A6, A7: affaires closed in the period (with this statut, or any closed one),
    narrowed to a type, a code clôture, an étape or a user when given."""
    du, au = filters.period()
    start = base(filters)
    return replace(
        start,
        statuts=[statut] if statut else list(CLOSED),
        types=_narrow(start.types, type),
        etapes=_narrow(start.etapes, etape),
        codes_cloture=[code_cloture] if code_cloture else [],
        gestion_par=[gestion_par] if gestion_par is not None else start.gestion_par,
        cloture_du=du,
        cloture_au=au,
    )


def signed_in_month(
    filters: Filters, mois: str, by: str | None = None, value: str | int | None = None
) -> Filters:
    """A5: the gagnées signed in that month of the period; with a breakdown (`by` one of
    type, famille_article, gestion_par) only those with that value: a user id for gestion_par
    (an int or its digits), "" for the affaires without famille."""
    du, au = filters.period()
    first, last = _month_bounds(mois)
    target = replace(
        closed_in_period(filters, Statut.GAGNEE.value),
        cloture_du=max(first, du),
        cloture_au=min(last, au),
    )
    if by == "type" and isinstance(value, str):
        return replace(target, types=[value])
    if by == "famille_article" and value == "":
        return replace(target, familles=[], sans_famille=True)
    if by == "famille_article" and isinstance(value, str):
        return replace(target, familles=[value])
    if by == "gestion_par" and isinstance(value, str) and value.isdecimal():
        value = int(value)
    if by == "gestion_par" and isinstance(value, int):
        return replace(target, gestion_par=[value])
    return target


def open_of_user(filters: Filters, user_id: int) -> Filters:
    """A7: the open affaires a user manages."""
    return replace(open_at_etape(filters), gestion_par=[user_id])


def quality_check(filters: Filters, check: str) -> Filters:
    """A9: the affaires a data quality check counts (check is a key of QUALITY_CHECKS)."""
    start = open_at_etape(filters)
    if check == "date_fin_depassee":
        return replace(start, date_fin_au=filters.day() - dt.timedelta(days=1))
    if check == "sans_contact":
        return replace(start, sans_contact=True)
    if check == "dormantes":
        # Dormant as of the day the check counted them on (the list's own today otherwise).
        return replace(start, dormantes=True, today=filters.today)
    if check == "sans_ca_potentiel":
        return replace(start, sans_ca_potentiel=True)
    if check == "date_fin_repoussee_3_fois":
        return replace(start, reports_min=SLIPPED_TIMES)
    if check == "perdue_sans_code":
        return replace(start, statuts=[Statut.PERDUE.value], sans_code_cloture=True)
    raise ValueError(f"unknown check {check!r}")


def affaires(ids: list[int]) -> Filters | None:
    """A10, A11: exactly these affaires (those behind a bar of a past pipe or of a movement),
    whatever their state today, no other condition but who may see them; None when there are
    none (nothing to open)."""
    return Filters(affaire_ids=sorted(int(i) for i in ids)) if ids else None
