"""The past of every affaire: its versions (whole states, append-only) and the record's
Historique derived from them, with the events of what hangs on it (documents, actions, projets).

Written by the affaire writes in their own transaction; affaire_version is read by the record's
Historique section and the analyses through time. Nothing here checks rights except the read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from crm_data.model import AFFAIRE_FIELDS, SCREEN_LABELS, Actor, Affaire, NotFoundError
from crm_data.store.db import Connection, read
from crm_data.store.sql import VISIBLE, visibility

VERSION_COLUMNS: tuple[str, ...] = ("affaire_id", "version", "valid_from", "written_by")
"""affaire_version's own columns; every field of AFFAIRE_FIELDS follows them."""


def version_select(**overrides: str) -> str:
    """The select list of the affaire row (aliased a) as a version: its id, version, last
    write's instant and author, then every field; overrides replace some by SQL expressions."""
    own = dict(
        zip(VERSION_COLUMNS, ("a.id", "a.version", "a.updated_at", "a.updated_by"), strict=True)
    )
    columns = {**own, **{name: f"a.{name}" for name in AFFAIRE_FIELDS}, **overrides}
    return ", ".join(columns[c] for c in (*VERSION_COLUMNS, *AFFAIRE_FIELDS))


VERSION_INSERT = f"INSERT INTO affaire_version ({', '.join((*VERSION_COLUMNS, *AFFAIRE_FIELDS))})"
"""The head of an INSERT ... SELECT into affaire_version, its columns in version_select's order."""


EVENT_LABELS = {"document": "Document", "action": "Action", "projet": "Projet"}
"""The child events kept in affaire_historique (champ), with their label in the Historique."""


def history_value(value: object) -> str | None:
    """How a field's value is shown in the history: ISO dates, plain decimals, ids as numbers."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def changes(old: Affaire | None, new: Affaire) -> list[tuple[str, str | None, str | None]]:
    """(champ, ancien, nouveau) for each field that differs; for a creation, each field set."""
    rows = []
    for name in AFFAIRE_FIELDS:
        before = history_value(getattr(old, name)) if old is not None else None
        after = history_value(getattr(new, name))
        if before != after:
            rows.append((name, before, after))
    return rows


def append_versions(cur: Connection, condition: str, params: dict[str, object]) -> None:
    """Append the current state of every affaire matching condition (SQL over alias a, values
    bound through params) as its newest version, in one INSERT ... SELECT.

    Called by every write right after it changed the rows, inside its transaction: the version
    is the row's version number, valid from its updated_at, written by its updated_by.
    """
    cur.execute(append_versions_sql(condition), params)


def append_versions_sql(condition: str) -> str:
    """The INSERT ... SELECT of append_versions, for a caller that runs it itself."""
    return f"""
        {VERSION_INSERT}
        SELECT {version_select()}
        FROM affaire AS a
        WHERE {condition}
        """


def record_version(cur: Connection, affaire_id: int) -> None:
    """Append the affaire's state, just written, as its newest version."""
    append_versions(cur, "a.id = $id", {"id": affaire_id})


def describe_child(table: str, values: dict[str, object]) -> str:
    """How a document, action or projet is named in the Historique: « Devis D-12 », « Mail :
    Relance devis », the projet's name."""
    if table == "document":
        return f"{values.get('type') or ''} {values.get('numero') or ''}".strip()
    if table == "action":
        return f"{values.get('type') or ''} : {values.get('objet') or ''}"
    return str(values.get("nom") or "")


