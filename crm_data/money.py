"""Amounts and percentages: the one parser of each and the one rounding rule (half-up to the
cent, French commercial rounding), used by the API, the forms, the documents and every import.

An amount stays an exact Decimal from input to storage: a float is read through its shortest
decimal form (10.005 stays 10.005, never 10.00499999…), and rounding happens once, here.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
_MAX_PERCENT = Decimal(10**9)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def round_cents(value: Decimal) -> Decimal:
    """value rounded half-up to the cent: 10.005 → 10.01, -10.005 → -10.01."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value: object) -> Decimal | None:
    """An amount rounded to the cent from a Decimal, an int, a float or a text (`1234.5`,
    `1 234,50`, `1 234,50 €`); None when empty; ValueError with a French message else.

    In a text where both `,` and `.` appear, the last one is the decimal point.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"Montant invalide « {value} » : attendu par exemple 1 234,50.")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # repr is the shortest text that reads back as the same float: what was typed.
        amount = Decimal(repr(value))
    else:
        parsed = _parse_text(str(value))
        if parsed is None:
            return None
        amount = parsed
    if not amount.is_finite():
        raise ValueError(f"Montant invalide « {value} » : attendu par exemple 1 234,50.")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"Montant trop grand « {value} ».")
    return round_cents(amount)


def _parse_text(text: str) -> Decimal | None:
    raw = text.strip()
    cleaned = _SPACES.sub("", raw.removesuffix("€").removesuffix("EUR"))
    if not cleaned:
        if raw:
            raise ValueError(f"Montant invalide « {raw} » : attendu par exemple 1 234,50.")
        return None
    if "," in cleaned and "." in cleaned:
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"Montant invalide « {raw} » : attendu par exemple 1 234,50.")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"Montant invalide « {raw} ».") from None


def parse_percent(value: object) -> int | None:
    """A whole percentage from an int, a whole float or Decimal, or a text (`60`, `60 %`,
    `60,0 %`); None when empty; ValueError with a French message else. Bounds (0–100) are the
    caller's rule: this reads the number only.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"Réussite invalide « {value} » : attendu un pourcentage, ex. 60 %.")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
    else:
        raw = str(value).strip()
        cleaned = _SPACES.sub("", raw).removesuffix("%").replace(",", ".")
        if not cleaned:
            if raw:
                raise ValueError(f"Réussite invalide « {raw} » : attendu un pourcentage, ex. 60 %.")
            return None
        if not _NUMBER.fullmatch(cleaned):
            raise ValueError(f"Réussite invalide « {raw} » : attendu un pourcentage, ex. 60 %.")
        number = Decimal(cleaned)
    if not number.is_finite() or abs(number) > _MAX_PERCENT:
        raise ValueError(f"Réussite invalide « {value} » : attendu un pourcentage, ex. 60 %.")
    if number != number.to_integral_value():
        raise ValueError(f"Réussite invalide « {value} » : un pourcentage entier est attendu.")
    return int(number)
