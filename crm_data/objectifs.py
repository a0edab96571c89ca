"""Objectifs (SPEC §3 A14): a monthly target of CA signé per commercial, set by managers and
admins, every change kept in objectif_historique; reading, the grid's all-or-nothing save, the
copy of a year onto the next. A commercial reads only their own objectifs and sets none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from crm_data.model import Actor, PermissionDeniedError, Role, ValidationError
from crm_data.money import parse_amount
from crm_data.rights import check_actor
from crm_data.store.db import Connection, dialect, read, transaction
from crm_data.store.sql import USER_LABELS, in_ids, month_text, year_of

MONTH_NAMES = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
"""The French short month names, January first (« déc. 2026 »)."""

_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})(?:-01)?")
_FR_MONTH = re.compile(r"(?:01/)?(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Change:
    """One objectif to set: a user, a month (its first day) and an amount (None removes it)."""

    utilisateur_id: int
    mois: dt.date
    montant: Decimal | None


def parse_month(text: str) -> dt.date:
    """The first day of the month written `AAAA-MM` or `MM/AAAA` (a first day `AAAA-MM-01` or
    `01/MM/AAAA`, as a spreadsheet's date cell reads, too); ValueError in French else."""
    raw = text.strip()
    iso, french = _ISO_MONTH.fullmatch(raw), _FR_MONTH.fullmatch(raw)
    if iso:
        year, month = int(iso.group(1)), int(iso.group(2))
    elif french:
        year, month = int(french.group(2)), int(french.group(1))
    else:
        raise ValueError(f"Mois invalide « {raw} » : attendu AAAA-MM ou MM/AAAA (2026-03).")
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(f"Mois invalide « {raw} » : attendu AAAA-MM ou MM/AAAA (2026-03).")
    return dt.date(year, month, 1)


def parse_objectif(value: object) -> Decimal | None:
    """An objectif typed as text or given as a number, rounded to the cent; None when empty;
    ValueError in French for a non-numeric or negative amount."""
    amount = parse_amount(value)
    if amount is not None and amount < 0:
        raise ValueError(
            f"Objectif négatif « {str(value).strip()} » : "
            "un objectif est un montant positif ou nul."
        )
    return amount


def _require_setter(actor: Actor) -> None:
    if not actor.sees_everything:
        raise PermissionDeniedError("Seuls les managers et administrateurs fixent les objectifs.")


def list_objectifs(con: Connection, actor: Actor, du: dt.date, au: dt.date) -> pd.DataFrame:
    """The objectifs of the months from du's to au's: utilisateur_id, gestion_par (the name
    shown), mois (the month's first day), montant (a float: parse_amount gives it back exact),
    ordered by name and month. A commercial gets only their own."""
    with read(con) as cur:
        return cur.execute(
            f"""
            SELECT o.utilisateur_id, u.nom AS gestion_par, o.mois, o.montant
            FROM objectif AS o
            JOIN {USER_LABELS} AS u ON u.id = o.utilisateur_id
            WHERE o.mois BETWEEN $du AND $au
              AND (CAST($sees_everything AS BOOLEAN) OR o.utilisateur_id = $actor_id)
            ORDER BY u.nom, o.utilisateur_id, o.mois
            """,
            {
                "du": du.replace(day=1),
                "au": au,
                "sees_everything": actor.sees_everything,
                "actor_id": actor.id,
            },
        ).df()


def grid(con: Connection, actor: Actor, year: int) -> pd.DataFrame:
    """The objectifs of a year as a grid for managers and admins: one row per active commercial
    and per other user holding an objectif that year (a commercial who left keeps their line),
    by name: utilisateur_id, gestion_par, then one column per month `AAAA-MM` (the amount
    as a float, or None)."""
    _require_setter(actor)
    with read(con) as cur:
        users = cur.execute(
            f"""
            SELECT u.id AS utilisateur_id, u.nom AS gestion_par
            FROM {USER_LABELS} AS u
            JOIN utilisateur AS p ON p.id = u.id
            WHERE (p.actif AND p.role = $commercial)
               OR u.id IN (SELECT utilisateur_id FROM objectif WHERE {year_of("mois")} = $year)
            ORDER BY u.nom, u.id
            """,
            {"commercial": Role.COMMERCIAL.value, "year": year},
        ).df()
    found = list_objectifs(con, actor, dt.date(year, 1, 1), dt.date(year, 12, 31))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    frame = users.copy()
    values = {
        (int(u), m.strftime("%Y-%m")): a
        for u, m, a in found[["utilisateur_id", "mois", "montant"]].itertuples(index=False)
    }
    for month in months:
        frame[month] = [values.get((int(u), month)) for u in frame["utilisateur_id"]]
    return frame


def set_objectifs(con: Connection, actor: Actor, changes: Iterable[Change]) -> int:
    """Set every change in one transaction (all or nothing) and keep each real change in
    objectif_historique (who, when, from what to what); returns how many objectifs changed.

    Managers and admins only. An amount must be ≥ 0; None removes the month's objectif. Every
    refused amount is listed (ValidationError) and nothing is written.
    """
    _require_setter(actor)
    wanted = list(changes)
    errors = [
        ("objectif", f"Objectif négatif pour le mois {c.mois:%Y-%m} : un montant positif ou nul.")
        for c in wanted
        if c.montant is not None and c.montant < 0
    ]
    if errors:
        raise ValidationError(errors)
    now = dt.datetime.now()
    with transaction(con) as cur:
        check_actor(cur, actor)
        if not wanted:
            return 0
        rows = cur.execute(
            f"""
            SELECT utilisateur_id, mois, montant
            FROM objectif
            WHERE {in_ids("utilisateur_id", "users")}
              AND mois = ANY(CAST($months AS DATE[]))
            """,
            {
                "users": sorted({c.utilisateur_id for c in wanted}),
                "months": sorted({c.mois for c in wanted}),
            },
        ).fetchall()
        saved = {(int(u), m): a for u, m, a in rows}
        latest = {(c.utilisateur_id, c.mois): c.montant for c in wanted}
        real = [(k, saved.get(k), v) for k, v in latest.items() if saved.get(k) != v]
        removed = [k for k, _, new in real if new is None]
        kept = [(k, new) for k, _, new in real if new is not None]
        for user_id, month in removed:
            cur.execute(
                """
                DELETE FROM objectif
                WHERE utilisateur_id = ?
                  AND mois = ?
                """,
                [user_id, month],
            )
        # One statement per kind of write, over lists zipped by unnest: a save of the whole
        # grid is 600 cells, a statement each would take seconds.
        if kept:
            cur.execute(
                """
                INSERT INTO objectif (utilisateur_id, mois, montant, updated_at, updated_by)
                SELECT unnest(CAST($users AS BIGINT[])), unnest(CAST($months AS DATE[])),
                       CAST(unnest(CAST($amounts AS VARCHAR[])) AS DECIMAL(14, 2)),
                       $now, $actor_id
                ON CONFLICT (utilisateur_id, mois)
                DO UPDATE SET montant = excluded.montant,
                              updated_at = excluded.updated_at,
                              updated_by = excluded.updated_by
                """,
                {
                    "users": [k[0] for k, _ in kept],
                    "months": [k[1] for k, _ in kept],
                    "amounts": [str(a) for _, a in kept],
                    "now": now,
                    "actor_id": actor.id,
                },
            )
        if real:
            cur.execute(
                """
                INSERT INTO objectif_historique
                    (utilisateur_id, mois, changed_at, changed_by, ancien, nouveau)
                SELECT unnest(CAST($users AS BIGINT[])), unnest(CAST($months AS DATE[])),
                       $now, $actor_id,
                       CAST(unnest(CAST($before AS VARCHAR[])) AS DECIMAL(14, 2)),
                       CAST(unnest(CAST($after AS VARCHAR[])) AS DECIMAL(14, 2))
                """,
                {
                    "users": [k[0] for k, _, _ in real],
                    "months": [k[1] for k, _, _ in real],
                    "before": [None if b is None else str(b) for _, b, _ in real],
                    "after": [None if a is None else str(a) for _, _, a in real],
                    "now": now,
                    "actor_id": actor.id,
                },
            )
    return len(real)


def copy_previous_year(con: Connection, actor: Actor, year: int) -> int:
    """Set each objectif of year − 1 on the same month of year (replacing what was there, each
    change kept in the history); returns how many objectifs changed. Managers and admins only."""
    _require_setter(actor)
    previous = list_objectifs(con, actor, dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31))
    return set_objectifs(
        con,
        actor,
        (
            Change(int(u), m.replace(year=year), parse_amount(a))
            for u, m, a in previous[["utilisateur_id", "mois", "montant"]].itertuples(index=False)
        ),
    )


