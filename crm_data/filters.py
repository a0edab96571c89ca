"""Which affaires: the one filter model of the list, the analyses and their drill-downs, the one
builder of its SQL conditions (visibility included), and the closing date of SPEC §3.

Every condition is over the affaire's alias `a` alone and binds its values by name; the fragments
are built from constants only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from crm_data.model import Actor
from crm_data.store.engine import DUCKDB
from crm_data.store.sql import (
    CLOSING_DATE,
    VISIBLE,
    contains_like,
    dormant,
    in_ids,
    in_texts,
    like_pattern,
    visibility,
)
from crm_data.text import storable

_LISTS = ("statuts", "etapes", "types", "gestion_par", "familles", "codes_cloture", "affaire_ids")

REPORTS_BY_AFFAIRE = "affaire_reports"
"""SPEC §3 A13: each affaire's `reports`, how many of its versions moved date_fin to a later date
than the version before: a view (crm_data.store.schema, MIGRATION_7) with columns affaire_id,
reports, and a row for each affaire with at least one. Join it as a table, e.g. to sort the
list by reports (coalesce(r.reports, 0))."""


@dataclass
class Filters:
    """Which affaires a screen, an analysis or a drill-down asks for. Empty lists, False and None
    mean "no condition". Lists given as tuples are kept as lists, so that equal filters compare
    equal however they were spelled.

    `du`, `au` and `today` are the analyses' own: the period [du, au] (both included; the current
    calendar year when omitted), which each analysis applies as SPEC §3 says, and the day taken
    as now. The list does not read them; its closing-date range is cloture_du / cloture_au.
    """

    search: str = ""
    statuts: list[str] = field(default_factory=list)
    etapes: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    gestion_par: list[int] = field(default_factory=list)
    familles: list[str] = field(default_factory=list)
    sans_famille: bool = False
    """Also (or, without familles, only) the affaires without a famille d'article."""
    codes_cloture: list[str] = field(default_factory=list)
    compte_id: int | None = None
    date_debut_du: dt.date | None = None
    date_debut_au: dt.date | None = None
    date_fin_du: dt.date | None = None
    date_fin_au: dt.date | None = None
    cloture_du: dt.date | None = None
    """The closing date (CLOSING_DATE) from this day."""
    cloture_au: dt.date | None = None
    sans_date_fin: bool = False
    sans_contact: bool = False
    sans_ca_potentiel: bool = False
    sans_code_cloture: bool = False
    sans_action_depuis_jours: int | None = None
    """Only affaires without any action dated within that many days."""
    dormantes: bool = False
    """Only the dormant affaires (SPEC §3: open, no activity for longer than their étape's
    jours_sans_activite) as of the analyses' day (`today`, else the current date)."""
    affaire_ids: list[int] = field(default_factory=list)
    """Only these affaires (a drill-down into the affaires behind a movement of the pipe)."""
    reports_min: int | None = None
    """Only affaires whose date fin was pushed later at least that many times (A13)."""
    du: dt.date | None = None
    au: dt.date | None = None
    today: dt.date | None = None
    le: dt.date | None = None
    """The day the pipe's analyses are computed as on (A10), from the versions; None: now."""

    def __post_init__(self) -> None:
        for name in _LISTS:
            setattr(self, name, list(getattr(self, name)))

    def is_empty(self) -> bool:
        return self == Filters()

    def affaires_only(self) -> Filters:
        """These filters without the analyses' period and day: what selects affaires."""
        return replace(self, du=None, au=None, today=None, le=None)

    def day(self) -> dt.date:
        """The day the analyses take as today."""
        return self.today or dt.date.today()

    def period(self) -> tuple[dt.date, dt.date]:
        """(du, au), each defaulting to the bounds of the current calendar year."""
        year = self.day().year
        return self.du or dt.date(year, 1, 1), self.au or dt.date(year, 12, 31)

    def describe(
        self, user_names: dict[int, str] | None = None, only: tuple[str, ...] | None = None
    ) -> dict[str, str]:
        """The non-empty filters (of `only`, when given) as French label → readable value, for
        export sheets and banners: users by their name (user_names), dates as JJ/MM/AAAA. The
        analyses' period and day are not among them (see describe_analysis)."""
        names = user_names or {}
        out: dict[str, str] = {}
        for name, label in LABELS.items():
            value = getattr(self, name)
            if value in (None, "", [], False) or (only is not None and name not in only):
                continue
            if name == "gestion_par":
                out[label] = ", ".join(names.get(int(v), f"n° {v}") for v in value)
            elif name == "affaire_ids":
                out[label] = f"{len(value)} affaire{'s' if len(value) > 1 else ''}"
            elif isinstance(value, list):
                out[label] = ", ".join(str(v) for v in value)
            elif isinstance(value, dt.date):
                out[label] = value.strftime("%d/%m/%Y")
            else:
                out[label] = "oui" if value is True else str(value)
        return out

    def describe_analysis(self) -> dict[str, str]:
        """An analysis's filters in French, for the sheet that records them beside an export:
        the period, the « Pipe au » day when one is set, then the type, famille and étape lists
        ("Tous"/"Toutes" when empty)."""
        du, au = self.period()
        day = {} if self.le is None else {"Pipe au": self.le.strftime("%d/%m/%Y")}
        return {
            "Période du": du.strftime("%d/%m/%Y"),
            "Période au": au.strftime("%d/%m/%Y"),
            **day,
            "Type": ", ".join(self.types) or "Tous",
            "Famille d'article": ", ".join(self.familles) or "Toutes",
            "Etape": ", ".join(self.etapes) or "Toutes",
        }


