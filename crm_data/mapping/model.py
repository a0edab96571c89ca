"""Mappings from another CRM's columns and values to ours, kept by name in import_mapping.

`apply` turns source rows into canonical rows (field → text) that the importer validates; the
business rules of an import (outcome stages, closing dates, signed totals) are applied here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from crm_data.model import (
    AFFAIRE_DATE_FIELDS,
    AFFAIRE_FIELDS,
    AFFAIRE_LABELS,
    Statut,
    ValidationError,
)
from crm_data.text import fold

TARGET_FIELDS: tuple[str, ...] = (*AFFAIRE_FIELDS, "source_id")
"""What a source column can be mapped to: the affaire's fields and the source's record id."""

TARGET_LABELS: dict[str, str] = {**AFFAIRE_LABELS, "source_id": "Identifiant d'origine"}
VALUE_FIELDS = ("statut", "etape", "type", "famille_article", "code_cloture")
"""Fields whose source values are mapped one by one to ours."""

SANS_COMPTE_CHOICES = {
    "defaut": "les rattacher au compte par défaut",
    "ignorer": "les ignorer",
    "rejeter": "les rejeter",
}
DATE_FORMATS = {
    "auto": "JJ/MM/AAAA ou AAAA-MM-JJ",
    "us": "américain MM/JJ/AA ou MM/JJ/AAAA",
}
_OUTCOMES = {fold(s.value): s.value for s in Statut if s != Statut.EN_COURS}
_ISO_DAY = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_FR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?: .*)?")


@dataclass
class Mapping:
    """How one source's columns and values become ours.

    columns: source header → target field. values: field → {folded source value → our value};
    a source stage may map to an outcome statut (Gagnée, Perdue, Abandonnée). defaults: the
    value of a field the source leaves empty (the code clôture one on lost and abandoned rows
    only). reached: a date column whose filled value means
    that the deal reached a source stage (Maven's engage_date means "Engaging"). companions:
    kind → file name beside the source (comptes, equipes, produits, historique).
    """

    nom: str
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    sans_compte: str = "defaut"
    format_date: str = "auto"
    reached: dict[str, str] = field(default_factory=dict)
    creer_utilisateurs: bool = False
    creer_familles: bool = False
    companions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The definition as JSON text, as kept in import_mapping."""
        data = asdict(self)
        del data["nom"]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, nom: str, text: str) -> Mapping:
        """The mapping a definition describes; ValueError when it is not one."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a mapping definition is a JSON object")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "nom"}
        mapping = cls(nom=nom, **known)
        mapping.check()
        return mapping

    def check(self) -> None:
        """Raise ValidationError (French) when a column targets an unknown or repeated field."""
        errors: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        for column, target in self.columns.items():
            if target not in TARGET_FIELDS:
                errors.append(("columns", f"Champ inconnu « {target} » pour « {column} »."))
            elif target in seen:
                errors.append(
                    (
                        "columns",
                        f"« {seen[target]} » et « {column} » vont toutes deux dans "
                        f"« {TARGET_LABELS[target]} » : gardez-en une seule.",
                    )
                )
            seen[target] = column
        if self.sans_compte not in SANS_COMPTE_CHOICES:
            errors.append(("sans_compte", "Choix inconnu pour les lignes sans compte."))
        if self.format_date not in DATE_FORMATS:
            errors.append(("format_date", "Format de date inconnu."))
        if errors:
            raise ValidationError(errors)

    def value_for(self, name: str, raw: str) -> str:
        """Our value for a source value of field name: mapped when the mapping says, else as is."""
        return self.values.get(name, {}).get(fold(raw), raw)

    def headers(self) -> dict[str, str]:
        """Field → source column, for naming the column of an error."""
        return {target: column for column, target in self.columns.items()}


@dataclass
class MappedRow:
    """A source row turned canonical: its line, field → text, and the problems already found."""

    line: int
    values: dict[str, str]
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ApplyStats:
    """What apply did beyond a plain copy, for the import report."""

    rows: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    dates_corrigees: int = 0


@dataclass(frozen=True)
class EtapeRef:
    """An étape as apply needs it: name and default réussite, in étape order."""

    nom: str
    reussite: int


def apply(
    mapping: Mapping,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    etapes: Sequence[EtapeRef],
    *,
    stage_history: dict[str, list[str]] | None = None,
    stats: ApplyStats | None = None,
) -> Iterator[MappedRow]:
    """The canonical rows of the source rows, lazily, in order.

    A stage that is an outcome sets the statut and keeps the last open étape that can be
    inferred: from the stage history, else from a "reached" date, else from the probability,
    else the default étape. Total HT and date de signature exist only on a Gagnée; a closed
    row's closing date is its date fin when the source has no other. A date de début after the
    date fin (records loaded after the fact) is moved back to the date fin and counted.
    """
    stats = stats if stats is not None else ApplyStats()
    lookup = _Lookup(mapping, etapes)
    index = {column.strip(): i for i, column in enumerate(header)}
    columns = [(index[c], t) for c, t in mapping.columns.items() if c in index]
    reached = [(index[c], s) for c, s in mapping.reached.items() if c in index]
    for line, cells in rows:
        stats.rows += 1
        width = len(cells)
        raw = {t: text for i, t in columns if i < width and (text := cells[i].strip())}
        row = MappedRow(line, {})
        stages = [s for i, s in reached if i < len(cells) and cells[i].strip()]
        history = (stage_history or {}).get(raw.get("source_id", ""), [])
        _map_values(mapping, lookup, raw, row, [*stages, *history])
        if not row.values.get("compte_id"):
            if mapping.sans_compte == "ignorer":
                stats.skipped_lines.append(line)
                continue
            if mapping.sans_compte == "defaut" and mapping.defaults.get("compte_id"):
                row.values["compte_id"] = mapping.defaults["compte_id"]
        if not row.values.get("nom"):
            row.values["nom"] = _default_nom(row.values)
        _dates(mapping, row)
        if _closing_rules(row, mapping.defaults.get("code_cloture", ""), lookup):
            stats.dates_corrigees += 1
        yield row


class _Lookup:
    """What apply looks up for every row, computed once per import: the étapes' order by folded
    name, and each distinct source value's mapped value (a source has few distinct values in
    its mapped fields, each folded once rather than once a row)."""

    def __init__(self, mapping: Mapping, etapes: Sequence[EtapeRef]) -> None:
        self.mapping = mapping
        self.etapes = etapes
        self.order = {fold(e.nom): i for i, e in enumerate(etapes)}
        self._values: dict[tuple[str, str], str] = {}
        self._folds: dict[str, str] = {}

    def value(self, name: str, text: str) -> str:
        key = (name, text)
        found = self._values.get(key)
        if found is None:
            found = self.mapping.value_for(name, text)
            if len(self._values) < _LOOKUP_LIMIT:
                self._values[key] = found
        return found

    def fold(self, text: str) -> str:
        found = self._folds.get(text)
        if found is None:
            found = fold(text)
            if len(self._folds) < _LOOKUP_LIMIT:
                self._folds[text] = found
        return found


_LOOKUP_LIMIT = 10_000
"""Distinct texts a _Lookup keeps at most (beyond, a value is mapped again each time)."""


def _map_values(
    mapping: Mapping,
    lookup: _Lookup,
    raw: dict[str, str],
    row: MappedRow,
    stages: list[str],
) -> None:
    for name, text in raw.items():
        row.values[name] = lookup.value(name, text) if name in mapping.values else text
    for name, value in mapping.defaults.items():
        if name not in ("compte_id", "code_cloture") and not row.values.get(name):
            row.values[name] = value
    outcome = _OUTCOMES.get(lookup.fold(row.values.get("etape", "")))
    if outcome is None:
        return
    if "statut" not in raw:
        row.values["statut"] = outcome
    etapes, order = lookup.etapes, lookup.order
    inferred = [order[k] for s in stages if (k := lookup.fold(lookup.value("etape", s))) in order]
    if inferred:
        row.values["etape"] = etapes[max(inferred)].nom
    elif (rate := _rate(raw.get("reussite", ""))) is not None and 0 < rate < 100:
        below = [e for e in etapes if e.reussite <= rate]
        row.values["etape"] = (below[-1] if below else etapes[0]).nom
    else:
        row.values["etape"] = mapping.defaults.get("etape") or (etapes[0].nom if etapes else "")


def _default_nom(values: dict[str, str]) -> str:
    # Some exports (Maven) have no deal name: compte, famille and source id tell deals apart.
    parts = [values.get("compte_id", ""), values.get("famille_article", "")]
    nom = " – ".join(p for p in parts if p)
    source_id = values.get("source_id", "")
    return f"{nom} ({source_id})" if nom and source_id else nom or source_id


def _rate(text: str) -> float | None:
    try:
        return float(text.replace("%", "").replace(",", ".").strip())
    except ValueError:
        return None


def _dates(mapping: Mapping, row: MappedRow) -> None:
    for name in AFFAIRE_DATE_FIELDS:
        text = row.values.get(name)
        if text:
            row.values[name] = convert_date(text, mapping.format_date)


@lru_cache(maxsize=16_384)
def convert_date(text: str, format_date: str) -> str:
    """An ISO date from a source date (a time part is dropped); the text as is when unreadable,
    so that the importer names the problem. Cached:
    a source repeats its days."""
    if len(text) == 10 and _ISO_DAY.fullmatch(text):
        return text
    patterns = ((_ISO, (1, 2, 3)), (_US if format_date == "us" else _FR, (3, 1, 2)))
    for pattern, (y, m, d) in patterns:
        match = pattern.fullmatch(text.strip())
        if not match:
            continue
        year = int(match[y]) + (2000 if len(match[y]) == 2 else 0)
        month, day = (int(match[m]), int(match[d]))
        if pattern is _FR:
            month, day = day, month
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return text
    return text


_LOST = (Statut.PERDUE.value, Statut.ABANDONNEE.value)
_WON = Statut.GAGNEE.value


def _closing_rules(row: MappedRow, default_code: str, lookup: _Lookup) -> bool:
    values = row.values
    statut = _OUTCOMES.get(lookup.fold(values.get("statut", "")), values.get("statut", ""))
    if statut in _LOST and default_code:
        values.setdefault("code_cloture", default_code)
    if statut == _WON:
        values.setdefault(
            "date_cloture", values.get("date_signature") or values.get("date_fin", "")
        )
        values.setdefault("date_signature", values["date_cloture"])
        values.setdefault("total_ht", values.get("ca_potentiel", ""))
    else:
        values.pop("total_ht", None)
        values.pop("date_signature", None)
        if statut in _OUTCOMES.values() and values.get("date_fin"):
            values.setdefault("date_cloture", values["date_fin"])
    debut, fin = values.get("date_debut", ""), values.get("date_fin", "")
    if _ISO.fullmatch(debut) and _ISO.fullmatch(fin) and fin < debut:
        values["date_debut"] = fin
        return True
    return False