def history(con: Connection, actor: Actor, year: int) -> pd.DataFrame:
    """Every change of the objectifs of a year, newest first: changed_at, changed_by (name),
    gestion_par (name), mois (AAAA-MM), ancien, nouveau (empty when there was none, or when it
    was removed). A commercial gets only the changes of their own objectifs."""
    with read(con) as cur:
        return cur.execute(
            f"""
            SELECT h.changed_at,
                   coalesce(w.nom, '') AS changed_by,
                   u.nom AS gestion_par,
                   {month_text(dialect(cur), "h.mois")} AS mois,
                   h.ancien,
                   h.nouveau
            FROM objectif_historique AS h
            JOIN {USER_LABELS} AS u ON u.id = h.utilisateur_id
            LEFT JOIN {USER_LABELS} AS w ON w.id = h.changed_by
            WHERE {year_of("h.mois")} = $year
              AND (CAST($sees_everything AS BOOLEAN) OR h.utilisateur_id = $actor_id)
            ORDER BY h.changed_at DESC, h.id DESC
            """,
            {"year": year, "sees_everything": actor.sees_everything, "actor_id": actor.id},
        ).df()


def month_label(mois: str) -> str:
    """`AAAA-MM` as the screen shows it: « déc. 2026 »."""
    return f"{MONTH_NAMES[int(mois[5:7]) - 1]} {mois[:4]}"


def read_grid(saved: pd.DataFrame, edited: pd.DataFrame) -> list[Change]:
    """The changes typed in a grid (`grid`'s frame, its month cells as text) against the saved
    one: a cell whose amount differs, emptied cells removing their objectif. ValidationError
    naming the commercial and the month of every bad cell (negative or not a number)."""
    months = [c for c in saved.columns if _ISO_MONTH.fullmatch(str(c))]
    changes: list[Change] = []
    errors: list[tuple[str, str]] = []
    before = {
        (int(u), month): value
        for month in months
        for u, value in zip(saved["utilisateur_id"], saved[month], strict=True)
    }
    for _, row in edited.iterrows():
        user_id = int(row["utilisateur_id"])
        for month in months:
            cell = row[month]
            text = "" if cell is None or (isinstance(cell, float) and cell != cell) else cell
            try:
                amount = parse_objectif(text)
            except ValueError as exc:
                errors.append((f"{row['gestion_par']}, {month_label(month)}", str(exc)))
                continue
            old = before.get((user_id, month))
            if amount != (None if pd.isna(old) else parse_amount(old)):
                changes.append(Change(user_id, parse_month(month), amount))
    if errors:
        raise ValidationError(errors)
    return changes
