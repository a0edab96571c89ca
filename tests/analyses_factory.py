"""Small builders of hand-made bases for the analyses' tests: rows inserted as given, so that
closed affaires get the exact dates a case needs."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from crm_data.model import AFFAIRE_FIELDS, Actor, Role
from crm_data.store.db import Connection
from crm_data.users import add_user, get_actor, local_admin
from tests import factories

D = dt.date.fromisoformat
_names = itertools.count(1)


def new_base(target: str | None = None) -> tuple[Connection, Actor]:
    """A fresh base (at target, else of the running test's engine: tests.engines) and its
    local admin."""
    con = factories.new_base(target)
    return con, local_admin(con)


def new_user(con: Connection, login: str, role: Role = Role.COMMERCIAL) -> Actor:
    """A user named after its login, as an Actor."""
    add_user(con, None, login, role.value, nom=login.capitalize())
    return get_actor(con, login)


def new_compte(con: Connection) -> int:
    row = con.execute(
        """
        INSERT INTO compte (nom, nom_cle)
        VALUES (?, ?)
        RETURNING id
        """,
        [f"Compte {next(_names)}", f"compte-{next(_names)}"],
    ).fetchone()
    assert row is not None
    return int(row[0])


def new_affaire(con: Connection, **fields: Any) -> int:
    """Insert an affaire with sensible defaults; a Gagnée closes on its date de signature."""
    values: dict[str, Any] = {
        "nom": f"Affaire {next(_names)}",
        "date_debut": D("2026-01-01"),
        "gestion_par": 1,
        "statut": "En cours",
        "etape": "Qualification",
        "type": "Nouveau",
    }
    values.update(fields)
    if "compte_id" not in values:
        values["compte_id"] = new_compte(con)
    if values["statut"] == "Gagnée":
        values.setdefault("total_ht", 0)
        values.setdefault("date_signature", values["date_debut"])
        values["date_cloture"] = values["date_signature"]
    elif values["statut"] != "En cours":
        values.setdefault("date_cloture", values["date_debut"])
    columns = list(values)
    row = con.execute(
        f"""
        INSERT INTO affaire ({", ".join(columns)})
        VALUES ({", ".join("?" for _ in columns)})
        RETURNING id
        """,
        list(values.values()),
    ).fetchone()
    assert row is not None
    return int(row[0])


def new_won(
    con: Connection, debut: dt.date, signee: dt.date, total_ht: float, **fields: Any
) -> int:
    """A Gagnée begun on debut and signed on signee for total_ht (new_affaire's defaults)."""
    return new_affaire(
        con, statut="Gagnée", date_debut=debut, date_signature=signee, total_ht=total_ht, **fields
    )


def new_action(
    con: Connection,
    affaire_id: int,
    date_action: dt.date,
    *,
    fait: bool = False,
    fait_le: dt.date | None = None,
    utilisateur_id: int = 1,
) -> None:
    con.execute(
        """
        INSERT INTO action (affaire_id, type, date_action, objet, fait, fait_le, utilisateur_id)
        VALUES (?, 'Téléphone', ?, 'Appel', ?, ?, ?)
        """,
        [affaire_id, date_action, fait, fait_le, utilisateur_id],
    )


def new_version(con: Connection, affaire_id: int, when: str, **changes: Any) -> None:
    """Append a version of the affaire written at noon on the day `when` (AAAA-MM-JJ): its
    previous version (else its row as inserted) with these fields changed. The affaire's row is
    left as it is: a case builds its past up to the row it inserted."""
    columns = ", ".join(AFFAIRE_FIELDS)
    latest = con.execute(
        f"""
        SELECT version, {columns}
        FROM affaire_version
        WHERE affaire_id = ?
        ORDER BY valid_from DESC, version DESC
        LIMIT 1
        """,
        [affaire_id],
    ).fetchone()
    if latest is None:
        latest = con.execute(
            f"SELECT 0, {columns} FROM affaire WHERE id = ?", [affaire_id]
        ).fetchone()
    assert latest is not None
    state = dict(zip(AFFAIRE_FIELDS, latest[1:], strict=True)) | changes
    con.execute(
        f"""
        INSERT INTO affaire_version (affaire_id, version, valid_from, written_by, {columns})
        VALUES (?, ?, ?, 1, {", ".join("?" for _ in AFFAIRE_FIELDS)})
        """,
        [
            affaire_id,
            int(latest[0]) + 1,
            dt.datetime.fromisoformat(f"{when}T12:00:00"),
            *state.values(),
        ],
    )


def rows(frame: Any) -> list[tuple[Any, ...]]:
    """The frame's rows as tuples, floats rounded to 6 places and NaN as None, for comparing."""

    def clean(value: Any) -> Any:
        if isinstance(value, float):
            return None if value != value else round(value, 6)
        if hasattr(value, "item"):
            return clean(value.item())
        return value

    return [tuple(clean(v) for v in row) for row in frame.itertuples(index=False)]


def new_named_user(con: Connection, login: str, nom: str) -> Actor:
    """A commercial with this login and full name (two may share a name)."""
    add_user(con, None, login, Role.COMMERCIAL.value, nom=nom)
    return get_actor(con, login)
