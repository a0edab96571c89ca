"""Conversion and velocity from the affaires' versions (SPEC §3 A8): how many affaires reach each
étape, how many go further, how long they stay, and which open affaires are stuck.

Reads affaire_version only through window passes and aggregates; an affaire without versions is
not counted.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from crm_data.analyses.common import params, query, ratio, scope, unfiltered
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store.db import Connection, dialect
from crm_data.store.engine import POSTGRESQL
from crm_data.store.sql import USER_LABELS, days_between, in_texts, median, no_texts

STUCK_DAYS = 60
"""An open affaire in the same étape for longer than this is stuck."""

VERSION_ORDER = "PARTITION BY v.affaire_id ORDER BY v.valid_from, v.version"
"""An affaire's versions in the order they were written."""

REVERSE_VERSION_ORDER = "PARTITION BY v.affaire_id ORDER BY v.valid_from DESC, v.version DESC"
"""An affaire's versions, latest first: what follows a version is what precedes it here."""


def _versions(actor: Actor, filters: Filters, join: str) -> str:
    """The versions of the affaires in scope (alias `v`, with join added; selecting from FROM
    on): filtered by the affaires' current values, or, seeing everything unfiltered, every
    version but those of affaires being deleted (an anti-join on that small set spares a join
    over every version)."""
    if unfiltered(actor, filters):
        return f"""FROM affaire_version AS v
            {join}
            WHERE v.affaire_id NOT IN (SELECT id FROM affaire WHERE deleted_at IS NOT NULL)"""
    return f"""FROM affaire_version AS v
            JOIN affaire AS a ON a.id = v.affaire_id AND {scope(actor, filters)}
            {join}"""


