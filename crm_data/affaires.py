"""Affaires one at a time: read, create, update, delete, with rights, rules and history.

Every write validates with crm_data.validation, checks the acting user's rights, bumps the
version and appends the new state to affaire_version in the same transaction; a refused write
writes nothing.
DuckDB notices two transactions updating the same column of a row, not an update beside a
delete: so a deletion starts with an update (a mark) and a reassignment is an update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from crm_data import history
from crm_data.model import (
    AFFAIRE_FIELDS,
    Actor,
    Affaire,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from crm_data.records import check_version, retry_clashes
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read_as, transaction
from crm_data.store.purge import purge_marked
from crm_data.store.sql import VISIBLE, visibility
from crm_data.validation import Lookups, load_lookups, validate

_COLUMNS = (
    *AFFAIRE_FIELDS,
    "source_id",
    "id",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


def fetch_affaire(cur: Connection, actor: Actor, affaire_id: int) -> Affaire:
    """The affaire with this id if the actor may see it; NotFoundError otherwise (a commercial
    asking for another's affaire gets the same answer as for a missing one, and an affaire
    being deleted is missing)."""
    row = cur.execute(
        f"""
        SELECT {", ".join(f"a.{c}" for c in _COLUMNS)}
        FROM affaire AS a
        WHERE a.id = $id
          AND {VISIBLE}
        """,
        {"id": affaire_id, **visibility(actor)},
    ).fetchone()
    if row is None:
        raise NotFoundError(f"Affaire n° {affaire_id} introuvable.")
    return Affaire(**dict(zip(_COLUMNS, row, strict=True)))


def get_affaire(con: Connection, actor: Actor, affaire_id: int) -> Affaire:
    """The affaire with this id, as the actor may see it; NotFoundError otherwise."""
    with read_as(con, actor) as cur:
        return fetch_affaire(cur, actor, affaire_id)


def insert_affaire(
    cur: Connection,
    actor: Actor,
    values: Mapping[str, Any],
    lookups: Lookups | None = None,
    *,
    at: dt.datetime | None = None,
) -> int:
    """Validate and insert an affaire inside the caller's transaction; return its id."""
    lookups = lookups or load_lookups(cur)
    aff, errors = validate(values, lookups, actor)
    if errors:
        raise ValidationError(errors)
    at = at or dt.datetime.now()
    columns = (*AFFAIRE_FIELDS, "source_id", "created_at", "created_by", "updated_at", "updated_by")
    row = cur.execute(
        f"""
        INSERT INTO affaire ({", ".join(columns)})
        VALUES ({", ".join("?" for _ in columns)})
        RETURNING id
        """,
        [
            *(getattr(aff, f) for f in AFFAIRE_FIELDS),
            values.get("source_id"),
            at,
            actor.id,
            at,
            actor.id,
        ],
    ).fetchone()
    assert row is not None
    affaire_id = int(row[0])
    history.record_version(cur, affaire_id)
    return affaire_id


def create_affaire(
    con: Connection, actor: Actor, values: Mapping[str, Any], *, at: dt.datetime | None = None
) -> int:
    """Create an affaire from values (defaults filled per SPEC §1) and return its id.

    Raises ValidationError listing every problem; nothing is written then. at is the instant
    recorded for the write (now by default; tests and imports pass their own).
    """
    with transaction(con) as cur:
        check_actor(cur, actor)
        return insert_affaire(cur, actor, values, at=at)


def preview(
    con: Connection, actor: Actor, values: Mapping[str, Any], old: Affaire | None = None
) -> tuple[Affaire, list[tuple[str, str]]]:
    """What a save of values would store and the problems it would report, without writing.

    old, when given, must be an affaire the actor may see: NotFoundError otherwise, so that a
    crafted call cannot probe another's affaire.
    """
    with read_as(con, actor) as cur:
        if old is not None and old.id is not None:
            fetch_affaire(cur, actor, old.id)
        return validate(values, load_lookups(cur), actor, old=old)


