"""The session's connection to the base and the user it acts as.

One connection per base and process, cached as a resource: a DuckDB connection, or for a
postgresql:// CRM_DB a pool that several servers may share the base through (docs/deploy.md).
Pages take a cursor per unit of work through crm_data, never share one. With an `[auth]`
section in .streamlit/secrets.toml the user is the one signed in through st.login, matched by
e-mail; without it the app runs in local mode as the local administrator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from crm_data import users
from crm_data.model import Actor, PermissionDeniedError
from crm_data.store import backup, db


@st.cache_resource(show_spinner=False)
def _shared_connection(path: str) -> db.Connection:
    return db.shared_connection(path)


@st.cache_resource(show_spinner=False)
def _scheduled_backups(path: str, folder: str, every_hours: float, keep: int) -> object:
    return backup.start_scheduled_backups(path, folder, every_hours=every_hours, keep=keep)


def start_scheduled_backups() -> None:
    """Once per server: back the base up into CRM_BACKUP_DIR every CRM_BACKUP_HOURS (24),
    keeping the CRM_BACKUP_KEEP (14) newest, when CRM_BACKUP_DIR is set."""
    folder = os.environ.get("CRM_BACKUP_DIR")
    if folder:
        every = float(os.environ.get("CRM_BACKUP_HOURS") or 24)
        keep = int(os.environ.get("CRM_BACKUP_KEEP") or 14)
        _scheduled_backups(str(db_path()), folder, every, keep)


def db_path() -> str | Path:
    """The base this server serves: CRM_DB from the environment (a file, or a postgresql://
    URL), else data/crm.duckdb."""
    return db.default_db_path()


def connection() -> db.Connection:
    """The process's connection to the base. Raises BaseLockedError when another process holds
    the DuckDB file, CrmError when the PostgreSQL server does not answer (both in French)."""
    con = _shared_connection(str(db_path()))
    start_scheduled_backups()
    return con


def auth_settings() -> Mapping[str, object] | None:
    """The `[auth]` section of .streamlit/secrets.toml, or None in local mode."""
    try:
        # Without a secrets file at all, Streamlit raises instead of answering False.
        if "auth" not in st.secrets:
            return None
        section = st.secrets["auth"]
    except FileNotFoundError:
        return None
    return section if isinstance(section, Mapping) else None


def providers() -> list[str | None]:
    """The providers to offer: None for the unnamed one set in `[auth]` itself, then the names
    of the `[auth.microsoft]`-style sections, in the file's order."""
    section = auth_settings() or {}
    named: list[str | None] = [
        str(name)
        for name, value in section.items()
        if isinstance(value, Mapping) and "client_id" in value
    ]
    return [None, *named] if "client_id" in section else named


@dataclass(frozen=True)
class SignIn:
    """Who is at the keyboard in this run.

    local: no sign-in configured. signed_in: st.login has verified an identity. actor: the
    user acting, None when nobody is signed in or the e-mail is unknown, deactivated or not
    verified by the provider.
    """

    local: bool
    signed_in: bool
    email: str | None
    actor: Actor | None


def sign_in() -> SignIn:
    """This run's sign-in state; the actor is looked up again on every run, so that a user
    deactivated meanwhile loses access at their next click."""
    if auth_settings() is None:
        return SignIn(local=True, signed_in=False, email=None, actor=_local_actor())
    if not st.user.get("is_logged_in"):
        return SignIn(local=False, signed_in=False, email=None, actor=None)
    email = str(st.user.get("email") or "").strip()
    # Entra ID sends no email_verified claim; Google and Keycloak send it, and a False is final.
    verified = st.user.get("email_verified") is not False
    actor = users.actor_by_email(connection(), email) if email and verified else None
    return SignIn(local=False, signed_in=True, email=email or None, actor=actor)


def _local_actor() -> Actor:
    actor = st.session_state.get("actor")
    if isinstance(actor, Actor):
        return actor
    actor = users.local_admin(connection())
    st.session_state["actor"] = actor
    return actor


def current_actor() -> Actor:
    """The user this session acts as: the signed-in user, or in local mode the local
    administrator. Raises PermissionDeniedError ("Accès refusé") when there is none."""
    actor = sign_in().actor
    if actor is None:
        raise PermissionDeniedError("Accès refusé : connectez-vous avec un compte autorisé.")
    return actor


def flash(message: str, icon: str = "✅") -> None:
    """Queue a toast for the next run: a toast shown right before st.rerun() is sometimes lost."""
    st.session_state.setdefault("_flash", []).append((message, icon))


def show_flashes() -> None:
    """Show the toasts queued by the previous run."""
    for message, icon in st.session_state.pop("_flash", []):
        st.toast(message, icon=icon)


def reconnect() -> db.Connection:
    """Forget the cached connection (a restore closed it) and open the base again."""
    _shared_connection.clear()
    return connection()
