"""Finishing an affaire's deletion: the rows hanging on it go first, then the affaire itself.

An affaire is deleted in three commits: a mark (deleted_at, written by crm_data.affaires so that
a concurrent save clashes with it), its children, then its own row. DuckDB refuses deleting the
children and then the parent in one transaction while a foreign key ties them. Nothing here
checks rights: only affaires already marked are purged.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from crm_data.model import CrmError
from crm_data.store.engine import ENGINE_ERRORS

if TYPE_CHECKING:
    from crm_data.store.engine import Connection

CHILD_TABLES = ("action", "document", "projet", "affaire_historique", "affaire_version")
_ATTEMPTS = 3


def purge_marked(con: Connection, affaire_id: int | None = None) -> int:
    """Delete the affaire marked deleted with this id (every marked one when None) with what
    hangs on it; return how many affaires were removed.

    Each step is its own transaction. Raises CrmError if the rows cannot all be removed after a
    few attempts; the affaire then stays marked, hidden, and the next opening finishes it.
    """
    params = {"id": affaire_id}
    marked = "SELECT id FROM affaire WHERE deleted_at IS NOT NULL AND ($id IS NULL OR id = $id)"
    cur = con.cursor()
    try:
        for _ in range(_ATTEMPTS):
            try:
                cur.execute("BEGIN TRANSACTION")
                for table in CHILD_TABLES:
                    cur.execute(
                        f"""
                        DELETE FROM {table}
                        WHERE affaire_id IN ({marked})
                        """,
                        params,
                    )
                cur.execute("COMMIT")
                cur.execute("BEGIN TRANSACTION")
                row = cur.execute(
                    f"""
                    DELETE FROM affaire
                    WHERE id IN ({marked})
                    """,
                    params,
                ).fetchone()
                cur.execute("COMMIT")
                return int(row[0]) if row else 0
            except ENGINE_ERRORS:
                with suppress(*ENGINE_ERRORS):
                    cur.execute("ROLLBACK")
    finally:
        cur.close()
    raise CrmError(
        "La suppression de l'affaire n'a pas pu être terminée ; elle reste masquée et sera "
        "achevée à la prochaine ouverture de la base."
    )
