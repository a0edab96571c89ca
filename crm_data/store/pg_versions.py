"""What PostgreSQL keeps on each affaire version about its neighbours, kept by the base itself:
the DDL of the migration that adds it. Nothing here reads or writes rows from Python.

The analyses of the pipe through time read each version with the one after it (its end: a
state at a past instant, SPEC §3 A10–A12) or the one before it (an étape entered, A8; a date
fin pushed later, A13). DuckDB computes those with window passes over the versions, a few
hundred milliseconds at a million affaires. PostgreSQL sorts every version row for each pass
(1.5 to 3 s at 3.8 million versions, spilling to disk). So there each version keeps, in its
affaire's (valid_from, version) order:
- valid_to: the next version's valid_from, empty for the latest. The state at t is then a
  filtered scan, valid_from < t AND (valid_to IS NULL OR valid_to >= t);
- etape_avant, date_fin_avant: the previous version's étape and date fin, empty for the first.

They are kept by statement-level triggers, so every writer (saves, imports, re-imports that
replace a source's versions, renames, purges, restores, copies) keeps them without knowing of
them: after each statement that inserts, deletes or updates versions, the affaires it touched
have theirs recomputed with lead() and lag(), written where they differ. The function runs as
its owner (SECURITY DEFINER, with the migration's search_path), so that a commercial's
row-level security never hides a version whose neighbour changed.
"""

from __future__ import annotations

DERIVED = {
    "affaire_version": ("valid_to", "etape_avant", "date_fin_avant"),
    "affaire": ("reports", "derniere_action_faite"),
}
"""The columns the base keeps by triggers, by table: PostgreSQL's alone, derived from the others
(the versions' neighbours here, the affaire's list columns in crm_data.store.pg_list)."""

_NEIGHBOURS = """
    SELECT affaire_id, version,
           lead(valid_from) OVER w AS valid_to,
           lag(etape) OVER w AS etape_avant,
           lag(date_fin) OVER w AS date_fin_avant
    FROM affaire_version
    {where}
    WINDOW w AS (PARTITION BY affaire_id ORDER BY valid_from, version)
"""

_UPDATE = """
    UPDATE affaire_version AS v
    SET valid_to = n.valid_to, etape_avant = n.etape_avant, date_fin_avant = n.date_fin_avant
    FROM ({neighbours}) AS n
    WHERE v.affaire_id = n.affaire_id
      AND v.version = n.version
      AND (v.valid_to IS DISTINCT FROM n.valid_to
           OR v.etape_avant IS DISTINCT FROM n.etape_avant
           OR v.date_fin_avant IS DISTINCT FROM n.date_fin_avant)
"""

_OF_TOUCHED = _UPDATE.format(
    neighbours=_NEIGHBOURS.format(
        where="WHERE affaire_id IN (SELECT DISTINCT affaire_id FROM changed)"
    )
)

_RECOMPUTE = f"""
CREATE FUNCTION affaire_version_neighbours() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $body$
BEGIN
    -- Its own UPDATE fires the UPDATE trigger again: that one has nothing left to change.
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    {_OF_TOUCHED};
    RETURN NULL;
END
$body$
"""

_TRIGGERS = [
    f"""
    CREATE TRIGGER affaire_version_neighbours_{event.lower()}
    AFTER {event} ON affaire_version
    REFERENCING {table} TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION affaire_version_neighbours()
    """
    for event, table in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
]

STATEMENTS: list[str] = [
    "ALTER TABLE affaire_version ADD COLUMN valid_to TIMESTAMP",
    "ALTER TABLE affaire_version ADD COLUMN etape_avant VARCHAR",
    "ALTER TABLE affaire_version ADD COLUMN date_fin_avant DATE",
    _UPDATE.format(neighbours=_NEIGHBOURS.format(where="")),
    _RECOMPUTE,
    *_TRIGGERS,
    # The versions begun or ended between two days (the movements of the pipe, SPEC §3 A11).
    "CREATE INDEX affaire_version_from_idx ON affaire_version (valid_from)",
    "CREATE INDEX affaire_version_to_idx ON affaire_version (valid_to)",
    # The versions that pushed their date fin later (A13's reports): few, read by affaire.
    """
    CREATE INDEX affaire_version_report_idx ON affaire_version (affaire_id)
    WHERE date_fin > date_fin_avant
    """,
    # The affaires being deleted, which a state leaves out: few, found by this partial index
    # instead of a scan of every affaire.
    "CREATE INDEX affaire_deleted_idx ON affaire (id) WHERE deleted_at IS NOT NULL",
]
"""MIGRATION_7's statements, each run on PostgreSQL only."""

COMPACT = ("VACUUM (FULL) affaire_version", "VACUUM (FULL) affaire", "VACUUM (ANALYZE)")
"""Run in order outside a transaction after a bulk load of versions (a copy into a new base): the
triggers' update of each loaded version (and of each affaire's kept columns) leaves the table
twice its size, which every scan of the history then reads (1.9 GB against 0.9 GB at a million
affaires). The plain VACUUM after it fills the visibility maps, which VACUUM FULL leaves empty:
without them an index-only scan reads the heap too (a count of the list, 950 ms against 50)."""
