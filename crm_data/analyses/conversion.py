"""Conversion and velocity from the affaires' history (SPEC §3 A8): how many affaires reach each
étape, how many go further, how long they stay, and which open affaires are stuck.

Reads affaire_historique only through aggregates; an affaire without history is not counted.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from crm_data.analyses.common import params, query, ratio, scope, unfiltered
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store.db import Connection
from crm_data.store.sql import USER_LABELS

STUCK_DAYS = 60
"""An open affaire in the same étape for longer than this is stuck."""


def conversion(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A8: per étape, in étape order: etape, entrees (affaires that reached it in period),
    passees_suivante (of those, the ones that later reached a later étape or became Gagnée),
    taux_passage, jours_median (median days between entering the étape and leaving it by an
    étape change or a closing; stays still going are left out of the median).

    The étape filter selects rows; the other filters select affaires by their current values.
    """
    # Rows before du never follow a visit entered from du on, so they are left out of the sort.
    # One window pass per affaire, ordered by time: "apres" is every later row, "depuis" also
    # counts the rows written at the same instant (a creation writes statut and étape together).
    # The étape filter selects rows (row_etapes), not affaires.
    affaires = replace(filters, etapes=[])
    scoped = (
        ""
        if unfiltered(actor, filters)
        else f"JOIN affaire AS a ON a.id = h.affaire_id AND {scope(actor, affaires)}"
    )
    sql = f"""
        WITH lignes AS (
            SELECT h.affaire_id, h.champ, h.nouveau, h.changed_at, e.ordre
            FROM affaire_historique AS h
            {scoped}
            LEFT JOIN etape AS e ON h.champ = 'etape' AND e.nom = h.nouveau
            WHERE h.champ IN ('etape', 'statut')
              AND h.changed_at >= $du
        ),
        visites AS (
            SELECT affaire_id,
                   champ,
                   nouveau AS etape,
                   ordre,
                   changed_at AS entree,
                   min(changed_at) FILTER (WHERE champ = 'etape') OVER apres AS etape_suivante_le,
                   max(ordre) OVER apres AS ordre_suivant_max,
                   min(changed_at) FILTER (WHERE champ = 'statut' AND nouveau <> 'En cours')
                       OVER depuis AS cloture_le,
                   bool_or(champ = 'statut' AND nouveau = 'Gagnée') OVER depuis AS gagnee
            FROM lignes
            WINDOW apres AS (
                       PARTITION BY affaire_id ORDER BY changed_at
                       ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
                   ),
                   depuis AS (
                       PARTITION BY affaire_id ORDER BY changed_at
                       RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
                   )
        ),
        par_etape AS (
            SELECT etape,
                   count(DISTINCT affaire_id) AS entrees,
                   count(DISTINCT affaire_id) FILTER (
                       WHERE coalesce(ordre_suivant_max > ordre, FALSE) OR coalesce(gagnee, FALSE)
                   ) AS passees_suivante,
                   median(
                       date_diff(
                           'day',
                           CAST(entree AS DATE),
                           CAST(least(etape_suivante_le, cloture_le) AS DATE)
                       )
                   ) AS jours_median
            FROM visites
            WHERE champ = 'etape'
              AND CAST(entree AS DATE) BETWEEN $du AND $au
            GROUP BY etape
        )
        SELECT e.nom AS etape,
               coalesce(p.entrees, 0) AS entrees,
               coalesce(p.passees_suivante, 0) AS passees_suivante,
               p.jours_median
        FROM etape AS e
        LEFT JOIN par_etape AS p ON p.etape = e.nom
        WHERE (e.actif OR p.entrees > 0)
          AND (len($row_etapes::VARCHAR[]) = 0 OR list_contains($row_etapes::VARCHAR[], e.nom))
        ORDER BY e.ordre
    """
    values = params(actor, affaires, row_etapes=list(filters.etapes))
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
    first (at most limit): id, nom, etape, gestion_par (the name shown for the user), depuis
    (date entered), jours, and nombre_total: how many are stuck in all, beyond the limit too.

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
               date_diff('day', coalesce(d.entree, a.date_debut), $today) AS jours,
               count(*) OVER () AS nombre_total
        FROM affaire AS a
        JOIN {USER_LABELS} AS u ON u.id = a.gestion_par
        LEFT JOIN derniere AS d ON d.affaire_id = a.id
        WHERE a.statut = 'En cours'
          AND date_diff('day', coalesce(d.entree, a.date_debut), $today) > $threshold
          AND {scope(actor, filters)}
        ORDER BY jours DESC, a.id
        LIMIT $limit
    """
    values = params(actor, filters, today=filters.day(), threshold=threshold_days, limit=limit)
    frame = query(con, sql, values)
    frame["depuis"] = pd.to_datetime(frame["depuis"]).dt.date
    return frame
