"""The check every write makes of its actor, inside its own transaction: still active, same role.

An Actor is a snapshot taken at sign-in or at the previous run of a screen (Streamlit runs a
button's callback before the page signs the user in again), so a deactivated or demoted user
could still write once with it. The base, read in the write's transaction, decides. On
PostgreSQL the rest of the transaction then runs as the actor's role (crm_data.store.pg_rights):
the base itself keeps a commercial to their own affaires.
"""

from __future__ import annotations

from crm_data.model import Actor, PermissionDeniedError
from crm_data.store.db import Connection
from crm_data.store.pg_rights import acting


def check_actor(cur: Connection, actor: Actor) -> None:
    """Refuse the write with PermissionDeniedError (French) unless the actor's user exists, is
    active and still holds the role the actor claims; then act as the actor (pg_rights)."""
    row = cur.execute(
        """
        SELECT role, actif
        FROM utilisateur
        WHERE id = ?
        """,
        [actor.id],
    ).fetchone()
    if row is None or not row[1]:
        raise PermissionDeniedError(
            "Votre compte utilisateur est désactivé : rien n'a été enregistré."
        )
    if str(row[0]) != actor.role.value:
        raise PermissionDeniedError(
            "Vos droits ont changé depuis l'ouverture de cette page : rien n'a été enregistré. "
            "Rechargez la page."
        )
    acting(cur, actor)
