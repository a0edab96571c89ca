"""Storage shared by the records that hang on an affaire (actions, documents, projets).

Rights follow the affaire: whoever may see an affaire may read and edit what hangs on it. Each
entity module validates its own fields and calls these with an allow-listed table name.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crm_data.affaires import fetch_affaire
from crm_data.db import Connection, read, transaction
from crm_data.model import Actor, NotFoundError
from crm_data.records import check_version

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


def insert_child(
    con: Connection, actor: Actor, table: str, affaire_id: int, values: dict[str, Any]
) -> int:
    """Insert a record under an affaire the actor may see; return its id."""
    columns = list(values)
    with transaction(con) as cur:
        fetch_affaire(cur, actor, affaire_id)
        row = cur.execute(
            f"""
            INSERT INTO {_table(table)} (affaire_id, {", ".join(columns)}, created_by, updated_by)
            VALUES (?, {", ".join("?" for _ in columns)}, ?, ?)
            RETURNING id
            """,
            [affaire_id, *values.values(), actor.id, actor.id],
        ).fetchone()
    assert row is not None
    return int(row[0])


def update_child(
    con: Connection,
    actor: Actor,
    table: str,
    record_id: int,
    values: dict[str, Any],
    expected_version: int,
) -> None:
    """Save a record read at expected_version; refused if someone saved it meanwhile."""
    with transaction(con) as cur:
        owning_affaire(cur, actor, table, record_id)
        check_version(cur, table, record_id, expected_version)
        cur.execute(
            f"""
            UPDATE {_table(table)}
            SET {"".join(f"{c} = ?, " for c in values)}
                updated_at = current_timestamp, updated_by = ?, version = version + 1
            WHERE id = ?
            """,
            [*values.values(), actor.id, record_id],
        )


def delete_child(
    con: Connection, actor: Actor, table: str, record_id: int, expected_version: int
) -> None:
    """Delete a record read at expected_version."""
    with transaction(con) as cur:
        owning_affaire(cur, actor, table, record_id)
        check_version(cur, table, record_id, expected_version)
        cur.execute(
            f"""
            DELETE FROM {_table(table)}
            WHERE id = ?
            """,
            [record_id],
        )


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
