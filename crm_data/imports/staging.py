"""Import rows staged as typed Arrow columns, as crm_data.validation reads one row's cells: the
first step of crm_data.imports.set_validation, which then applies SPEC §1's rules in SQL.

Each distinct text of a field is read once per import (the one parser of its kind, then
validation's coerce; a CellCache keeps what earlier chunks read), the plain amounts by Arrow,
and each distinct pair of compte and contact cells resolved once to ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crm_data.files.canonical import TextChunk
from crm_data.imports.bulk import ARROW_TYPES
from crm_data.model import AFFAIRE_AMOUNT_FIELDS, AFFAIRE_FIELDS, Statut, TypeAffaire
from crm_data.text import WHITESPACE_RE2
from crm_data.validation import Lookups, canonical_value, coerce

_LISTS = ("statut", "etape", "type", "code_cloture", "famille_article")
ReadCell = Callable[[str, str], Any]
"""A cell's text → the value validate is given (ValueError in French when unreadable)."""
Links = Callable[[list[str], list[str], list[tuple[int, int]]], list[tuple[int | None, int | None]]]
"""The distinct compte cells and contact cells of a chunk, and its distinct pairs (positions in
those lists, in order of first appearance) → each pair's compte and contact ids (provisional ids
below zero for those to create), as crm_data.imports.names.pair_links gives them."""


_SEPARATOR = r"[ \x{a0}\x{202f}]"
_PLAIN_AMOUNT = (
    rf"^-?[0-9]{{1,3}}(?:{_SEPARATOR}?[0-9]{{3}}){{0,3}}(?:[.,][0-9]{{1,2}})?(?:{_SEPARATOR}?€)?$"
)
"""Amounts in the usual forms (`1 234,50 €`, `-5`, `1234.5`), at most 12 digits and 2 decimals:
read by Arrow exactly as crm_data.money.parse_amount reads them (spaces and € dropped, the
comma a decimal point, nothing to round nor too large); any other text goes through it."""
_AMOUNT_DECORATIONS = (" ", "\u00a0", "\u202f", "€")
"""What _PLAIN_AMOUNT allows around the digits (its _SEPARATOR and the euro sign)."""


@dataclass(frozen=True)
class _Cell:
    value: Any
    problem: str | None
    bad: bool


_TEXT_ONLY = ("nom",)
"""Fields that read gives back as their text and coerce only trims (as_text, which cannot
refuse a text): typed in one pass, not once per distinct text (a name is rarely repeated)."""
_UNSTORABLE = r"\x00"
"""What text.storable replaces in a text Arrow holds (valid UTF-8: no lone surrogate)."""
_EDGE_SPACES = f"^[{WHITESPACE_RE2}]+|[{WHITESPACE_RE2}]+$"
_KINDS = {**ARROW_TYPES, "reussite": pa.int64(), "gestion_par": pa.int64()}
_CACHED_TEXTS = 10_000
"""Distinct texts of a field whose reading a CellCache keeps (a field's dates, users, list
values repeat from chunk to chunk; its notes rarely do): memory stays bounded."""


class CellCache:
    """What an import's earlier chunks read, for the next ones (reading depends only on the
    lookups and names of the import, which do not change while it runs): the cells by field
    and text, each text then read once per import rather than once per chunk; and the pairs of
    compte and contact cells already resolved to ids in the base (no provisional id), as Arrow
    columns (_PairCache)."""

    def __init__(self) -> None:
        self.cells: dict[str, dict[str, _Cell]] = {}
        self.pairs = _PairCache()


_CODE_SPAN = 1 << 31
"""A pair's number: its compte cell's code times this, plus its contact cell's code."""
_CACHED_PAIRS = 500_000
"""Distinct pairs (and their distinct cells) a _PairCache keeps before it starts afresh."""


