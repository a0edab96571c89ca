"""What PostgreSQL keeps for the affaires list at a million affaires (issue 16): the DDL of the
migration that adds it, and the list's conditions that read it. Nothing here writes rows.

- Trigram indexes (pg_trgm) on what the search matches: the affaire's name, its compte's name
  and its contact's full name, each lowered as crm_data.filters writes it. Where the extension
  cannot be created (a role without the right, a server without contrib), the migration goes on
  without them: the search gives the same rows, read by a scan.
- affaire.reports: SPEC §3 A13's count of the versions that pushed date_fin later (the view
  affaire_reports), kept on the affaire with an index, so that the list sorted by it walks that
  index instead of counting every affaire's versions.
- affaire.derniere_action_faite: the latest date of the affaire's actions marked done (fait_le,
  else date_action), so that the dormant affaires (SPEC §3, A14's section) are a range of an
  index by étape instead of an anti-join with every action.

Both columns are kept by statement-level triggers on the rows they derive from, as
crm_data.store.pg_versions keeps the versions' neighbours: every writer keeps them unknowingly.
They are listed in pg_versions.DERIVED and compacted by its COMPACT.
"""

from __future__ import annotations

_TRIGRAM = "lower(coalesce(prenom, '') || ' ' || nom)"
"""The contact's full name as the search matches it (crm_data.filters.conditions)."""

_TRIGRAM_INDEXES = (
    ("affaire_nom_trgm_idx", "affaire", "lower(nom)"),
    ("compte_nom_trgm_idx", "compte", "lower(nom)"),
    ("contact_nom_trgm_idx", "contact", _TRIGRAM),
)

_TRY_TRIGRAM = """
DO $body$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    -- No trigram indexes: the search stays right, by a scan (crm_data.store.pg_list).
    RAISE NOTICE 'pg_trgm unavailable: %', SQLERRM;
END
$body$
"""

_IF_TRIGRAM = """
DO $body$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        {statements}
    END IF;
END
$body$
"""

_REPORTS_OF = """
    UPDATE affaire AS a
    SET reports = coalesce(r.reports, 0)
    FROM (SELECT DISTINCT affaire_id FROM ({touched}) AS t) AS t
    LEFT JOIN (
        SELECT affaire_id, count(*) AS reports
        FROM affaire_version
        WHERE date_fin > date_fin_avant
          AND affaire_id IN ({touched})
        GROUP BY affaire_id
    ) AS r ON r.affaire_id = t.affaire_id
    WHERE a.id = t.affaire_id
      AND a.reports IS DISTINCT FROM coalesce(r.reports, 0)
"""

_LAST_DONE_OF = """
    UPDATE affaire AS a
    SET derniere_action_faite = d.derniere
    FROM (
        SELECT t.affaire_id,
               (SELECT max(coalesce(x.fait_le, x.date_action))
                FROM action AS x
                WHERE x.affaire_id = t.affaire_id
                  AND x.fait) AS derniere
        FROM (SELECT DISTINCT affaire_id FROM ({touched}) AS t) AS t
    ) AS d
    WHERE a.id = d.affaire_id
      AND a.derniere_action_faite IS DISTINCT FROM d.derniere
"""

_ROWS = "SELECT affaire_id FROM changed"
_ROWS_BOTH = "SELECT affaire_id FROM changed UNION SELECT affaire_id FROM changed_before"


