"""PostgreSQL's indexes for the Pipe screen and what the base keeps for A8's affaires bloquées
(issue 16): the DDL of the migration that adds them. Nothing here reads or writes rows from
Python; DuckDB's scans need none of them.

The pipe, the forecast, the commercials' open affaires, the movements' pipe of today and the
data quality checks read the open affaires (a fifth of a million), each summing a few of
their columns: from MIGRATION_11's index of the open affaires by date fin, widened to every
column they and their filters read (crm_data.filters.conditions), they are an index-only scan
of 30 MB where a bitmap scan visited the 270 MB of the table. The commercials' actions done in
the period are a range of their own index, where the whole action table was read.

affaire.sejour_depuis, the day each affaire entered its current étape, is kept by
statement-level triggers on the versions, as crm_data.store.pg_list keeps the reports: every
writer keeps it unknowingly (pg_versions.DERIVED lists it).
"""

from __future__ import annotations

from crm_data.store.pg_list import kept

_STAY_OF = """
    UPDATE affaire AS a
    SET sejour_depuis = d.depuis
    FROM (
        SELECT t.affaire_id,
               (SELECT CAST(max(v.valid_from) AS DATE)
                FROM affaire_version AS v
                WHERE v.affaire_id = t.affaire_id
                  AND v.etape IS DISTINCT FROM v.etape_avant) AS depuis
        FROM (SELECT DISTINCT affaire_id FROM ({touched}) AS t) AS t
    ) AS d
    WHERE a.id = d.affaire_id
      AND a.sejour_depuis IS DISTINCT FROM d.depuis
"""
"""affaire.sejour_depuis of the affaires a statement touched: the day of their latest entry into
an étape (a version whose étape differs from the one before, or the first: SPEC §3 A8's rule),
which A8's affaires bloquées read (crm_data.analyses.conversion), each an index lookup where
every open affaire's entries were looked up on each call (1 s at a million affaires)."""

_STAY_FILL = """
    UPDATE affaire AS a
    SET sejour_depuis = e.depuis
    FROM (
        SELECT affaire_id, CAST(max(valid_from) AS DATE) AS depuis
        FROM affaire_version
        WHERE etape IS DISTINCT FROM etape_avant
        GROUP BY affaire_id
    ) AS e
    WHERE a.id = e.affaire_id
"""
"""Every affaire's sejour_depuis at once, grouped in one pass over the entries."""

STATEMENTS: list[str] = [
    "DROP INDEX affaire_ouverte_fin_idx",
    # Filled before the index below is built: every row rewritten once, that index not updated.
    "ALTER TABLE affaire ADD COLUMN sejour_depuis DATE",
    _STAY_FILL,
    # After pg_versions' neighbours in name order (affaire_version_sejour_depuis_kept_*).
    *kept("sejour_depuis", "affaire_version", _STAY_OF),
    # The open affaires by date fin (A14's coverage) with every column the pipe's analyses and
    # the quality checks sum or filter on (A1, A2, A7, A9, A11's pipe of today, A8's affaires
    # bloquées).
    """
    CREATE INDEX affaire_ouverte_fin_idx ON affaire (date_fin)
    INCLUDE (id, ca_potentiel, reussite, ca_attendu, gestion_par, type, famille_article, etape,
             statut, deleted_at, date_debut, contact_id, reports, updated_at,
             derniere_action_faite, sejour_depuis)
    WHERE statut = 'En cours'
    """,
    # The actions done by their done date (A7's actions_faites of the period), by user. The
    # expression's columns are included too: PostgreSQL reads an expression from the index
    # alone only when it could compute it from the index's columns.
    """
    CREATE INDEX action_faite_jour_idx ON action ((coalesce(fait_le, date_action)))
    INCLUDE (utilisateur_id, affaire_id, fait_le, date_action)
    WHERE fait
    """,
    # The planner's estimate of a range of that done date: an expression index that is partial
    # gives it no statistics (it guessed 1 % of the actions done in a year, against a third).
    "CREATE STATISTICS action_faite_jour_stats ON (coalesce(fait_le, date_action)) FROM action",
    "ANALYZE action",
    # The affaires perdues without a code clôture (A9) with the columns of the filters: their
    # count read MIGRATION_10's index by id and then the table, or every closed affaire.
    "DROP INDEX affaire_perdue_sans_code_idx",
    """
    CREATE INDEX affaire_perdue_sans_code_idx ON affaire (id)
    INCLUDE (deleted_at, gestion_par, type, famille_article, etape, date_debut, date_fin)
    WHERE statut = 'Perdue' AND code_cloture IS NULL
    """,
]
"""MIGRATION_12's statements, each run on PostgreSQL only."""