LABELS = {
    "search": "Recherche",
    "statuts": "Statut",
    "etapes": "Etape",
    "types": "Type",
    "gestion_par": "Gestion par",
    "familles": "Famille d'article",
    "sans_famille": "Sans famille d'article",
    "codes_cloture": "Code clôture",
    "compte_id": "Compte n°",
    "date_debut_du": "Date de début à partir du",
    "date_debut_au": "Date de début jusqu'au",
    "date_fin_du": "Date fin à partir du",
    "date_fin_au": "Date fin jusqu'au",
    "cloture_du": "Clôturée à partir du",
    "cloture_au": "Clôturée jusqu'au",
    "sans_date_fin": "Sans date fin",
    "sans_contact": "Sans contact",
    "sans_ca_potentiel": "Sans CA potentiel",
    "sans_code_cloture": "Sans code clôture",
    "sans_action_depuis_jours": "Sans action depuis (jours)",
    "dormantes": "Affaires dormantes",
    "affaire_ids": "Affaires choisies",
    "reports_min": "Date fin repoussée au moins (fois)",
}
"""Each filter that selects affaires → its French label, as the banners and export sheets show
it (the analyses' du, au and today are not such filters)."""


def conditions(
    filters: Filters, actor: Actor, dialect: str = DUCKDB
) -> tuple[list[str], dict[str, Any]]:
    """The conditions (over the affaire's alias a only, ANDed) selecting the affaires the actor
    may see that match filters, the analyses' period aside, and their bound parameters.

    Rights come first: a commercial only ever sees their own affaires. The search matches the
    affaire's name, its compte's name or its contact's full name, ignoring case. On PostgreSQL
    (dialect), the dormant affaires are read from the column kept for them
    (crm_data.store.pg_list), the same rule.
    """
    where = [VISIBLE]
    params = visibility(actor)
    search = filters.search.strip().lower()
    if search:
        # Matching compte and contact names in their own (small) tables keeps every condition
        # on the affaire alone: the count and the page then need no join over a million rows.
        # One id list of three parts, each a LIKE that PostgreSQL reads from a trigram index
        # (an OR of them is a scan of every affaire there).
        full_name = "lower(coalesce(prenom, '') || ' ' || nom)"
        where.append(
            "a.id IN ("
            f"SELECT s.id FROM affaire AS s WHERE {contains_like('lower(s.nom)', 'search')}"
            " UNION ALL SELECT s.id FROM affaire AS s WHERE s.compte_id IN"
            f" (SELECT id FROM compte WHERE {contains_like('lower(nom)', 'search')})"
            " UNION ALL SELECT s.id FROM affaire AS s WHERE s.contact_id IN"
            f" (SELECT id FROM contact WHERE {contains_like(full_name, 'search')}))"
        )
        params["search"] = like_pattern(storable(search))
    lists = (
        ("statuts", "a.statut"),
        ("etapes", "a.etape"),
        ("types", "a.type"),
        ("gestion_par", "a.gestion_par"),
        ("codes_cloture", "a.code_cloture"),
    )
    for name, column in lists:
        values = getattr(filters, name)
        if values:
            where.append(in_ids(column, name) if name == "gestion_par" else in_texts(column, name))
            params[name] = [storable(v) if isinstance(v, str) else v for v in values]
    familles = [in_texts("a.famille_article", "familles")] if filters.familles else []
    if filters.familles:
        params["familles"] = [storable(f) for f in filters.familles]
    if filters.sans_famille:
        familles.append("coalesce(a.famille_article, '') = ''")
    if familles:
        where.append("(" + " OR ".join(familles) + ")")
    ranges = (
        ("date_debut_du", "a.date_debut", ">="),
        ("date_debut_au", "a.date_debut", "<="),
        ("date_fin_du", "a.date_fin", ">="),
        ("date_fin_au", "a.date_fin", "<="),
        ("cloture_du", CLOSING_DATE, ">="),
        ("cloture_au", CLOSING_DATE, "<="),
    )
    for name, column, operator in ranges:
        value = getattr(filters, name)
        if value is not None:
            where.append(f"{column} {operator} ${name}")
            params[name] = value
    if filters.compte_id is not None:
        where.append("a.compte_id = $compte_id")
        params["compte_id"] = filters.compte_id
    flags = (
        ("sans_date_fin", "a.date_fin IS NULL"),
        ("sans_contact", "a.contact_id IS NULL"),
        ("sans_ca_potentiel", "a.ca_potentiel IS NULL"),
        ("sans_code_cloture", "a.code_cloture IS NULL"),
    )
    where.extend(condition for name, condition in flags if getattr(filters, name))
    if filters.sans_action_depuis_jours is not None:
        where.append(
            "NOT EXISTS (SELECT 1 FROM action AS x WHERE x.affaire_id = a.id "
            "AND x.date_action >= current_date - CAST($jours AS INTEGER))"
        )
        params["jours"] = filters.sans_action_depuis_jours
    if filters.dormantes:
        where.append(dormant(dialect))
        params["today"] = filters.day()
    if filters.affaire_ids:
        where.append(in_ids("a.id", "affaire_ids"))
        params["affaire_ids"] = [int(i) for i in filters.affaire_ids]
    if filters.reports_min is not None and filters.reports_min > 0:
        # Every affaire has been pushed at least 0 times: only a positive minimum selects.
        where.append(
            f"a.id IN (SELECT r.affaire_id FROM {REPORTS_BY_AFFAIRE} AS r"
            " WHERE r.reports >= $reports_min)"
        )
        params["reports_min"] = filters.reports_min
    return where, params
