"""Storage shared by the records that hang on an affaire (actions, documents, projets).

Rights follow the affaire: whoever may see an affaire may read and edit what hangs on it. Each
entity module validates its own fields and calls these with an allow-listed table name. Every
write bumps its affaire's children_version, so that it clashes with the affaire's deletion;
adding or removing one is noted in the affaire's Historique (crm_data.history.record_event).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from crm_data import history
from crm_data.affaires import fetch_affaire
from crm_data.model import Actor, NotFoundError, ValidationError
from crm_data.records import check_version, retry_clashes
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction

CHILD_TABLES = ("action", "document", "projet")


def _table(table: str) -> str:
    if table not in CHILD_TABLES:
        raise ValueError(f"not a child table: {table!r}")
    return table


def owning_affaire(cur: Connection, actor: Actor, table: str, record_id: int) -> int:
    """The affaire_id of the record, if the actor may see that affaire; NotFoundError otherwise.

    A record under another's affaire gets the same answer as a missing one, without the
    affaire's number.
    """
    missing = NotFoundError("Fiche introuvable : elle a peut-être été supprimée.")
    row = cur.execute(
        f"""
        SELECT affaire_id
        FROM {_table(table)}
        WHERE id = ?
        """,
        [record_id],
    ).fetchone()
    if row is None:
        raise missing
    affaire_id = int(row[0])
    try:
        fetch_affaire(cur, actor, affaire_id)
    except NotFoundError:
        raise missing from None
    return affaire_id


def _hold_affaire(cur: Connection, affaire_id: int) -> None:
    """Write to the affaire's children_version, or refuse if it is being deleted.

    DuckDB lets a child be inserted beside a concurrent delete of its parent (both commit, the
    child orphaned); a write to the same column as the deletion's mark clashes instead. Only
    that column is written, so saves of the affaire itself do not clash with it.
    """
    held = cur.execute(
        """
        UPDATE affaire
        SET children_version = children_version + 1
        WHERE id = ?
          AND deleted_at IS NULL
        """,
        [affaire_id],
    ).fetchone()
    if not held or not held[0]:
        raise NotFoundError("Cette affaire n'existe plus : elle a été supprimée entre-temps.")


def _check_owners(
    cur: Connection, values: dict[str, Any], owners: tuple[str, ...], current: dict[str, Any]
) -> None:
    """Each user id named in owners (and changed from current) must be an active user."""
    errors = []
    for name in owners:
        user_id = values.get(name)
        if user_id is None or user_id == current.get(name):
            continue
        row = cur.execute(
            """
            SELECT actif
            FROM utilisateur
            WHERE id = ?
            """,
            [user_id],
        ).fetchone()
        if row is None or not row[0]:
            errors.append((name, "Utilisateur introuvable ou désactivé."))
    if errors:
        raise ValidationError(errors)


def insert_child(
    con: Connection,
    actor: Actor,
    table: str,
    affaire_id: int,
    values: dict[str, Any],
    *,
    owners: tuple[str, ...] = (),
) -> int:
    """Insert a record under an affaire the actor may see; return its id.

    owners names the fields holding a user id, each of which must be an active user.
    """
    columns = list(values)

    def write() -> int:
        with transaction(con) as cur:
            check_actor(cur, actor)
            fetch_affaire(cur, actor, affaire_id)
            _check_owners(cur, values, owners, {})
            _hold_affaire(cur, affaire_id)
            row = cur.execute(
                f"""
                INSERT INTO {_table(table)} (affaire_id, {", ".join(columns)}, created_by,
                                             updated_by)
                VALUES (?, {", ".join("?" for _ in columns)}, ?, ?)
                RETURNING id
                """,
                [affaire_id, *values.values(), actor.id, actor.id],
            ).fetchone()
            assert row is not None
            history.record_event(
                cur,
                affaire_id,
                actor.id,
                dt.datetime.now(),
                table,
                added=history.describe_child(table, values),
            )
        return int(row[0])

    return retry_clashes(write)


def update_child(
    con: Connection,
    actor: Actor,
    table: str,
    record_id: int,
    values: dict[str, Any],
    expected_version: int,
    *,
    owners: tuple[str, ...] = (),
) -> None:
    """Save a record read at expected_version; refused if someone saved it meanwhile.

    owners: as for insert_child; a user kept unchanged is not checked again.
    """

    def write() -> None:
        with transaction(con) as cur:
            check_actor(cur, actor)
            affaire_id = owning_affaire(cur, actor, table, record_id)
            check_version(cur, table, record_id, expected_version)
            if owners:
                row = cur.execute(
                    f"""
                    SELECT {", ".join(owners)}
                    FROM {_table(table)}
                    WHERE id = ?
                    """,
                    [record_id],
                ).fetchone()
                assert row is not None
                _check_owners(cur, values, owners, dict(zip(owners, row, strict=True)))
            _hold_affaire(cur, affaire_id)
            cur.execute(
                f"""
                UPDATE {_table(table)}
                SET {"".join(f"{c} = ?, " for c in values)}
                    updated_at = current_timestamp, updated_by = ?, version = version + 1
                WHERE id = ?
                """,
                [*values.values(), actor.id, record_id],
            )

    retry_clashes(write)


def delete_child(
    con: Connection, actor: Actor, table: str, record_id: int, expected_version: int
) -> None:
    """Delete a record read at expected_version."""

    def write() -> None:
        with transaction(con) as cur:
            check_actor(cur, actor)
            affaire_id = owning_affaire(cur, actor, table, record_id)
            check_version(cur, table, record_id, expected_version)
            _hold_affaire(cur, affaire_id)
            removed = cur.execute(
                f"""
                DELETE FROM {_table(table)}
                WHERE id = ?
                RETURNING *
                """,
                [record_id],
            )
            names = [d[0] for d in removed.description]
            row = removed.fetchone()
            assert row is not None
            history.record_event(
                cur,
                affaire_id,
                actor.id,
                dt.datetime.now(),
                table,
                removed=history.describe_child(table, dict(zip(names, row, strict=True))),
            )

    retry_clashes(write)


def get_child(
    con: Connection, actor: Actor, table: str, record_id: int, columns: tuple[str, ...]
) -> dict[str, Any]:
    """The record's columns (plus id, affaire_id, version) if the actor may see its affaire."""
    with read(con) as cur:
        owning_affaire(cur, actor, table, record_id)
        names = ("id", "affaire_id", "version", *columns)
        row = cur.execute(
            f"""
            SELECT {", ".join(names)}
            FROM {_table(table)}
            WHERE id = ?
            """,
            [record_id],
        ).fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


def list_children(
    con: Connection,
    actor: Actor,
    table: str,
    affaire_id: int,
    columns: tuple[str, ...],
    order: str,
) -> pd.DataFrame:
    """The records under an affaire the actor may see: id, version and columns, in order.

    order is a fixed expression chosen by the entity module, never by the user.
    """
    with read(con) as cur:
        fetch_affaire(cur, actor, affaire_id)
        return cur.execute(
            f"""
            SELECT id, version, {", ".join(columns)}
            FROM {_table(table)}
            WHERE affaire_id = ?
            ORDER BY {order}
            """,
            [affaire_id],
        ).df()
