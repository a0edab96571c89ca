"""Small factories for tests: a fresh base, users, comptes and affaires in one call each."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from crm_data import affaires, comptes, contacts, users
from crm_data.model import Actor, Role
from crm_data.store.db import Connection, dialect, open_base
from crm_data.store.engine import POSTGRESQL
from tests import engines

_counter = itertools.count(1)


def indexes(con: Connection) -> dict[str, tuple[str, str]]:
    """The base's indexes of its own schema: name → (table, definition), on either engine."""
    if dialect(con) == POSTGRESQL:
        rows = con.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema()"
        ).fetchall()
    else:
        rows = con.execute("SELECT index_name, table_name, sql FROM duckdb_indexes()").fetchall()
    return {str(n): (str(t), str(d)) for n, t, d in rows}


def new_base(path: Path | str | None = None) -> Connection:
    """A fresh base: at path, else on the running test's engine (in memory for DuckDB, a new
    database for PostgreSQL; see tests.engines)."""
    if path is None:
        path = engines.new_pg_url() if engines.current() == engines.POSTGRESQL else ":memory:"
    return open_base(path)


def admin(con: Connection) -> Actor:
    return users.local_admin(con)


def make_user(con: Connection, role: Role = Role.COMMERCIAL, nom: str | None = None) -> Actor:
    n = next(_counter)
    login = f"user{n}"
    users.add_user(con, None, login, role.value, nom or f"Utilisateur {n}", f"{login}@exemple.fr")
    return users.get_actor(con, login)


def make_compte(con: Connection, nom: str | None = None, **values: Any) -> int:
    return comptes.create_compte(
        con, admin(con), {"nom": nom or f"Compte {next(_counter)}", **values}
    )


def make_contact(con: Connection, compte_id: int, nom: str = "Durand", **values: Any) -> int:
    return contacts.create_contact(con, admin(con), {"compte_id": compte_id, "nom": nom, **values})


def make_affaire(con: Connection, actor: Actor | None = None, **values: Any) -> int:
    actor = actor or admin(con)
    if "compte_id" not in values:
        values["compte_id"] = make_compte(con)
    values.setdefault("nom", f"Affaire {next(_counter)}")
    return affaires.create_affaire(con, actor, values)