def _function(name: str, body: str) -> str:
    # SECURITY DEFINER: a commercial's row-level security never hides the affaire to update.
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $body$
    BEGIN
        {body};
        RETURN NULL;
    END
    $body$
    """


def _kept(column: str, table: str, update: str) -> list[str]:
    """The functions and triggers keeping one column of affaire from table's rows: after each
    statement, the affaires whose rows it inserted, updated (before or after) or deleted."""
    function = f"affaire_{column}_kept"
    statements = [
        _function(function, update.format(touched=_ROWS)),
        _function(f"{function}_moved", update.format(touched=_ROWS_BOTH)),
    ]
    # Named after pg_versions' triggers on affaire_version (they fire in name order), so that
    # reports reads the neighbours those have just written.
    for event, referencing, name in (
        ("INSERT", "NEW TABLE AS changed", function),
        ("UPDATE", "OLD TABLE AS changed_before NEW TABLE AS changed", f"{function}_moved"),
        ("DELETE", "OLD TABLE AS changed", function),
    ):
        statements.append(f"""
        CREATE TRIGGER {table}_{column}_kept_{event.lower()}
        AFTER {event} ON {table}
        REFERENCING {referencing}
        FOR EACH STATEMENT EXECUTE FUNCTION {name}()
        """)
    return statements


_FILL = """
    UPDATE affaire AS a
    SET reports = coalesce(r.reports, 0),
        derniere_action_faite = d.derniere
    FROM affaire AS x
    LEFT JOIN (
        SELECT affaire_id, count(*) AS reports
        FROM affaire_version
        WHERE date_fin > date_fin_avant
        GROUP BY affaire_id
    ) AS r ON r.affaire_id = x.id
    LEFT JOIN (
        SELECT affaire_id, max(coalesce(fait_le, date_action)) AS derniere
        FROM action
        WHERE fait
        GROUP BY affaire_id
    ) AS d ON d.affaire_id = x.id
    WHERE a.id = x.id
      AND (r.reports IS NOT NULL OR d.derniere IS NOT NULL)
"""
"""Both kept columns of every affaire at once, each count and date grouped in one pass (the
triggers' forms look up the affaires a statement touched, one by one)."""

STATEMENTS: list[str] = [
    _TRY_TRIGRAM,
    "ALTER TABLE affaire ADD COLUMN reports INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE affaire ADD COLUMN derniere_action_faite DATE",
    # Filled before the indexes below are built: every row rewritten once, no index to update.
    _FILL,
    *_kept("reports", "affaire_version", _REPORTS_OF),
    *_kept("derniere_action_faite", "action", _LAST_DONE_OF),
    _IF_TRIGRAM.format(
        statements="\n        ".join(
            f"CREATE INDEX {name} ON {table} USING gin (({expression}) gin_trgm_ops);"
            for name, table, expression in _TRIGRAM_INDEXES
        )
    ),
    # The affaires of the comptes and contacts found, their ids read from the index alone.
    "DROP INDEX affaire_compte_idx",
    "CREATE INDEX affaire_compte_idx ON affaire (compte_id, id)",
    "CREATE INDEX affaire_contact_idx ON affaire (contact_id, id)",
    # The list sorted by reports (most first, as its ORDER BY names it).
    "CREATE INDEX affaire_reports_idx ON affaire (reports DESC NULLS LAST, id DESC)",
    # The dormant affaires of each étape: open ones whose last activity (DORMANT_KEPT) is old.
    """
    CREATE INDEX affaire_dormant_idx
    ON affaire (etape, greatest(CAST(updated_at AS DATE), derniere_action_faite))
    WHERE statut = 'En cours' AND deleted_at IS NULL
    """,
]
"""MIGRATION_9's statements, each run on PostgreSQL only."""

REPORTS_SORT = "a.reports"
"""The list's sort by reports on PostgreSQL: the kept count (coalesce(r.reports, 0) elsewhere)."""

QUIET_TOO_LONG = """greatest(CAST(a.updated_at AS DATE), a.derniere_action_faite)
              < CAST($today AS DATE) - quiet.jours_sans_activite"""
"""The affaire (alias `a`) has had no activity, from the kept derniere_action_faite, for longer
than the étape `quiet` (its own, joined by name) allows on the bound $today."""

DORMANT_KEPT = f"""(a.statut = 'En cours'
    AND EXISTS (
        SELECT 1
        FROM etape AS quiet
        WHERE quiet.nom = a.etape
          AND {QUIET_TOO_LONG})
    )"""
"""crm_data.store.sql.DORMANT on PostgreSQL, from the kept derniere_action_faite: the same rule
(the later of the last save and the last action done is older than the étape allows), as a
range of affaire_dormant_idx for each étape."""