class _PairCache:
    """Pairs of compte and contact cells resolved to ids of the base, each pair a number (its
    compte cell's code, then its contact cell's), looked up for a whole chunk by Arrow."""

    def __init__(self) -> None:
        self.comptes: dict[str, int] = {}
        self.contacts: dict[str, int] = {}
        self.codes = pa.array([], pa.int64())
        self.ids = (pa.array([], pa.int64()), pa.array([], pa.int64()))

    def _forget(self) -> None:
        self.comptes.clear()
        self.contacts.clear()
        self.codes = pa.array([], pa.int64())
        self.ids = (pa.array([], pa.int64()), pa.array([], pa.int64()))

    def encode(self, comptes: pa.Array, contacts: pa.Array) -> pa.Array:
        """Each row's pair as a number, the cells coded in order of first appearance."""
        if max(len(self.comptes), len(self.contacts), len(self.codes)) > _CACHED_PAIRS:
            self._forget()
        return pc.add(
            pc.multiply(self._codes(comptes, self.comptes), _CODE_SPAN),
            self._codes(contacts, self.contacts),
        )

    @staticmethod
    def _codes(texts: pa.Array, known: dict[str, int]) -> pa.Array:
        distinct = pc.unique(texts)
        codes = [known.setdefault(text, len(known)) for text in distinct.to_pylist()]
        return pc.take(pa.array(codes, pa.int64()), pc.index_in(texts, value_set=distinct))

    def keep(self, codes: pa.Array, comptes: pa.Array, contacts: pa.Array) -> None:
        """Remember the pairs codes resolved to comptes and contacts of the base."""
        real = pc.and_(
            pc.fill_null(pc.greater_equal(comptes, 0), True),
            pc.fill_null(pc.greater_equal(contacts, 0), True),
        )
        self.codes = pa.concat_arrays([self.codes, codes.filter(real)])
        self.ids = (
            pa.concat_arrays([self.ids[0], comptes.filter(real)]),
            pa.concat_arrays([self.ids[1], contacts.filter(real)]),
        )


def stage(
    chunk: TextChunk, lookups: Lookups, read: ReadCell, links: Links, cache: CellCache
) -> tuple[dict[str, pa.Array], dict[int, list[tuple[str, str]]]]:
    """The staging columns of a chunk, built a field at a time (each distinct text read once),
    and the rows' reading problems by row index, in the order of each row's cells."""
    defaults = {
        "statut": canonical_value("statut", Statut.EN_COURS.value, lookups),
        "etape": canonical_value("etape", lookups.first_etape, lookups),
        "type": canonical_value("type", TypeAffaire.NOUVEAU.value, lookups),
    }
    columns: dict[str, pa.Array] = {"idx": pa.array(range(len(chunk)), pa.int64())}
    unread: dict[int, dict[str, str]] = {}
    for name in AFFAIRE_FIELDS:
        if name in ("compte_id", "contact_id"):
            continue
        texts = chunk.text(name)
        if name in _TEXT_ONLY:
            columns[name] = _trimmed(texts)
            continue
        known = cache.cells.setdefault(name, {})
        columns.update(_typed_column(name, texts, (lookups, read, defaults), known, unread))
    columns.update(_linked(chunk, links, cache.pairs))
    problems: dict[int, list[tuple[str, str]]] = {}
    for index in sorted(chunk.problems.keys() | unread.keys()):
        found = unread.get(index, {})
        problems[index] = [
            *chunk.problems.get(index, []),
            *((name, found[name]) for name in chunk.fields_of(index) if name in found),
        ]
    return columns, problems


def _typed_column(
    name: str,
    texts: pa.Array,
    reading: tuple[Lookups, ReadCell, dict[str, str | None]],
    known: dict[str, _Cell],
    unread: dict[int, dict[str, str]],
) -> dict[str, pa.Array]:
    """The typed column of field name (and its flags): each distinct text read once (_read,
    with lookups, read and the defaults; known: the cells read before), the plain amounts by
    Arrow; the rows whose text could not be read get their problem in unread."""
    lookups, read, defaults = reading
    plain = _plain_amounts(texts) if name in AFFAIRE_AMOUNT_FIELDS else None
    distinct = pc.unique(texts if plain is None else pc.if_else(plain[0], None, texts))
    distinct = distinct.drop_null()
    cells = []
    for text in distinct.to_pylist():
        cell = known.get(text)
        if cell is None:
            cell = _read(name, text, lookups, read, defaults)
            if len(known) < _CACHED_TEXTS:
                known[text] = cell
        cells.append(cell)
    # The absent cell (no text) is the last one: its default.
    cells.append(_Cell(defaults.get(name), None, False))
    position = pc.fill_null(pc.index_in(texts, value_set=distinct), len(cells) - 1)
    if any(cell.problem is not None for cell in cells):
        messages = pc.take(pa.array([c.problem for c in cells], pa.string()), position)
        for index in pc.indices_nonzero(pc.is_valid(messages)).to_pylist():
            unread.setdefault(index, {})[name] = messages[index].as_py()
    kind = _KINDS.get(name, pa.string())
    column = pc.take(pa.array([c.value for c in cells], kind), position)
    typed = {name: column if plain is None else pc.if_else(plain[0], plain[1], column)}
    if name in ("date_debut", "gestion_par", "reussite", "date_signature"):
        bad = pc.take(pa.array([c.bad for c in cells], pa.bool_()), position)
        if name == "date_signature":
            typed["date_signature_explicit"] = pc.and_(pc.is_valid(texts), pc.invert(bad))
        else:
            typed[f"{name}_bad"] = bad
    return typed


