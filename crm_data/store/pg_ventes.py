"""PostgreSQL's indexes for the Ventes screen (issue 16): the DDL of the migration that adds them.
Nothing here reads or writes rows; DuckDB's scans need none of them.

Each is partial and covering: the analyses read the closed affaires of a period, the open
affaires by date fin, the open versions in force or ended since a day, the versions entering an
étape, from the index alone (an index-only scan), where they read the whole table (270 MB of
affaires, 1 GB of versions at a million affaires). The columns included are those the
analyses and their filters read (crm_data.filters.conditions: gestion par, type, famille,
étape, the affaire being deleted).
"""

from __future__ import annotations

STATEMENTS: list[str] = [
    # The gagnées by date de signature, their closing date (A3, A5, A6, the headline, A14).
    """
    CREATE INDEX affaire_gagnee_signature_idx ON affaire (date_signature)
    INCLUDE (total_ht, ca_attendu, ca_potentiel, date_debut, gestion_par, type, famille_article,
             etape, statut, deleted_at)
    WHERE statut = 'Gagnée'
    """,
    # The perdues and abandonnées by date_cloture, theirs (A3, A4, the headline).
    """
    CREATE INDEX affaire_fermee_cloture_idx ON affaire (date_cloture)
    INCLUDE (code_cloture, ca_potentiel, total_ht, date_debut, date_signature, gestion_par, type,
             famille_article, etape, statut, deleted_at)
    WHERE statut IN ('Perdue', 'Abandonnée')
    """,
    # The open affaires by date fin: the weighted pipe of a month (A14's coverage).
    """
    CREATE INDEX affaire_ouverte_fin_idx ON affaire (date_fin)
    INCLUDE (ca_potentiel, reussite, gestion_par, type, famille_article, etape, statut,
             deleted_at)
    WHERE statut = 'En cours'
    """,
    # The open versions still in force, and those ended since a day: the affaires open at a
    # past day (the velocity's, crm_data.analyses.ventes).
    """
    CREATE INDEX affaire_version_ouverte_to_idx ON affaire_version (valid_to)
    INCLUDE (valid_from, affaire_id, gestion_par, type, famille_article, etape)
    WHERE statut = 'En cours'
    """,
    # Each affaire's entries into an étape, by affaire: an open affaire's latest (A8's
    # affaires bloquées, crm_data.analyses.conversion), the last key of its range.
    """
    CREATE INDEX affaire_version_entree_idx ON affaire_version (affaire_id, valid_from)
    WHERE etape IS DISTINCT FROM etape_avant
    """,
]
"""MIGRATION_11's statements, each run on PostgreSQL only."""
