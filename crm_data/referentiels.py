"""Reference lists an admin edits: étapes (order, default réussite, days without activity before
an affaire is dormant), codes clôture (category), familles d'article. A value in use is
deactivated, never deleted; a rename carries the affaires.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crm_data.model import (
    Actor,
    CategorieCloture,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from crm_data.records import refuse_duplicate
from crm_data.rights import check_actor
from crm_data.store.db import Connection, read, transaction
from crm_data.text import count_fr

REFERENTIELS = ("etape", "code_cloture", "famille_article")
"""Each is a table named like the affaire column that holds its values."""

_EXTRA_COLUMNS = {
    "etape": ("ordre", "reussite_defaut", "jours_sans_activite"),
    "code_cloture": ("categorie",),
    "famille_article": (),
}
_OPTIONAL = ("jours_sans_activite",)
"""Columns a caller may leave out: an insert leaves them empty, an update as they are."""
MAX_JOURS_SANS_ACTIVITE = 3650
_ORDER = {"etape": "ordre", "code_cloture": "nom", "famille_article": "nom"}


@dataclass(frozen=True)
class Etape:
    nom: str
    ordre: int
    reussite_defaut: int
    actif: bool = True
    jours_sans_activite: int | None = None
    """Days without activity after which an open affaire in this étape is dormant (SPEC §3);
    None: never."""


def _check_name(referentiel: str) -> None:
    if referentiel not in REFERENTIELS:
        raise ValueError(f"unknown referentiel {referentiel!r}")


def use_counts(con: Connection, lists: tuple[str, ...] = REFERENTIELS) -> dict[str, dict[str, int]]:
    """For each reference list of lists, how many affaires use each of its values (a value no
    affaire uses is absent), counted in one scan of the affaires."""
    for referentiel in lists:
        _check_name(referentiel)
    # The column names come from the allow-list above, never from the caller.
    sets = ", ".join(f"({r})" for r in lists)
    groups = ", ".join(f"GROUPING({r}) AS g_{r}" for r in lists)
    with read(con) as cur:
        frame = cur.execute(
            f"""
            SELECT {", ".join(lists)}, {groups}, count(*) AS utilisations
            FROM affaire
            GROUP BY GROUPING SETS ({sets})
            """
        ).df()
    counts: dict[str, dict[str, int]] = {}
    for referentiel in lists:
        own = frame[(frame[f"g_{referentiel}"] == 0) & frame[referentiel].notna()]
        counts[referentiel] = {
            str(v): int(n) for v, n in zip(own[referentiel], own["utilisations"], strict=True)
        }
    return counts


def _table(con: Connection, referentiel: str, active_only: bool) -> pd.DataFrame:
    """A reference list's rows (nom, its own columns, actif) in display order."""
    _check_name(referentiel)
    extra = "".join(f"{c}, " for c in _EXTRA_COLUMNS[referentiel])
    with read(con) as cur:
        return cur.execute(
            f"""
            SELECT nom, {extra}actif
            FROM {referentiel}
            WHERE actif OR NOT ?
            ORDER BY {_ORDER[referentiel]}
            """,
            [active_only],
        ).df()


def list_values(
    con: Connection,
    referentiel: str,
    *,
    active_only: bool = True,
    counts: dict[str, dict[str, int]] | None = None,
) -> pd.DataFrame:
    """A reference list as a frame (nom, its own columns, actif, utilisations) in display order.

    The uses are taken from counts (use_counts' answer, when a screen shows several lists),
    else counted for this list."""
    frame = _table(con, referentiel, active_only)
    uses = (counts or use_counts(con, (referentiel,)))[referentiel]
    frame["utilisations"] = [uses.get(str(n), 0) for n in frame["nom"]]
    frame["utilisations"] = frame["utilisations"].astype("int64")
    return frame


def names(con: Connection, referentiel: str, *, active_only: bool = True) -> list[str]:
    """The values of a reference list, in display order.

    Reads the list alone: screens call it on every run, and counting the uses would scan every
    affaire each time.
    """
    _check_name(referentiel)
    with read(con) as cur:
        rows = cur.execute(
            f"""
            SELECT nom
            FROM {referentiel}
            WHERE actif OR NOT ?
            ORDER BY {_ORDER[referentiel]}
            """,
            [active_only],
        ).fetchall()
    return [str(r[0]) for r in rows]


