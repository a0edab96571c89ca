"""Users of the CRM (utilisateur) and the Actor a session or a command acts as.

Only an admin adds or changes users; a deactivated user keeps their affaires.
"""

from __future__ import annotations

import re

import pandas as pd

from crm_data.model import Actor, NotFoundError, PermissionDeniedError, Role, ValidationError
from crm_data.records import refuse_duplicate
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction
from crm_data.store.sql import USER_LABELS
from crm_data.text import fold

LOCAL_ADMIN_LOGIN = "admin"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _actor(row: tuple[object, ...]) -> Actor:
    return Actor(id=int(str(row[0])), login=str(row[1]), nom=str(row[2]), role=Role(str(row[3])))


def get_actor(con: Connection, login: str) -> Actor:
    """The active user with this login; NotFoundError otherwise."""
    with read(con) as cur:
        row = cur.execute(
            """
            SELECT id, login, nom, role
            FROM utilisateur
            WHERE login = ?
              AND actif
            """,
            [login],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"Utilisateur « {login} » introuvable ou désactivé.")
    return _actor(row)


def actor_by_email(con: Connection, email: str) -> Actor | None:
    """The active user with this e-mail (ignoring case), or None: an unknown e-mail is refused,
    and so is one that several users share (never one of them picked silently).

    The comparison is made here, not in SQL: a base's macro can redefine lower() in DuckDB.
    """
    wanted = email.strip().lower()
    with read(con) as cur:
        rows = cur.execute(
            """
            SELECT id, login, nom, role, email
            FROM utilisateur
            WHERE email IS NOT NULL
              AND actif
            ORDER BY id
            """
        ).fetchall()
    found = [row for row in rows if str(row[4]).lower() == wanted]
    return _actor(found[0]) if len(found) == 1 else None


def local_admin(con: Connection) -> Actor:
    """The local administrator that the command line and the app without sign-in act as."""
    return get_actor(con, LOCAL_ADMIN_LOGIN)


def _check_user_fields(login: str, nom: str, email: str | None, role: str) -> None:
    errors: list[tuple[str, str]] = []
    if not login.strip():
        errors.append(("login", "L'identifiant est obligatoire."))
    elif not re.fullmatch(r"[A-Za-z0-9._@-]{1,100}", login.strip()):
        errors.append(("login", "Identifiant invalide : lettres, chiffres, « . _ - @ » seulement."))
    if not nom.strip():
        errors.append(("nom", "Le nom est obligatoire."))
    if email and not _EMAIL.match(email.strip()):
        errors.append(("email", f"Adresse e-mail invalide : « {email} »."))
    if role not in {r.value for r in Role}:
        errors.append(("role", "Rôle inconnu : choisissez admin, manager ou commercial."))
    if errors:
        raise ValidationError(errors)


def insert_user(
    cur: Connection,
    actor: Actor | None,
    login: str,
    role: str,
    nom: str | None = None,
    email: str | None = None,
) -> int:
    """Create a user inside the caller's transaction and return its id: admin only (None is the
    command line itself), the login, name, e-mail and role checked, a login or e-mail another
    user has refused. The caller has checked the actor (rights.check_actor) in it."""
    if actor is not None and not actor.is_admin:
        raise PermissionDeniedError("Seul un administrateur peut créer des utilisateurs.")
    nom = (nom or login).strip()
    _check_user_fields(login, nom, email, role)
    email = (email or "").strip() or None
    refusal = _login_taken(cur, login) or _email_taken(cur, email, None)
    if refusal:
        raise ValidationError([refusal])
    ((user_id,),) = cur.execute(
        """
        INSERT INTO utilisateur (login, nom, email, role)
        VALUES (?, ?, ?, ?)
        RETURNING id
        """,
        [login.strip(), nom, email, role],
    ).fetchall()
    return int(user_id)


def add_user(
    con: Connection,
    actor: Actor | None,
    login: str,
    role: str,
    nom: str | None = None,
    email: str | None = None,
) -> int:
    """Create a user and return its id (insert_user in a transaction of its own)."""

    def write() -> int:
        with transaction(con) as cur:
            if actor is not None:
                check_actor(cur, actor)
            return insert_user(cur, actor, login, role, nom, email)

    return refuse_duplicate(con, write, lambda cur: _login_taken(cur, login))


def _login_taken(cur: Connection, login: str) -> tuple[str, str] | None:
    """The refusal of a login another user has (case aside), or None."""
    taken = cur.execute(
        """
        SELECT count(*)
        FROM utilisateur
        WHERE lower(login) = lower(?)
        """,
        [login.strip()],
    ).fetchone()
    return ("login", f"L'identifiant « {login} » existe déjà.") if taken and taken[0] else None