def update_affaire(
    con: Connection,
    actor: Actor,
    affaire_id: int,
    values: Mapping[str, Any],
    expected_version: int,
    *,
    at: dt.datetime | None = None,
) -> Affaire:
    """Apply values to the affaire read at expected_version and return it as saved; the save
    appends the new state as a version, at the instant at (now by default).

    Refused with ConflictError when someone saved meanwhile, ValidationError when a rule fails.
    """
    with transaction(con) as cur:
        check_actor(cur, actor)
        old = fetch_affaire(cur, actor, affaire_id)
        check_version(cur, "affaire", affaire_id, expected_version)
        aff, errors = validate(values, load_lookups(cur), actor, old=old)
        if errors:
            raise ValidationError(errors)
        rows = history.changes(old, aff)
        if not rows:
            return old
        at = at or dt.datetime.now()
        changed = [champ for champ, _, _ in rows]
        cur.execute(
            f"""
            UPDATE affaire
            SET {", ".join(f"{c} = ?" for c in changed)},
                updated_at = ?, updated_by = ?, version = version + 1
            WHERE id = ?
            """,
            [*(getattr(aff, c) for c in changed), at, actor.id, affaire_id],
        )
        history.record_version(cur, affaire_id)
        return fetch_affaire(cur, actor, affaire_id)


def delete_affaire(con: Connection, actor: Actor, affaire_id: int, expected_version: int) -> None:
    """Delete an affaire with its actions, documents, projets, history and versions.

    A commercial deletes only their own affaires; a stale version is refused like a stale save.
    The affaire is first marked deleted by an UPDATE of its version (so that a save at the same
    instant clashes with it) and of children_version (so that an action, devis or projet added
    at the same instant does too); from then on it is missing for everyone, and its rows are
    purged child-first, in commits of their own as DuckDB's foreign keys require.
    """
    with transaction(con) as cur:
        check_actor(cur, actor)
        fetch_affaire(cur, actor, affaire_id)
        check_version(cur, "affaire", affaire_id, expected_version)
        cur.execute(
            """
            UPDATE affaire
            SET deleted_at = ?, updated_by = ?, version = version + 1,
                children_version = children_version + 1
            WHERE id = ?
            """,
            [dt.datetime.now(), actor.id, affaire_id],
        )
    purge_marked(con, affaire_id)


def reassign_affaires(
    con: Connection,
    actor: Actor,
    from_user_id: int,
    to_user_id: int,
    *,
    open_only: bool = False,
    at: dt.datetime | None = None,
) -> int:
    """Give every affaire managed by from_user_id (only those En cours with open_only) to
    to_user_id, in one transaction; return how many moved.

    Managers and admins only; the new user must be active. Each affaire gets a new version and
    its audit columns, as a single save would give it (at the instant at, now by default). One
    UPDATE: a save of one of these affaires at the same instant clashes with it (the
    reassignment is then tried again, from the saved rows), so no save is undone.
    """
    if not actor.sees_everything:
        raise PermissionDeniedError(
            "Seuls les managers et administrateurs réattribuent des affaires."
        )
    if from_user_id == to_user_id:
        raise ValidationError([("gestion_par", "Choisissez un autre utilisateur.")])
    return retry_clashes(
        lambda: _reassign(con, actor, from_user_id, to_user_id, open_only=open_only, at=at)
    )


def _reassign(
    con: Connection,
    actor: Actor,
    from_user_id: int,
    to_user_id: int,
    *,
    open_only: bool,
    at: dt.datetime | None,
) -> int:
    params = {
        "from": from_user_id,
        "to": to_user_id,
        "open_only": open_only,
        "at": at or dt.datetime.now(),
        "actor": actor.id,
    }
    with transaction(con) as cur:
        check_actor(cur, actor)
        users = dict(
            cur.execute(
                """
                SELECT id, actif
                FROM utilisateur
                WHERE id IN (?, ?)
                """,
                [from_user_id, to_user_id],
            ).fetchall()
        )
        if from_user_id not in users:
            raise NotFoundError("Utilisateur introuvable.")
        if not users.get(to_user_id):
            raise ValidationError([("gestion_par", "Utilisateur introuvable ou désactivé.")])
        # The versions first, from the same snapshot as the update that follows: both see the
        # same rows, and a save committed meanwhile makes the update clash.
        cur.execute(
            f"""
            {history.VERSION_INSERT}
            SELECT {
                history.version_select(
                    version="a.version + 1",
                    valid_from="$at",
                    written_by="$actor",
                    gestion_par="$to",
                )
            }
            FROM affaire AS a
            WHERE a.gestion_par = $from
              AND a.deleted_at IS NULL
              AND (NOT $open_only OR a.statut = 'En cours')
            """,
            params,
        )
        moved = cur.execute(
            """
            UPDATE affaire
            SET gestion_par = $to, version = version + 1, updated_at = $at, updated_by = $actor
            WHERE gestion_par = $from
              AND deleted_at IS NULL
              AND (NOT $open_only OR statut = 'En cours')
            """,
            params,
        ).fetchone()
    return int(moved[0]) if moved else 0