def list_etapes(con: Connection, *, active_only: bool = True) -> list[Etape]:
    """The étapes in their order."""
    frame = _table(con, "etape", active_only)
    return [
        Etape(
            str(nom), int(ordre), int(reussite), bool(actif), None if pd.isna(jours) else int(jours)
        )
        for nom, ordre, reussite, actif, jours in zip(
            frame["nom"],
            frame["ordre"],
            frame["reussite_defaut"],
            frame["actif"],
            frame["jours_sans_activite"],
            strict=True,
        )
    ]


def categories_cloture(con: Connection) -> dict[str, str]:
    """Code clôture → interne/externe, every code, active or not."""
    frame = _table(con, "code_cloture", False)
    return dict(zip(frame["nom"].astype(str), frame["categorie"].astype(str), strict=True))


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError("Seul un administrateur peut modifier les listes de référence.")


def _validate(referentiel: str, nom: str, attrs: dict[str, object]) -> None:
    errors: list[tuple[str, str]] = []
    if not nom.strip():
        errors.append(("nom", "Le libellé est obligatoire."))
    elif len(nom.strip()) > 100:
        errors.append(("nom", "100 caractères au plus."))
    if referentiel == "etape":
        reussite = attrs.get("reussite_defaut")
        if not isinstance(reussite, int) or not 0 <= reussite <= 100:
            errors.append(("reussite_defaut", "La réussite par défaut va de 0 à 100 %."))
        if not isinstance(attrs.get("ordre"), int):
            errors.append(("ordre", "L'ordre doit être un nombre entier."))
        jours = attrs.get("jours_sans_activite")
        if jours is not None and (
            not isinstance(jours, int) or not 1 <= jours <= MAX_JOURS_SANS_ACTIVITE
        ):
            errors.append(
                (
                    "jours_sans_activite",
                    f"Les jours sans activité vont de 1 à {MAX_JOURS_SANS_ACTIVITE}, ou restent "
                    "vides (jamais dormante).",
                )
            )
    if referentiel == "code_cloture" and attrs.get("categorie") not in {
        c.value for c in CategorieCloture
    }:
        errors.append(("categorie", "Choisissez « interne » ou « externe »."))
    if errors:
        raise ValidationError(errors)


def _clash(
    cur: Connection, referentiel: str, nom: str, old_nom: str | None, attrs: dict[str, object]
) -> tuple[str, str] | None:
    """The refusal of a name (case aside) or an étape's order another value has, or None."""
    clash = cur.execute(
        f"""
        SELECT nom
        FROM {referentiel}
        WHERE lower(nom) = lower(?)
          AND nom IS DISTINCT FROM ?
        """,
        [nom, old_nom],
    ).fetchone()
    if clash:
        return ("nom", f"« {clash[0]} » existe déjà.")
    if referentiel == "etape":
        order_clash = cur.execute(
            """
            SELECT nom
            FROM etape
            WHERE ordre = ?
              AND nom IS DISTINCT FROM ?
            """,
            [attrs["ordre"], old_nom],
        ).fetchone()
        if order_clash:
            return ("ordre", f"L'ordre {attrs['ordre']} est déjà celui de « {order_clash[0]} ».")
    return None


def insert_value(
    cur: Connection,
    actor: Actor,
    referentiel: str,
    nom: str,
    *,
    actif: bool = True,
    **attrs: object,
) -> None:
    """Create a value inside the caller's transaction: admin only, the value checked, a name
    (case aside) or an étape's order another value has refused. The caller has checked the
    actor (rights.check_actor) in it.

    attrs: ordre and reussite_defaut for étapes, categorie for codes clôture.
    """
    _check_name(referentiel)
    _require_admin(actor)
    nom = nom.strip()
    _validate(referentiel, nom, attrs)
    refusal = _clash(cur, referentiel, nom, None, attrs)
    if refusal:
        raise ValidationError([refusal])
    _insert_row(cur, referentiel, nom, actif, attrs)


def _given_columns(referentiel: str, attrs: dict[str, object]) -> tuple[str, ...]:
    return tuple(c for c in _EXTRA_COLUMNS[referentiel] if c in attrs or c not in _OPTIONAL)