def conversion(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A8: per étape, in étape order: etape, entrees (affaires that entered it in period),
    passees_suivante (of those, the ones whose later versions reached a later étape or became
    Gagnée), taux_passage, jours_median (median days between entering the étape and leaving it;
    stays still going are left out of the median).

    An affaire enters an étape at a version with that étape after a version with another one,
    or at its first version; it leaves it at the next version with another étape or a statut
    other than En cours (the very version it entered by, when that one is already closed). The
    étape filter selects rows; the other filters select affaires by their current values.
    """
    # Pass one marks entries (an étape change, or the first version). Pass two runs over the
    # marks only, entries and closed versions from du on: the mark after an entry is where the
    # stay ended, and later étapes are the later marks' (a closed version keeps the étape of
    # the entry before it). Versions before du never follow an entry made from du on. Pass
    # two reads its marks latest first, so that the next mark (lag), a later étape (the
    # running max of ordre, the mark's own ordre included: it is never above itself) and a
    # Gagnée from the mark on are one running frame, one window pass: the three frames over
    # the following rows took three passes on PostgreSQL (4.8 s -> 3.1 s at a million). The
    # windows carry étapes by their (unique) ordre and statuts as flags: sorting integers and
    # booleans rather than text cut the first pass by about 40 % at a million affaires.
    affaires = replace(filters, etapes=[])
    # PostgreSQL keeps each version's previous étape (crm_data.store.pg_versions): pass one is
    # then a join, where its window sorted every version row.
    if dialect(con) == POSTGRESQL:
        before = "LEFT JOIN etape AS ep ON ep.nom = v.etape_avant"
        entered = "e.ordre IS DISTINCT FROM ep.ordre AS entree"
    else:
        before = ""
        entered = f"e.ordre IS DISTINCT FROM lag(e.ordre) OVER ({VERSION_ORDER}) AS entree"
    sql = f"""
        WITH versions AS (
            SELECT v.affaire_id, v.valid_from, v.version, e.ordre,
                   v.statut <> 'En cours' AS fermee,
                   v.statut = 'Gagnée' AS gagnee,
                   {entered}
            {_versions(actor, affaires, f"LEFT JOIN etape AS e ON e.nom = v.etape {before}")}
        ),
        marques AS (
            SELECT *
            FROM versions AS v
            WHERE (v.entree OR v.fermee)
              AND v.valid_from >= $du
        ),
        sejours AS (
            SELECT v.ordre,
                   v.affaire_id,
                   v.entree,
                   CAST(v.valid_from AS DATE) AS entree_le,
                   CASE WHEN v.fermee THEN v.valid_from ELSE lag(v.valid_from) OVER suite END
                       AS sortie_le,
                   coalesce(max(v.ordre) OVER suite > v.ordre, FALSE)
                       OR coalesce(max(CAST(v.gagnee AS INTEGER)) OVER suite = 1, FALSE)
                       AS passee
            FROM marques AS v
            WINDOW suite AS (
                {REVERSE_VERSION_ORDER}
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            )
        ),
        par_etape AS (
            SELECT ordre,
                   count(DISTINCT affaire_id) AS entrees,
                   count(DISTINCT affaire_id) FILTER (WHERE passee) AS passees_suivante,
                   {median(days_between("entree_le", "sortie_le"))} AS jours_median
            FROM sejours
            WHERE entree
              AND entree_le BETWEEN $du AND $au
            GROUP BY ordre
        )
        SELECT e.nom AS etape,
               coalesce(p.entrees, 0) AS entrees,
               coalesce(p.passees_suivante, 0) AS passees_suivante,
               p.jours_median
        FROM etape AS e
        LEFT JOIN par_etape AS p ON p.ordre = e.ordre
        WHERE (e.actif OR p.entrees > 0)
          AND ({no_texts("row_etapes")} OR {in_texts("e.nom", "row_etapes")})
        ORDER BY e.ordre
    """
    values = params(actor, affaires, row_etapes=list(filters.etapes))
    frame = query(con, actor, sql, values)
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
    """A8's list: open affaires in their current étape for more than threshold_days on
    filters' today, longest first (at most limit): id, nom, etape, gestion_par (the name shown
    for the user), depuis (the day it entered the étape), jours, and nombre_total: how many are
    stuck in all, beyond the limit too.

    The étape was entered at the affaire's latest entry into an étape (A8's rule over the
    versions), else, for an affaire without versions, at its date_debut.
    """
    if dialect(con) == POSTGRESQL:
        # Each version keeps its previous étape (crm_data.store.pg_versions) and the entries
        # have their index (crm_data.store.pg_ventes): an open affaire's latest entry is the
        # last key of its range there, where a pass over every version joined the affaires.
        entries = ""
        latest_entry = """LEFT JOIN LATERAL (
                SELECT CAST(max(v.valid_from) AS DATE) AS entree
                FROM affaire_version AS v
                WHERE v.affaire_id = o.id
                  AND v.etape IS DISTINCT FROM v.etape_avant
            ) AS d ON TRUE"""
    else:
        entries = f"""
        versions AS (
            SELECT v.affaire_id, v.valid_from,
                   v.etape IS DISTINCT FROM lag(v.etape) OVER ({VERSION_ORDER}) AS entree
            FROM affaire_version AS v
            JOIN affaire AS a ON a.id = v.affaire_id
            WHERE a.statut = 'En cours'
              AND {scope(actor, filters)}
        ),
        entrees AS (
            SELECT affaire_id, CAST(max(valid_from) AS DATE) AS entree
            FROM versions
            WHERE entree
            GROUP BY affaire_id
        ),"""
        latest_entry = "LEFT JOIN entrees AS d ON d.affaire_id = o.id"
    depuis = "coalesce(d.entree, o.date_debut)"
    # The names (of the affaire, of its user) are read for the affaires kept only.
    sql = f"""
        WITH ouvertes AS (
            SELECT a.id, a.etape, a.gestion_par, a.date_debut
            FROM affaire AS a
            WHERE a.statut = 'En cours'
              AND {scope(actor, filters)}
        ),{entries}
        bloquees AS (
            SELECT o.id, o.etape, o.gestion_par,
                   {depuis} AS depuis,
                   {days_between(depuis, "$today")} AS jours
            FROM ouvertes AS o
            {latest_entry}
            JOIN utilisateur AS x ON x.id = o.gestion_par
        ),
        gardees AS (
            SELECT b.*, count(*) OVER () AS nombre_total
            FROM bloquees AS b
            WHERE b.jours > $threshold
            ORDER BY b.jours DESC, b.id
            LIMIT $limit
        )
        SELECT g.id, f.nom, g.etape, u.nom AS gestion_par, g.depuis, g.jours, g.nombre_total
        FROM gardees AS g
        JOIN affaire AS f ON f.id = g.id
        JOIN {USER_LABELS} AS u ON u.id = g.gestion_par
        ORDER BY g.jours DESC, g.id
    """
    values = params(actor, filters, today=filters.day(), threshold=threshold_days, limit=limit)
    frame = query(con, actor, sql, values)
    frame["depuis"] = pd.to_datetime(frame["depuis"]).dt.date
    return frame
