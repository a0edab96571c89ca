"""Text helpers shared by the data layer: folding names for matching, French dates in messages."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")

WHITESPACE_RE2 = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x10000)) if c.isspace())
"""The characters str.strip() trims, as the inside of a character class of RE2 (Arrow's
regular expressions): Arrow then trims a text exactly as Python does. Every one of them lies in
Unicode's first plane (the last is U+3000): the others are not looked at."""


# Bulk imports fold the same few names (comptes, étapes, users) on every row.
@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """The matching key of a name: lower case, no accents, single spaces, trimmed.

    "  Société  Générale " and "societe generale" fold to the same key.
    """
    decomposed = unicodedata.normalize("NFKD", storable(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped).strip().casefold()


def count_fr(count: int, one: str, many: str | None = None) -> str:
    """A count and its noun in French: « 1 ligne », « 0 ligne », « 8 800 lignes » (singular
    below two, thousands spaced by a narrow no-break space); many defaults to one + s."""
    return f"{whole_fr(count)} {one if count < 2 else (many or one + 's')}"


def whole_fr(count: int) -> str:
    """A whole number in French: thousands spaced by a narrow no-break space (« 8 800 »)."""
    return f"{count:,}".replace(",", "\u202f")


def date_fr(value: dt.date | None) -> str:
    """31/12/2026; empty for no date."""
    return value.strftime("%d/%m/%Y") if value else ""


def datetime_fr(value: dt.datetime | None) -> str:
    """31/12/2026 à 14:05; empty for no date."""
    return value.strftime("%d/%m/%Y à %H:%M") if value else ""


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """text as either engine can store it: a lone surrogate (not valid Unicode, refused by
    DuckDB) or a NUL character (refused in PostgreSQL's text) becomes the replacement character
    U+FFFD, on both engines alike."""
    return _UNSTORABLE.sub("\ufffd", text)


def like_pattern(text: str) -> str:
    """A LIKE pattern (to use with ESCAPE '\\') matching text anywhere, as plain characters:
    a % or _ typed in a search box is searched for, not a wildcard."""
    escaped = storable(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