def _insert_row(
    cur: Connection, referentiel: str, nom: str, actif: bool, attrs: dict[str, object]
) -> None:
    columns = _given_columns(referentiel, attrs)
    cur.execute(
        f"""
        INSERT INTO {referentiel} (nom, {"".join(c + ", " for c in columns)}actif)
        VALUES ({", ".join("?" for _ in range(len(columns) + 2))})
        """,
        [nom, *(attrs[c] for c in columns), actif],
    )


def _kept_optional(
    cur: Connection, referentiel: str, nom: str, attrs: dict[str, object]
) -> dict[str, object]:
    """The optional columns attrs leaves out, as the value `nom` has them now."""
    missing = [c for c in _OPTIONAL if c in _EXTRA_COLUMNS[referentiel] and c not in attrs]
    if not missing:
        return {}
    row = cur.execute(
        f"""
        SELECT {", ".join(missing)}
        FROM {referentiel}
        WHERE nom = ?
        """,
        [nom],
    ).fetchone()
    return dict(zip(missing, row or [None] * len(missing), strict=True))


def save_value(
    con: Connection,
    actor: Actor,
    referentiel: str,
    nom: str,
    *,
    old_nom: str | None = None,
    actif: bool = True,
    **attrs: object,
) -> None:
    """Create a value (old_nom None) or change one; a rename updates the affaires and versions.

    attrs: ordre, reussite_defaut and (optional) jours_sans_activite for étapes, categorie for
    codes clôture.
    """
    _check_name(referentiel)
    _require_admin(actor)
    nom = nom.strip()
    _validate(referentiel, nom, attrs)
    columns = _given_columns(referentiel, attrs)
    values = [attrs[c] for c in columns]

    def write() -> None:
        with transaction(con) as cur:
            check_actor(cur, actor)
            if old_nom is None:
                insert_value(cur, actor, referentiel, nom, actif=actif, **attrs)
                return
            refusal = _clash(cur, referentiel, nom, old_nom, attrs)
            if refusal:
                raise ValidationError([refusal])
            found = cur.execute(
                f"""
                SELECT count(*)
                FROM {referentiel}
                WHERE nom = ?
                """,
                [old_nom],
            ).fetchone()
            if not found or not found[0]:
                raise NotFoundError(f"« {old_nom} » introuvable.")
            if nom != old_nom:
                # No foreign key ties affaires to the list (the primary key could not change while
                # referenced): the affaires and their versions follow the rename here.
                kept = _kept_optional(cur, referentiel, old_nom, attrs)
                cur.execute(
                    f"""
                    DELETE FROM {referentiel}
                    WHERE nom = ?
                    """,
                    [old_nom],
                )
                _insert_row(cur, referentiel, nom, actif, {**attrs, **kept})
                cur.execute(
                    f"""
                    UPDATE affaire
                    SET {referentiel} = ?
                    WHERE {referentiel} = ?
                    """,
                    [nom, old_nom],
                )
                # A rename relabels the past too: the one change ever made to written versions.
                cur.execute(
                    f"""
                    UPDATE affaire_version
                    SET {referentiel} = ?
                    WHERE {referentiel} = ?
                    """,
                    [nom, old_nom],
                )
                return
            assignments = "".join(f", {c} = ?" for c in columns)
            cur.execute(
                f"""
                UPDATE {referentiel}
                SET actif = ?{assignments}
                WHERE nom = ?
                """,
                [actif, *values, nom],
            )

    refuse_duplicate(con, write, lambda cur: _clash(cur, referentiel, nom, old_nom, attrs))


def delete_value(con: Connection, actor: Actor, referentiel: str, nom: str) -> None:
    """Delete an unused value; a value some affaire uses is refused (deactivate it instead)."""
    _check_name(referentiel)
    _require_admin(actor)
    with transaction(con) as cur:
        check_actor(cur, actor)
        used = cur.execute(
            f"""
            SELECT count(*)
            FROM affaire
            WHERE {referentiel} = ?
            """,
            [nom],
        ).fetchone()
        if used and used[0]:
            raise ValidationError(
                [
                    (
                        "nom",
                        f"« {nom} » est utilisé par {count_fr(int(used[0]), 'affaire')} : "
                        "désactivez-le plutôt que de le supprimer.",
                    )
                ]
            )
        cur.execute(
            f"""
            DELETE FROM {referentiel}
            WHERE nom = ?
            """,
            [nom],
        )
