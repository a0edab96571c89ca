"""PostgreSQL's end of each affaire version (`valid_to`), kept by the base itself: the DDL of the
migration that adds it. Nothing here reads or writes rows from Python.

A state at a past instant (SPEC §3 A10) is each affaire's latest version written before it. On
DuckDB that is a hash aggregate over the versions' keys, a few hundred milliseconds at a million
affaires. PostgreSQL has to sort every version row for it (DISTINCT ON): 1.5 to 3 s at 3.8
million versions, spilling to disk. With each version's end stored (the next version's
valid_from, in (valid_from, version) order; empty for the latest), the state at t is a plain
filtered scan: valid_from < t AND (valid_to IS NULL OR valid_to >= t), 0.4 s in parallel.

The end is kept by statement-level triggers, so every writer (saves, imports, re-imports that
replace a source's versions, purges, restores, copies) keeps it without knowing of it: after
each statement that inserts, deletes or updates versions, the ends of the affaires it touched
are recomputed with lead() and written where they differ. The function runs as its owner
(SECURITY DEFINER, with the migration's search_path), so that a commercial's row-level
security never hides a version whose end must move.
"""

from __future__ import annotations

DERIVED = {"affaire_version": "valid_to"}
"""The column this keeps, by table: PostgreSQL's alone, derived from the others."""

_RECOMPUTE = """
CREATE FUNCTION affaire_version_valid_to() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $body$
BEGIN
    -- Its own UPDATE fires the UPDATE trigger again: that one has nothing left to change.
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    UPDATE affaire_version AS v
    SET valid_to = n.valid_to
    FROM (
        SELECT affaire_id, version,
               lead(valid_from) OVER (
                   PARTITION BY affaire_id ORDER BY valid_from, version
               ) AS valid_to
        FROM affaire_version
        WHERE affaire_id IN (SELECT DISTINCT affaire_id FROM changed)
    ) AS n
    WHERE v.affaire_id = n.affaire_id
      AND v.version = n.version
      AND v.valid_to IS DISTINCT FROM n.valid_to;
    RETURN NULL;
END
$body$
"""

_TRIGGERS = [
    f"""
    CREATE TRIGGER affaire_version_valid_to_{event.lower()}
    AFTER {event} ON affaire_version
    REFERENCING {table} TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION affaire_version_valid_to()
    """
    for event, table in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
]

_BACKFILL = """
UPDATE affaire_version AS v
SET valid_to = n.valid_to
FROM (
    SELECT affaire_id, version,
           lead(valid_from) OVER (PARTITION BY affaire_id ORDER BY valid_from, version) AS valid_to
    FROM affaire_version
) AS n
WHERE v.affaire_id = n.affaire_id
  AND v.version = n.version
  AND n.valid_to IS NOT NULL
"""

STATEMENTS: list[str] = [
    "ALTER TABLE affaire_version ADD COLUMN valid_to TIMESTAMP",
    _BACKFILL,
    _RECOMPUTE,
    *_TRIGGERS,
    # The versions begun or ended between two days (the movements of the pipe, SPEC §3 A11).
    "CREATE INDEX affaire_version_from_idx ON affaire_version (valid_from)",
    "CREATE INDEX affaire_version_to_idx ON affaire_version (valid_to)",
    # The affaires being deleted, which a state leaves out: few, found by this partial index
    # instead of a scan of every affaire.
    "CREATE INDEX affaire_deleted_idx ON affaire (id) WHERE deleted_at IS NOT NULL",
]
"""MIGRATION_7's statements, each run on PostgreSQL only."""
