"""The session's connection to the base and the user it acts as.

One DuckDB connection per base and process (cached as a resource); pages take a cursor per
unit of work through crm_data, never share one.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from crm_data import db, users
from crm_data.model import Actor


@st.cache_resource(show_spinner=False)
def _shared_connection(path: str) -> db.Connection:
    return db.shared_connection(path)


def db_path() -> Path:
    """The base this server serves: CRM_DB from the environment, else data/crm.duckdb."""
    return db.default_db_path()


def connection() -> db.Connection:
    """The process's connection to the base; raises BaseLockedError when another process has it."""
    return _shared_connection(str(db_path()))


def current_actor() -> Actor:
    """The user this session acts as: without sign-in configured, the local administrator."""
    actor = st.session_state.get("actor")
    if isinstance(actor, Actor):
        return actor
    actor = users.local_admin(connection())
    st.session_state["actor"] = actor
    return actor


def flash(message: str, icon: str = "✅") -> None:
    """Queue a toast for the next run: a toast shown right before st.rerun() is sometimes lost."""
    st.session_state.setdefault("_flash", []).append((message, icon))


def show_flashes() -> None:
    """Show the toasts queued by the previous run."""
    for message, icon in st.session_state.pop("_flash", []):
        st.toast(message, icon=icon)
