"""Rights inside PostgreSQL, a second guard behind crm_data's own checks: row-level security on
the affaires and the rows hanging on them (actions, documents, projets, versions, history). It
never replaces those checks (crm_data refuses first, in French); it catches a read or write whose
SQL forgot them. DuckDB has no roles: acting() does nothing there.

Two roles without login: crm_commercial sees and writes only the affaires whose gestion_par is
the actor (the transaction's `crm.actor_id`), crm_full every one (managers, admins); one policy
per role, not one policy OR'd over roles (which kept PostgreSQL from the index: NOTES-postgres.md).
An actor's unit of work runs as one of them (acting(): SET LOCAL ROLE inside its transaction), so
the login role's own rights (it owns the tables, perhaps a superuser) do not apply there, whatever
roles it inherits. Work without an actor (migrations, purge, integrity, backup, the command line)
runs as the login role, the tables' owner, which the policies do not restrict.

A guard against mistakes in crm_data's SQL, not against SQL typed by an attacker: the session
could RESET ROLE. On a server where the login role may not create roles (neither superuser nor
CREATEROLE) and the roles do not exist yet, install() changes nothing and returns False: the base
works as before, guarded by crm_data's checks only, and acting() does nothing on it.
"""

from __future__ import annotations

import weakref
from contextlib import suppress

import psycopg

from crm_data.model import Actor
from crm_data.store.engine import POSTGRESQL, Connection, dialect
from crm_data.store.postgres import PgCursor

COMMERCIAL = "crm_commercial"
FULL = "crm_full"
ROLES = (COMMERCIAL, FULL)

ACTOR_SETTING = "crm.actor_id"
_OWN = f"gestion_par = CAST(current_setting('{ACTOR_SETTING}') AS BIGINT)"
POLICIES = {
    "crm_commercial_own": (COMMERCIAL, _OWN),
    "crm_full_all": (FULL, "true"),
}
"""affaire's policies: name → (role, condition of USING and WITH CHECK)."""

CHILD_TABLES = ("action", "document", "projet", "affaire_version", "affaire_historique")
"""The tables hanging on an affaire (column affaire_id), guarded through it."""

_THEIR_AFFAIRE = "EXISTS (SELECT 1 FROM affaire AS guard WHERE guard.id = {table}.affaire_id)"
"""A child row's condition for a commercial: its affaire is one the role sees (affaire's own
policy applies inside a policy's subquery). Correlated by primary key, so that one affaire's
rows are checked by one index lookup each, not against every affaire of the commercial."""

_guarded: dict[str, bool] = {}
"""Base URL → whether its roles and policies are in place (set by install at each opening)."""
_acting: weakref.WeakKeyDictionary[PgCursor, int] = weakref.WeakKeyDictionary()
"""Cursor → the actor whose role it has taken in its current transaction."""


def install(cur: PgCursor) -> bool:
    """Create the roles (if missing), grant them the tables, enable row-level security on
    affaire and the tables hanging on it (CHILD_TABLES) with one policy per role; idempotent,
    each step only when missing. Return whether the guard is in place. Run under
    _migrate_postgresql's advisory lock: roles are shared by every base of the server, so two
    bases migrating at once may both create one (the loser's duplicate is ignored)."""
    guarded = _create_roles(cur)
    if guarded:
        schema = _quoted(str(_one(cur, "SELECT current_schema()")))
        roles = ", ".join(ROLES)
        cur.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {roles}"
        )
        cur.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {roles}")
        _policies(cur, "affaire", POLICIES)
        for table in CHILD_TABLES:
            condition = _THEIR_AFFAIRE.format(table=table)
            _policies(
                cur,
                table,
                {
                    f"crm_commercial_{table}": (COMMERCIAL, condition),
                    f"crm_full_{table}": (FULL, "true"),
                },
            )
    _guarded[cur.base.url] = guarded
    return guarded


def _policies(cur: PgCursor, table: str, policies: dict[str, tuple[str, str]]) -> None:
    """Row-level security on table with these policies (name → role, condition of USING and
    WITH CHECK), each created when missing."""
    enabled = cur.execute(
        "SELECT relrowsecurity FROM pg_class WHERE oid = CAST(? AS regclass)", [table]
    ).fetchone()
    if not (enabled and enabled[0]):
        cur.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    existing = {
        str(r[0])
        for r in cur.execute(
            "SELECT policyname FROM pg_policies WHERE tablename = ?", [table]
        ).fetchall()
    }
    for name, (role, condition) in policies.items():
        if name not in existing:
            cur.execute(
                f"CREATE POLICY {name} ON {table} TO {role} "
                f"USING ({condition}) WITH CHECK ({condition})"
            )


def _create_roles(cur: PgCursor) -> bool:
    present = {
        str(r[0])
        for r in cur.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(CAST(? AS TEXT[]))", [list(ROLES)]
        ).fetchall()
    }
    superuser, may_create = cur.execute(
        "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone() or (False, False)
    for role in ROLES:
        if role in present:
            continue
        if not (superuser or may_create):
            return False
        # Created at the same instant by another base's migration: the duplicate is ignored.
        with suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            cur.execute(f"CREATE ROLE {role} NOLOGIN NOINHERIT")
    if not superuser:
        # SET ROLE needs membership; a superuser may take any role without it.
        try:
            cur.execute(f"GRANT {', '.join(ROLES)} TO CURRENT_USER")
        except psycopg.errors.InsufficientPrivilege:
            return False
    return True


def acting(cur: Connection, actor: Actor) -> None:
    """Run the rest of cur's unit of work as the actor's role (crm_commercial or crm_full), with
    crm.actor_id set, until its transaction ends; a cursor outside a transaction (a db.read)
    first opens a READ ONLY REPEATABLE READ one, which the cursor's close ends. Nothing on
    DuckDB, or on a PostgreSQL base without the guard (see install)."""
    if dialect(cur) != POSTGRESQL or not isinstance(cur, PgCursor):
        return
    if not _guarded.get(cur.base.url) or _acting.get(cur) == actor.id:
        return
    conn = cur.connection
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    role = FULL if actor.sees_everything else COMMERCIAL
    cur.execute(
        "SELECT set_config(?, ?, true), set_config('role', ?, true)",
        [ACTOR_SETTING, str(actor.id), role],
    )
    _acting[cur] = actor.id


def _one(cur: PgCursor, query: str) -> object:
    row = cur.execute(query).fetchone()
    return row[0] if row else None


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
