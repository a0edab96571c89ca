"""PostgreSQL's indexes for the Pipe screen (issue 16): the DDL of the migration that adds them.
Nothing here reads or writes rows; DuckDB's scans need none of them.

The pipe, the forecast, the commercials' open affaires, the movements' pipe of today and the
data quality checks read the open affaires (a fifth of a million), each summing a few of
their columns: from MIGRATION_11's index of the open affaires by date fin, widened to every
column they and their filters read (crm_data.filters.conditions), they are an index-only scan
of 30 MB where a bitmap scan visited the 270 MB of the table. The commercials' actions done in
the period are a range of their own index, where the whole action table was read.
"""

from __future__ import annotations

STATEMENTS: list[str] = [
    "DROP INDEX affaire_ouverte_fin_idx",
    # The open affaires by date fin (A14's coverage) with every column the pipe's analyses and
    # the quality checks sum or filter on (A1, A2, A7, A9, A11's pipe of today).
    """
    CREATE INDEX affaire_ouverte_fin_idx ON affaire (date_fin)
    INCLUDE (ca_potentiel, reussite, ca_attendu, gestion_par, type, famille_article, etape,
             statut, deleted_at, date_debut, contact_id, reports, updated_at,
             derniere_action_faite)
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