def record_event(
    cur: Connection,
    affaire_id: int,
    actor_id: int,
    at: dt.datetime,
    kind: str,
    *,
    added: str | None = None,
    removed: str | None = None,
) -> None:
    """Note in the affaire's history that a document, action or projet (kind) was added (its
    description in added) or removed (in removed), inside the caller's transaction."""
    if kind not in EVENT_LABELS:
        raise ValueError(f"not a child event: {kind!r}")
    cur.execute(
        """
        INSERT INTO affaire_historique (affaire_id, changed_at, changed_by, champ, ancien, nouveau)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        [affaire_id, at, actor_id, kind, removed, added],
    )


_NAMED = {
    "compte_id": """
        SELECT id, nom
        FROM compte
        WHERE id IN ({ids})
    """,
    "contact_id": """
        SELECT id, trim(coalesce(prenom, '') || ' ' || nom)
        FROM contact
        WHERE id IN ({ids})
    """,
    "gestion_par": """
        SELECT id, nom
        FROM utilisateur
        WHERE id IN ({ids})
    """,
}


def affaire_history(con: Connection, actor: Actor, affaire_id: int) -> pd.DataFrame:
    """The affaire's history, newest first: changed_at, utilisateur, champ (its French label),
    ancien, nouveau, with compte, contact and user ids shown as names.

    Field rows come from consecutive versions (the first version lists each field set, as a
    creation); documents, actions and projets added or removed are listed too. Only for an
    affaire the actor may see; NotFoundError otherwise.
    """
    with read(con) as cur:
        # crm_data.affaires imports this module, so the rights check is a query of its own.
        visible = cur.execute(
            f"""
            SELECT count(*)
            FROM affaire AS a
            WHERE a.id = $id
              AND {VISIBLE}
            """,
            {"id": affaire_id, **visibility(actor)},
        ).fetchone()
        if not visible or not visible[0]:
            raise NotFoundError(f"Affaire n° {affaire_id} introuvable.")
        versions = cur.execute(
            f"""
            SELECT v.valid_from, v.written_by, {", ".join(f"v.{n}" for n in AFFAIRE_FIELDS)}
            FROM affaire_version AS v
            WHERE v.affaire_id = ?
            ORDER BY v.version
            """,
            [affaire_id],
        ).fetchall()
        events = cur.execute(
            """
            SELECT changed_at, changed_by, champ, ancien, nouveau
            FROM affaire_historique
            WHERE affaire_id = ?
            ORDER BY changed_at, id
            """,
            [affaire_id],
        ).fetchall()
        rows = _version_rows(versions) + [
            (at, by, EVENT_LABELS.get(str(c), str(c)), old, new) for at, by, c, old, new in events
        ]
        names = {
            champ: _names(cur, champ, {v for r in rows if r[2] == champ for v in (r[3], r[4])})
            for champ in _NAMED
        }
        users = names["gestion_par"] | _names(cur, "gestion_par", {r[1] for r in rows})
    shown = []
    # Newest first; rows of one instant in reverse order of writing, as they always were.
    for at, by, champ, old, new in reversed(rows):
        lookup = names.get(champ)
        if lookup is not None:
            old = lookup.get(old) if old is not None else None
            new = lookup.get(new) if new is not None else None
        label = SCREEN_LABELS.get(champ, champ)
        shown.append((at, users.get(str(by)) if by is not None else None, label, old, new))
    shown.sort(key=lambda r: r[0], reverse=True)
    return pd.DataFrame(shown, columns=["changed_at", "utilisateur", "champ", "ancien", "nouveau"])


_Row = tuple[object, object, str, str | None, str | None]


def _version_rows(versions: list[tuple[object, ...]]) -> list[_Row]:
    """(changed_at, changed_by, champ, ancien, nouveau) per field each version changed from the
    one before, in field order; the first version lists each field set (a creation)."""
    out: list[_Row] = []
    before: tuple[object, ...] | None = None
    for at, by, *state in versions:
        for i, name in enumerate(AFFAIRE_FIELDS):
            old = history_value(before[i]) if before is not None else None
            new = history_value(state[i])
            if old != new:
                out.append((at, by, name, old, new))
        before = tuple(state)
    return out


def _names(cur: Connection, champ: str, ids: set[object]) -> dict[str, str]:
    """The names of these compte, contact or user ids (as text), keyed by the id as text."""
    wanted = sorted({int(str(i)) for i in ids if i is not None and str(i).isdigit()})
    if not wanted:
        return {}
    rows = cur.execute(_NAMED[champ].format(ids=", ".join("?" for _ in wanted)), wanted)
    return {str(i): str(n) for i, n in rows.fetchall()}