def _email_taken(cur: Connection, email: str | None, user_id: int | None) -> tuple[str, str] | None:
    """The refusal of an e-mail another user has (case aside), or None: sign-in finds a user by
    e-mail, so two users never share one."""
    if email is None:
        return None
    taken = cur.execute(
        """
        SELECT nom
        FROM utilisateur
        WHERE lower(email) = lower(?)
          AND id IS DISTINCT FROM ?
        """,
        [email, user_id],
    ).fetchone()
    if not taken:
        return None
    return ("email", f"L'adresse « {email} » est déjà celle de {taken[0]}.")


def update_user(
    con: Connection,
    actor: Actor,
    user_id: int,
    *,
    nom: str,
    email: str | None,
    role: str,
    actif: bool,
) -> None:
    """Change a user's name, e-mail, role or activity. Admin only; never one's own admin rights."""
    if not actor.is_admin:
        raise PermissionDeniedError("Seul un administrateur peut modifier les utilisateurs.")
    if user_id == actor.id and (not actif or role != Role.ADMIN):
        raise ValidationError(
            [("role", "Vous ne pouvez pas retirer vos propres droits d'administrateur.")]
        )
    with transaction(con) as cur:
        check_actor(cur, actor)
        row = cur.execute(
            """
            SELECT login
            FROM utilisateur
            WHERE id = ?
            """,
            [user_id],
        ).fetchone()
        if row is None:
            raise NotFoundError("Utilisateur introuvable.")
        _check_user_fields(str(row[0]), nom, email, role)
        email = (email or "").strip() or None
        refusal = _email_taken(cur, email, user_id)
        if refusal:
            raise ValidationError([refusal])
        cur.execute(
            """
            UPDATE utilisateur
            SET nom = ?, email = ?, role = ?, actif = ?
            WHERE id = ?
            """,
            [nom.strip(), email, role, actif, user_id],
        )


def list_users(con: Connection, *, active_only: bool = False) -> pd.DataFrame:
    """Users ordered by name: id, login, nom, email, role, actif."""
    with read(con) as cur:
        return cur.execute(
            """
            SELECT id, login, nom, email, role, actif
            FROM utilisateur
            WHERE actif OR NOT ?
            ORDER BY nom, id
            """,
            [active_only],
        ).df()


def users_with_affaires(con: Connection, actor: Actor) -> pd.DataFrame:
    """Every user with the number of affaires they manage (affaires, en_cours), by name:
    id, login, nom, email, role, actif, affaires, en_cours. Managers and admins only.

    Each count is grouped on its own: on PostgreSQL, from an index alone (by gestion par; the
    open affaires' covering one, crm_data.store.pg_pipe), where a join of every affaire to its
    user read the table (0.73 s -> 0.36 s at a million affaires)."""
    if not actor.sees_everything:
        raise PermissionDeniedError("Seuls les managers et administrateurs voient l'équipe.")
    with read(con) as cur:
        return cur.execute(
            """
            SELECT u.id, u.login, u.nom, u.email, u.role, u.actif,
                   coalesce(t.affaires, 0) AS affaires,
                   coalesce(o.en_cours, 0) AS en_cours
            FROM utilisateur AS u
            LEFT JOIN (
                SELECT gestion_par, count(*) AS affaires
                FROM affaire
                GROUP BY gestion_par
            ) AS t ON t.gestion_par = u.id
            LEFT JOIN (
                SELECT gestion_par, count(*) AS en_cours
                FROM affaire
                WHERE statut = 'En cours'
                GROUP BY gestion_par
            ) AS o ON o.gestion_par = u.id
            ORDER BY u.nom, u.id
            """
        ).df()


def user_labels(con: Connection) -> dict[int, str]:
    """Every user's id → the name shown for them (USER_LABELS), ordered by that name."""
    with read(con) as cur:
        found = cur.execute(
            f"""
            SELECT id, nom
            FROM {USER_LABELS} AS u
            ORDER BY nom, id
            """
        ).fetchall()
    return {int(i): str(n) for i, n in found}


def users_by_name(con: Connection) -> dict[str, int]:
    """Folded login, shown name (« Martin Dupont (mdupont2) ») and full name → user id; a full
    name two users share is left out, so that it is refused rather than picking one of them."""
    users = list_users(con)
    labels = user_labels(con)
    names = users["nom"].map(lambda n: fold(str(n)))
    shared = set(names[names.duplicated()])
    by_name: dict[str, int] = {}
    for user_id, login, nom in zip(users["id"], users["login"], names, strict=True):
        if nom not in shared:
            by_name[nom] = int(user_id)
        by_name[fold(labels[int(user_id)])] = int(user_id)
        by_name.setdefault(fold(str(login)), int(user_id))
    return by_name
