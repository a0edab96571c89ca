"""Conversion and velocity from the affaires' history (SPEC §3 A8): how many affaires reach each
étape, how many go further, how long they stay, and which open affaires are stuck.

Reads affaire_historique only through aggregates; an affaire without history is not counted.
"""

from __future__ import annotations

import pandas as pd

from crm_data.analyses_common import SCOPE, Filters, params, query, ratio
from crm_data.db import Connection
from crm_data.model import Actor

STUCK_DAYS = 60
"""An open affaire in the same étape for longer than this is stuck."""


def conversion(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A8: per étape, in étape order: etape, entrees (affaires that reached it in period),
    passees_suivante (of those, the ones that later reached a later étape or became Gagnée),
    taux_passage, jours_median (median days between entering the étape and leaving it by an
    étape change or a closing; stays still going are left out of the median).

    The étape filter selects rows; the other filters select affaires by their current values.
    """
    sql = f"""
        WITH scoped AS (
            SELECT a.id
            FROM affaire AS a
            WHERE {SCOPE}
        ),
        visites AS (
            SELECT h.affaire_id,
                   h.nouveau AS etape,
                   e.ordre,
                   h.changed_at AS entree,
                   lead(h.changed_at) OVER suite AS etape_suivante_le,
                   max(e.ordre) OVER (
                       suite ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
                   ) AS ordre_suivant_max
            FROM affaire_historique AS h
            JOIN scoped AS s ON s.id = h.affaire_id
            LEFT JOIN etape AS e ON e.nom = h.nouveau
            WHERE h.champ = 'etape'
            WINDOW suite AS (PARTITION BY h.affaire_id ORDER BY h.changed_at, h.id)
        ),
        clotures AS (
            SELECT h.affaire_id, h.changed_at, h.nouveau AS statut
            FROM affaire_historique AS h
            JOIN scoped AS s ON s.id = h.affaire_id
            WHERE h.champ = 'statut'
              AND h.nouveau <> 'En cours'
        ),
        gains AS (
            SELECT affaire_id, changed_at
            FROM clotures
            WHERE statut = 'Gagnée'
        ),
        mesures AS (
            SELECT v.affaire_id,
                   v.etape,
                   coalesce(v.ordre_suivant_max > v.ordre, FALSE)
                       OR g.changed_at IS NOT NULL AS passee,
                   date_diff(
                       'day',
                       CAST(v.entree AS DATE),
                       CAST(least(v.etape_suivante_le, c.changed_at) AS DATE)
                   ) AS jours
            FROM visites AS v
            ASOF LEFT JOIN clotures AS c
                ON c.affaire_id = v.affaire_id AND c.changed_at >= v.entree
            ASOF LEFT JOIN gains AS g
                ON g.affaire_id = v.affaire_id AND g.changed_at >= v.entree
            WHERE CAST(v.entree AS DATE) BETWEEN $du AND $au
        ),
        parEtape AS (
            SELECT etape,
                   count(DISTINCT affaire_id) AS entrees,
                   count(DISTINCT affaire_id) FILTER (WHERE passee) AS passees_suivante,
                   median(jours) AS jours_median
            FROM mesures
            GROUP BY etape
        )
        SELECT e.nom AS etape,
               coalesce(p.entrees, 0) AS entrees,
               coalesce(p.passees_suivante, 0) AS passees_suivante,
               p.jours_median
        FROM etape AS e
        LEFT JOIN parEtape AS p ON p.etape = e.nom
        WHERE (e.actif OR p.entrees > 0)
          AND (len($row_etapes::VARCHAR[]) = 0 OR list_contains($row_etapes::VARCHAR[], e.nom))
        ORDER BY e.ordre
    """
    values = params(actor, filters, row_etapes=list(filters.etape)) | {"etapes": []}
    frame = query(con, sql, values)
    frame["entrees"] = frame["entrees"].astype("int64")
    frame["passees_suivante"] = frame["passees_suivante"].astype("int64")
    frame["taux_passage"] = ratio(frame["passees_suivante"], frame["entrees"])
    frame["jours_median"] = frame["jours_median"].astype("float64")
    columns = ["etape", "entrees", "passees_suivante", "taux_passage", "jours_median"]
    return frame[columns].reset_index(drop=True)


def stuck_affaires(
    con: Connection,
    actor: Actor,
    filters: Filters,
    threshold_days: int = STUCK_DAYS,
    limit: int = 500,
) -> pd.DataFrame:
    """A8's list: open affaires in their current étape for more than threshold_days, longest
    first (at most limit): id, nom, etape, gestion_par (name), depuis (date entered), jours.

    The étape was entered at the latest étape change in the history, else at date_debut.
    """
    sql = f"""
        WITH derniere AS (
            SELECT affaire_id, CAST(max(changed_at) AS DATE) AS entree
            FROM affaire_historique
            WHERE champ = 'etape'
            GROUP BY affaire_id
        )
        SELECT a.id,
               a.nom,
               a.etape,
               u.nom AS gestion_par,
               coalesce(d.entree, a.date_debut) AS depuis,
               date_diff('day', coalesce(d.entree, a.date_debut), $today) AS jours
        FROM affaire AS a
        JOIN utilisateur AS u ON u.id = a.gestion_par
        LEFT JOIN derniere AS d ON d.affaire_id = a.id
        WHERE a.statut = 'En cours'
          AND date_diff('day', coalesce(d.entree, a.date_debut), $today) > $threshold
          AND {SCOPE}
        ORDER BY jours DESC, a.id
        LIMIT $limit
    """
    values = params(actor, filters, today=filters.day(), threshold=threshold_days, limit=limit)
    frame = query(con, sql, values)
    frame["depuis"] = pd.to_datetime(frame["depuis"]).dt.date
    return frame
