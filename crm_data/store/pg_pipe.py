"""PostgreSQL's indexes for the Pipe screen (issue 16): the DDL of the migration that adds them.
Nothing here reads or writes rows; DuckDB's scans need none of them.

The pipe, the forecast, the commercials' open affaires, the movements' pipe of today and the
data quality checks read the open affaires (a fifth of a million), each summing a few of
their columns: from MIGRATION_11's index of the open affaires by date fin, widened to every
column they and their filters read (crm_data.filters.conditions), they are an index-only scan
of 30 MB where a bitmap scan visited the 270 MB of the table. The commercials' actions done in
the period get the planner a true estimate.
"""

from __future__ import annotations

STATEMENTS: list[str] = [
    "DROP INDEX affaire_ouverte_fin_idx",
    # The open affaires by date fin (A14's coverage) with every column the pipe's analyses and
    # the quality checks sum or filter on (A1, A2, A7, A9, A11's pipe of today, and the open
    # affaires A8's affaires bloquées start from).
    """
    CREATE INDEX affaire_ouverte_fin_idx ON affaire (date_fin)
    INCLUDE (id, ca_potentiel, reussite, ca_attendu, gestion_par, type, famille_article, etape,
             statut, deleted_at, date_debut, contact_id, reports, updated_at,
             derniere_action_faite)
    WHERE statut = 'En cours'
    """,
    # The planner's estimate of the actions done in a period (A7's actions_faites): it guessed
    # 1 % of them for a year, against a third, and sorted them on disk where a hash of the
    # users takes a few kilobytes (0.83 s -> 0.5 s at a million affaires). An index of them by
    # done date saved 150 ms more, but a trigger's max() of one affaire's actions then walked
    # it backwards on a base without statistics yet (a copy into a new base ran for minutes).
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