def _trimmed(texts: pa.Array) -> pa.Array:
    """records.as_text of each text, by Arrow: the unstorable characters replaced, trimmed of
    what str.strip() trims, NULL when nothing is left."""
    stored = pc.replace_substring_regex(texts, _UNSTORABLE, "\ufffd")
    trimmed = pc.replace_substring_regex(stored, _EDGE_SPACES, "")
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _linked(chunk: TextChunk, links: Links, cache: _PairCache) -> dict[str, pa.Array]:
    """Each row's compte and contact ids, and the compte of the contacts to create: links called
    for the distinct pairs of cells not already in cache, in order of first appearance, as row
    by row (the provisional ids are the same)."""
    comptes = pc.fill_null(chunk.text("compte_id"), "")
    contacts = pc.fill_null(chunk.text("contact_id"), "")
    pair = cache.encode(comptes, contacts)
    distinct = pc.unique(pair)
    found = pc.index_in(distinct, value_set=cache.codes)
    compte_ids = pc.take(cache.ids[0], found)
    contact_ids = pc.take(cache.ids[1], found)
    missed = distinct.filter(pc.is_null(found))
    if len(missed):
        first = pc.index_in(missed, value_set=pair)
        compte_texts = pc.take(comptes, first).to_pylist()
        contact_texts = pc.take(contacts, first).to_pylist()
        compte_list, contact_list = (
            list(dict.fromkeys(compte_texts)),
            list(dict.fromkeys(contact_texts)),
        )
        compte_at = {text: i for i, text in enumerate(compte_list)}
        contact_at = {text: i for i, text in enumerate(contact_list)}
        resolved = links(
            compte_list,
            contact_list,
            [
                (compte_at[c], contact_at[k])
                for c, k in zip(compte_texts, contact_texts, strict=True)
            ],
        )
        new_comptes = pa.array([c for c, _ in resolved], pa.int64())
        new_contacts = pa.array([k for _, k in resolved], pa.int64())
        cache.keep(missed, new_comptes, new_contacts)
        at = pc.index_in(distinct, value_set=missed)
        compte_ids = pc.coalesce(compte_ids, pc.take(new_comptes, at))
        contact_ids = pc.coalesce(contact_ids, pc.take(new_contacts, at))
    position = pc.index_in(pair, value_set=distinct)
    compte_ids, contact_ids = pc.take(compte_ids, position), pc.take(contact_ids, position)
    new = pc.less(contact_ids, 0)
    return {
        "compte_id": compte_ids,
        "contact_id": contact_ids,
        "new_contact_compte": pc.if_else(new, compte_ids, pa.scalar(None, pa.int64())),
    }


def _plain_amounts(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Which texts are plain amounts (_PLAIN_AMOUNT), and their values (NULL for the others)."""
    mask = pc.fill_null(pc.match_substring_regex(column, _PLAIN_AMOUNT), False)
    # Literal replacements: several passes, each far faster than one of a regular expression.
    digits = column
    for dropped in _AMOUNT_DECORATIONS:
        digits = pc.replace_substring(digits, dropped, "")
    digits = pc.replace_substring(digits, ",", ".")
    return mask, pc.cast(pc.if_else(mask, digits, None), ARROW_TYPES["total_ht"])


def _read(
    name: str, text: str, lookups: Lookups, read: ReadCell, defaults: dict[str, str | None]
) -> _Cell:
    """One cell as validate sees it: read (an unreadable text is passed on as text), then
    coerced; bad when coerce refuses it too, so that the field gets no value nor default."""
    problem: str | None = None
    try:
        given = read(name, text)
    except ValueError as exc:
        given, problem = text, str(exc)
    typed, errors = coerce({name: given})
    if errors:
        return _Cell(None, problem, True)
    value = typed.get(name)
    if name in _LISTS:
        value = canonical_value(name, value or defaults.get(name), lookups)
    return _Cell(value, problem, False)
