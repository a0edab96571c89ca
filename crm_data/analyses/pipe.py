"""The pipe's analyses for managers (SPEC §3 A1, A2, A7) and the data quality checks (A9).

Grouping and summing run in DuckDB; pandas only orders the small results and computes ratios.
"""

from __future__ import annotations

import pandas as pd

from crm_data.analyses.common import (
    IN_PERIOD,
    closed_between,
    params,
    query,
    ratio,
    scope,
    source,
    unfiltered,
)
from crm_data.filters import REPORTS_BY_AFFAIRE, Filters
from crm_data.model import Actor
from crm_data.store.db import Connection, dialect
from crm_data.store.engine import POSTGRESQL
from crm_data.store.pg_list import QUIET_TOO_LONG
from crm_data.store.sql import (
    USER_LABELS,
    dormant,
    in_texts,
    month_text,
    no_texts,
    weighted_sum,
)

EN_RETARD = "En retard"
SANS_DATE = "Sans date"
SLIPPED_TIMES = 3
"""A9: an open affaire whose date fin was pushed later this many times or more stands out."""


def pipe_by_etape(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A1: open affaires per étape in étape order, active étapes without affaires included:
    etape, nombre, ca_potentiel, ca_pondere (ca_potentiel × reussite / 100), ca_attendu.

    Missing amounts and réussites count 0.
    """
    sql = f"""
        WITH ouvertes AS (
            SELECT a.etape,
                   count(*) AS nombre,
                   sum(a.ca_potentiel) AS ca_potentiel,
                   {weighted_sum()} AS ca_pondere,
                   sum(a.ca_attendu) AS ca_attendu
            FROM {source(filters, dialect(con))} AS a
            WHERE a.statut = 'En cours'
              AND {scope(actor, filters)}
            GROUP BY a.etape
        )
        SELECT e.nom AS etape,
               coalesce(o.nombre, 0) AS nombre,
               round(coalesce(o.ca_potentiel, 0), 2) AS ca_potentiel,
               coalesce(o.ca_pondere, 0) AS ca_pondere,
               round(coalesce(o.ca_attendu, 0), 2) AS ca_attendu
        FROM etape AS e
        LEFT JOIN ouvertes AS o ON o.etape = e.nom
        WHERE (e.actif OR o.nombre > 0)
          AND ({no_texts("etapes")} OR {in_texts("e.nom", "etapes")})
        ORDER BY e.ordre
    """
    frame = query(con, actor, sql, params(actor, filters))
    frame["nombre"] = frame["nombre"].astype("int64")
    return frame.reset_index(drop=True)


def forecast(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A2: open affaires by month of date_fin (AAAA-MM): mois, nombre, bas (Σ ca_attendu),
    pondere (Σ ca_pondere), haut (Σ ca_potentiel).

    Affaires whose date_fin is before today form the row "En retard" (first), those without
    date_fin the row "Sans date" (last); months in between in calendar order.
    """
    sql = f"""
        SELECT CASE
                   WHEN a.date_fin IS NULL THEN $sans_date
                   WHEN a.date_fin < $today THEN $en_retard
                   ELSE {month_text(dialect(con), "a.date_fin")}
               END AS mois,
               count(*) AS nombre,
               round(coalesce(sum(a.ca_attendu), 0), 2) AS bas,
               {weighted_sum()} AS pondere,
               round(coalesce(sum(a.ca_potentiel), 0), 2) AS haut
        FROM {source(filters, dialect(con))} AS a
        WHERE a.statut = 'En cours'
          AND {scope(actor, filters)}
        GROUP BY 1
    """
    today = filters.le or filters.day()
    values = params(actor, filters, today=today, sans_date=SANS_DATE, en_retard=EN_RETARD)
    frame = query(con, actor, sql, values)
    rank = frame["mois"].map({EN_RETARD: "0", SANS_DATE: "2"}).fillna("1") + frame["mois"]
    frame = frame.loc[rank.sort_values().index].reset_index(drop=True)
    frame["nombre"] = frame["nombre"].astype("int64")
    return frame


def by_commercial(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A7 with SPEC §3's columns: commercial_figures without the user ids."""
    return commercial_figures(con, actor, filters).drop(columns=["gestion_par_id"])


def _commercial_affaires(actor: Actor, filters: Filters, engine: str) -> str:
    """commercial_figures' CTE `affaires`: one row per user managing an affaire in scope, with
    user_id, nombre_ouvertes, ca_pondere (open affaires), gagnees, perdues, ca_signe (closed in
    period). On the affaires as they are, the open ones and those closed in period are each
    read alone (index ranges on PostgreSQL, crm_data.store.pg_pipe and pg_ventes) and the
    users with any affaire found by one lookup each, where grouping read every affaire."""
    if filters.le is not None:
        return f"""affaires AS (
            SELECT a.gestion_par AS user_id,
                   count(*) FILTER (WHERE a.statut = 'En cours') AS nombre_ouvertes,
                   {weighted_sum("a.statut = 'En cours'")} AS ca_pondere,
                   count(*) FILTER (WHERE a.statut = 'Gagnée' AND {IN_PERIOD}) AS gagnees,
                   count(*) FILTER (WHERE a.statut = 'Perdue' AND {IN_PERIOD}) AS perdues,
                   sum(a.total_ht) FILTER (WHERE a.statut = 'Gagnée' AND {IN_PERIOD}) AS ca_signe
            FROM {source(filters, engine)} AS a
            WHERE {scope(actor, filters)}
            GROUP BY a.gestion_par
        )"""
    return f"""ouvertes AS (
            SELECT a.gestion_par AS user_id, count(*) AS nombre_ouvertes,
                   {weighted_sum()} AS ca_pondere
            FROM affaire AS a
            WHERE a.statut = 'En cours'
              AND {scope(actor, filters)}
            GROUP BY a.gestion_par
        ),
        fermees AS (
            SELECT a.gestion_par AS user_id,
                   count(*) FILTER (WHERE a.statut = 'Gagnée') AS gagnees,
                   count(*) FILTER (WHERE a.statut = 'Perdue') AS perdues,
                   sum(a.total_ht) FILTER (WHERE a.statut = 'Gagnée') AS ca_signe
            FROM {closed_between("du", "au")} AS a
            WHERE {scope(actor, filters)}
            GROUP BY a.gestion_par
        ),
        affaires AS (
            SELECT u.id AS user_id, o.nombre_ouvertes, o.ca_pondere,
                   f.gagnees, f.perdues, f.ca_signe
            FROM utilisateur AS u
            LEFT JOIN ouvertes AS o ON o.user_id = u.id
            LEFT JOIN fermees AS f ON f.user_id = u.id
            WHERE EXISTS (
                SELECT 1 FROM affaire AS a WHERE a.gestion_par = u.id AND {scope(actor, filters)}
            )
        )"""


def commercial_figures(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A7: per user (gestion_par: the name shown for them, told apart by the login when two
    share a name; gestion_par_id: their id, last), every user with a figure, by name:
    nombre_ouvertes and ca_pondere of open affaires; in period gagnees, perdues, ca_signe,
    taux_reussite = gagnees / (gagnees + perdues), and actions_faites (actions marked done,
    dated in period by their done date, by that user on affaires in scope).
    """
    # Seeing every affaire unfiltered, the actions need no join to their affaires.
    on_affaires = (
        ""
        if unfiltered(actor, filters)
        else f"JOIN {source(filters, dialect(con))} AS a"
        f" ON a.id = t.affaire_id AND {scope(actor, filters)}"
    )
    sql = f"""
        WITH {_commercial_affaires(actor, filters, dialect(con))},
        actions AS (
            SELECT t.utilisateur_id AS user_id, count(*) AS actions_faites
            FROM action AS t
            {on_affaires}
            WHERE t.fait
              AND coalesce(t.fait_le, t.date_action) BETWEEN $du AND $au
            GROUP BY t.utilisateur_id
        )
        SELECT u.nom AS gestion_par,
               u.id AS gestion_par_id,
               coalesce(f.nombre_ouvertes, 0) AS nombre_ouvertes,
               coalesce(f.ca_pondere, 0) AS ca_pondere,
               coalesce(f.gagnees, 0) AS gagnees,
               coalesce(f.perdues, 0) AS perdues,
               round(coalesce(f.ca_signe, 0), 2) AS ca_signe,
               coalesce(t.actions_faites, 0) AS actions_faites
        FROM {USER_LABELS} AS u
        LEFT JOIN affaires AS f ON f.user_id = u.id
        LEFT JOIN actions AS t ON t.user_id = u.id
        WHERE f.user_id IS NOT NULL
           OR t.user_id IS NOT NULL
        ORDER BY u.nom, u.id
    """
    frame = query(con, actor, sql, params(actor, filters))
    for column in ("nombre_ouvertes", "gagnees", "perdues", "actions_faites"):
        frame[column] = frame[column].astype("int64")
    frame["taux_reussite"] = ratio(frame["gagnees"], frame["gagnees"] + frame["perdues"])
    columns = [
        "gestion_par",
        "nombre_ouvertes",
        "ca_pondere",
        "gagnees",
        "perdues",
        "ca_signe",
        "taux_reussite",
        "actions_faites",
        "gestion_par_id",
    ]
    frame["gestion_par_id"] = frame["gestion_par_id"].astype("int64")
    return frame[columns].reset_index(drop=True)


QUALITY_CHECKS: dict[str, str] = {
    "date_fin_depassee": "Affaires en cours dont la date de fin est dépassée",
    "sans_contact": "Affaires en cours sans contact",
    "dormantes": "Affaires en cours dormantes (sans activité au-delà du seuil de leur étape)",
    "sans_ca_potentiel": "Affaires en cours sans CA potentiel",
    "perdue_sans_code": "Affaires perdues sans code clôture",
    "date_fin_repoussee_3_fois": (
        "Affaires en cours dont la date fin a été repoussée 3 fois ou plus"
    ),
}
"""Each A9 check's key (used by drill-downs) and its French label (the `controle` column)."""


def data_quality(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A9: one row per check, in QUALITY_CHECKS order: controle (French label), nombre.

    "Dormantes": open affaires whose last activity (last save or last action done) is older
    than their étape's jours_sans_activite on filters' today, as the Affaires list's
    `dormantes` filter selects them, so that a drill-down lists exactly the affaires counted.
    "Date fin repoussée 3 fois": A13's reports ≥ 3. Neither the period nor a « Pipe au » day
    applies: these are today's problems, on the affaires as they are.
    """
    engine = dialect(con)
    # PostgreSQL keeps each affaire's reports and last action done (crm_data.store.pg_list):
    # each open affaire's étape is joined once, where DORMANT_KEPT's EXISTS ran per affaire.
    # DuckDB counts the reports and reads the actions.
    reports, dormante, joins = (
        ("a.reports", QUIET_TOO_LONG, "LEFT JOIN etape AS quiet ON quiet.nom = a.etape")
        if engine == POSTGRESQL
        else (
            "r.reports",
            dormant(engine),
            f"LEFT JOIN {REPORTS_BY_AFFAIRE} AS r ON r.affaire_id = a.id",
        )
    )
    sql = f"""
        SELECT
            count(*) FILTER (WHERE a.date_fin < $today) AS date_fin_depassee,
            count(*) FILTER (WHERE a.contact_id IS NULL) AS sans_contact,
            count(*) FILTER (WHERE {dormante}) AS dormantes,
            count(*) FILTER (WHERE a.ca_potentiel IS NULL) AS sans_ca_potentiel,
            (
                SELECT count(*)
                FROM affaire AS a
                WHERE a.statut = 'Perdue'
                  AND a.code_cloture IS NULL
                  AND {scope(actor, filters)}
            ) AS perdue_sans_code,
            count(*) FILTER (WHERE {reports} >= $reports_min) AS date_fin_repoussee_3_fois
        FROM affaire AS a
        {joins}
        WHERE a.statut = 'En cours'
          AND {scope(actor, filters)}
    """
    values = params(actor, filters, today=filters.day(), reports_min=SLIPPED_TIMES)
    counts = query(con, actor, sql, values)
    return pd.DataFrame(
        {
            "controle": list(QUALITY_CHECKS.values()),
            "nombre": counts.loc[0, list(QUALITY_CHECKS)].astype("int64").to_numpy(),
        }
    )
