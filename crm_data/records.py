"""Pieces every entity module shares: optimistic locking, value coercion with French messages.

No entity logic here; each entity module owns its own rules and SQL.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from crm_data.model import ConflictError, NotFoundError, ValidationError
from crm_data.money import parse_amount
from crm_data.store.db import CONSTRAINT_ERRORS, Connection, is_duplicate_key, read
from crm_data.text import datetime_fr, storable

VERSIONED_TABLES = ("affaire", "compte", "contact", "action", "document", "projet")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLASH_ATTEMPTS = 3
_DUPLICATE_OR_CLASH: tuple[type[Exception], ...] = (*CONSTRAINT_ERRORS, ConflictError)

T = TypeVar("T")


def _is_clash(exc: ConflictError) -> bool:
    """True for DuckDB's clash of two transactions at the same instant, False for a stale save."""
    return exc.saved_by is None and exc.saved_at is None


def retry_clashes(write: Callable[[], T]) -> T:
    """Run a whole write transaction again when it clashed with another at the same instant
    (DuckDB's write conflict, which wrote nothing); a stale version is never retried.

    For writes whose outcome does not depend on what the user saw (an action added, a bulk
    reassignment): a save from a form must reach the user instead.
    """
    for _ in range(_CLASH_ATTEMPTS - 1):
        try:
            return write()
        except ConflictError as exc:
            if not _is_clash(exc):
                raise
    return write()


def check_version(cur: Connection, table: str, record_id: int, expected_version: int) -> None:
    """Refuse a save from a stale version, naming who saved meanwhile and when.

    Raises NotFoundError when the record is gone.
    """
    if table not in VERSIONED_TABLES:
        raise ValueError(f"not a versioned table: {table!r}")
    row = cur.execute(
        f"""
        SELECT t.version, t.updated_at, u.nom
        FROM {table} AS t
        LEFT JOIN utilisateur AS u ON u.id = t.updated_by
        WHERE t.id = ?
        """,
        [record_id],
    ).fetchone()
    if row is None:
        raise NotFoundError("Cette fiche n'existe plus : elle a été supprimée entre-temps.")
    version, saved_at, saved_by = int(row[0]), row[1], row[2]
    if version != expected_version:
        who = saved_by or "un autre utilisateur"
        raise ConflictError(
            f"{who} a enregistré cette fiche le {datetime_fr(saved_at)}, après que vous l'avez "
            "ouverte. Vos modifications n'ont pas été enregistrées : rechargez la fiche pour "
            "voir la version actuelle.",
            saved_by=saved_by,
            saved_at=saved_at,
        )


def refuse_duplicate(
    con: Connection,
    write: Callable[[], T],
    duplicate: Callable[[Connection], tuple[str, str] | None],
) -> T:
    """Run write; when it fails on a unique key, raise a ValidationError with the (field,
    message) that duplicate returns, read once the other session's row is committed.

    Two sessions creating the same name at the same instant both pass the check made before
    inserting; DuckDB then refuses the second (« Duplicate key » at the insert, even while the
    first is not committed yet, or a conflict at the commit; PostgreSQL makes the second wait for
    the first, then refuses it on the unique key). duplicate(cur) returns the
    refusal of the sequential case, or None; while it finds nothing, the write is tried again.
    """
    for _ in range(_CLASH_ATTEMPTS):
        try:
            return write()
        except _DUPLICATE_OR_CLASH as exc:
            if isinstance(exc, ConflictError) and not _is_clash(exc):
                raise
            if isinstance(exc, CONSTRAINT_ERRORS) and not is_duplicate_key(exc):
                raise
            with read(con) as cur:
                refusal = duplicate(cur)
            if refusal is not None:
                raise ValidationError([refusal]) from exc
    raise ConflictError(
        "Une autre session enregistrait la même valeur au même instant : réessayez.",
        saved_by=None,
        saved_at=None,
    )


def as_text(value: object) -> str | None:
    """Trimmed text, None when empty."""
    if value is None:
        return None
    text = storable(str(value)).strip()
    return text or None


def as_date(value: object) -> dt.date | None:
    """A date from a date, a datetime or an ISO string; ValueError with a French message else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("date invalide")


def as_amount(value: object) -> Decimal | None:
    """An amount rounded half-up to the cent (crm_data.money's one parser); ValueError with a
    French message when not a number."""
    return parse_amount(value)


def as_int(value: object) -> int | None:
    """A whole number; ValueError when the value is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("nombre entier attendu")
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value) or value != int(value):
            raise ValueError("nombre entier attendu")
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        number = int(value)
    # Ids and percentages are stored as BIGINT at most: a larger number is not one of ours.
    if number is None or abs(number) >= 2**63:
        raise ValueError("nombre entier attendu")
    return number


def valid_email(value: str | None) -> bool:
    """True for an empty value or a plausible address."""
    return not value or bool(_EMAIL.match(value))
