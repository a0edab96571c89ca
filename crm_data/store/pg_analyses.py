"""PostgreSQL's indexes for the analyses' screens (issue 16): the DDL of the migration that adds
them. Nothing here reads or writes rows; DuckDB's scans need none of them.
"""

from __future__ import annotations

STATEMENTS: list[str] = [
    # The affaires perdues without a code clôture (SPEC §3 A9, Qualité des données): few, read
    # from this index where their count scanned every affaire (0.35 s at a million affaires).
    """
    CREATE INDEX affaire_perdue_sans_code_idx ON affaire (id)
    WHERE statut = 'Perdue' AND code_cloture IS NULL
    """,
]
"""MIGRATION_10's statements, each run on PostgreSQL only."""
