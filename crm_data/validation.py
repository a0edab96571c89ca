"""The rules of SPEC §1 for an affaire: coercion, defaults, required-when rules, transitions.

Pure functions over a Lookups object, so that one save and a bulk import of a million rows apply
exactly the same rules. No SQL here except in `load_lookups`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from crm_data.model import (
    AFFAIRE_AMOUNT_FIELDS,
    AFFAIRE_DATE_FIELDS,
    AFFAIRE_FIELDS,
    NOM_MAX_LENGTH,
    Actor,
    Affaire,
    Statut,
    TypeAffaire,
)
from crm_data.money import parse_percent
from crm_data.records import as_amount, as_date, as_int, as_text
from crm_data.store.db import Connection
from crm_data.text import date_fr, fold, storable

_ID_FIELDS = ("compte_id", "contact_id", "gestion_par")
EXTRA_KEYS = ("source_id",)
"""Keys a caller may pass beside AFFAIRE_FIELDS: the id in the source system (imports, demo),
stored by the insert and not a rule of its own."""
_STATUTS = {fold(s.value): s.value for s in Statut}
_TYPES = {fold(t.value): t.value for t in TypeAffaire}

MESSAGES: dict[str, str] = {
    "nom_required": "Le nom de l'affaire est obligatoire.",
    "date_debut_required": "La date de début est obligatoire.",
    "date_fin_before_debut": "La date de fin ne peut pas précéder la date de début.",
    "compte_required": "Une affaire est obligatoirement liée à un compte.",
    "compte_unknown": "Compte introuvable.",
    "contact_unknown": "Contact introuvable.",
    "contact_other_compte": "Ce contact n'appartient pas au compte de l'affaire.",
    "gestion_required": "Indiquez qui gère cette affaire.",
    "user_unknown": "Utilisateur introuvable ou désactivé.",
    "user_not_self": "Seul un manager peut confier une affaire à un autre commercial.",
    "statut_unknown": "Statut inconnu : En cours, Gagnée, Perdue ou Abandonnée.",
    "type_unknown": "Type inconnu : Nouveau, Récurrent ou Mise à jour.",
    "etape_required": "L'étape est obligatoire.",
    "amount_negative": "Le montant ne peut pas être négatif.",
    "reussite_bounds": "La réussite est un pourcentage de 0 à 100.",
    "perdue_code": "Une affaire perdue demande un code clôture : pourquoi est-elle perdue ?",
    "code_not_closed": "Le code clôture ne concerne que les affaires perdues ou abandonnées.",
    "gagnee_signature": "Une affaire gagnée demande sa date de signature.",
    "gagnee_total": "Une affaire gagnée demande le total HT signé.",
}
"""The French message of each rule without a value of its own, shared by validate (one save)
and the set validation of imports (crm_data.imports.set_validation)."""


def nom_too_long(nom: str) -> str:
    """The message of a nom longer than NOM_MAX_LENGTH."""
    return f"{NOM_MAX_LENGTH} caractères au plus ({len(nom)} saisis)."


def date_before_debut(name: str, date: dt.date, debut: dt.date) -> str:
    """The message of a date de signature (name) or de clôture before the date de début."""
    label = "La date de signature" if name == "date_signature" else "La date de clôture"
    return f"{label} ({date_fr(date)}) ne peut pas précéder la date de début ({date_fr(debut)})."


def not_in_list(value: str) -> str:
    """The message of a list value that is not one of the list's."""
    return f"« {value} » ne fait pas partie de la liste."


def no_longer_offered(value: str) -> str:
    """The message of a list value that is no longer active."""
    return f"« {value} » n'est plus proposé : choisissez une autre valeur."


def canonical_value(name: str, value: str | None, lookups: Lookups) -> str | None:
    """A list field's value (statut, type, étape, code clôture, famille) as the list spells it
    when it matches one ignoring case and accents, else as given."""
    if name == "statut":
        return _STATUTS.get(fold(value or ""), value or "")
    if name == "type":
        return _TYPES.get(fold(value or ""), value or "")
    known = {
        "etape": lookups.etape_names,
        "code_cloture": lookups.codes,
        "famille_article": lookups.familles,
    }[name]
    return _canonical(value, known)


@dataclass
class Lookups:
    """What validation needs to know about the base: reference lists and existence checks."""

    etapes: dict[str, int]
    """étape → default réussite, active étapes first in their order."""
    etape_names: dict[str, str]
    """folded name → name, every étape (inactive ones too)."""
    active_etapes: set[str]
    codes: dict[str, str]
    active_codes: set[str]
    familles: dict[str, str]
    active_familles: set[str]
    active_users: set[int]
    compte_exists: Callable[[int], bool]
    contact_compte: Callable[[int], int | None]
    first_etape: str = field(default="Qualification")


def load_lookups(cur: Connection) -> Lookups:
    """Reference lists and users read once; comptes and contacts checked one by one on demand."""
    etapes = cur.execute(
        """
        SELECT nom, reussite_defaut, actif
        FROM etape
        ORDER BY NOT actif, ordre
        """
    ).fetchall()
    codes = cur.execute(
        """
        SELECT nom, actif
        FROM code_cloture
        """
    ).fetchall()
    familles = cur.execute(
        """
        SELECT nom, actif
        FROM famille_article
        """
    ).fetchall()
    users = cur.execute(
        """
        SELECT id
        FROM utilisateur
        WHERE actif
        """
    ).fetchall()

    def compte_exists(compte_id: int) -> bool:
        row = cur.execute(
            """
            SELECT count(*)
            FROM compte
            WHERE id = ?
            """,
            [compte_id],
        ).fetchone()
        return bool(row and row[0])

    def contact_compte(contact_id: int) -> int | None:
        row = cur.execute(
            """
            SELECT compte_id
            FROM contact
            WHERE id = ?
            """,
            [contact_id],
        ).fetchone()
        return int(row[0]) if row else None

    active_etapes = [str(n) for n, _, a in etapes if a]
    return Lookups(
        etapes={str(n): int(r) for n, r, _ in etapes},
        etape_names={fold(str(n)): str(n) for n, _, _ in etapes},
        active_etapes=set(active_etapes),
        codes={fold(str(n)): str(n) for n, _ in codes},
        active_codes={str(n) for n, a in codes if a},
        familles={fold(str(n)): str(n) for n, _ in familles},
        active_familles={str(n) for n, a in familles if a},
        active_users={int(u[0]) for u in users},
        compte_exists=compte_exists,
        contact_compte=contact_compte,
        first_etape=active_etapes[0] if active_etapes else "Qualification",
    )


def coerce(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Typed values of the known fields in values, and an error per value of the wrong kind."""
    typed: dict[str, Any] = {}
    errors: list[tuple[str, str]] = [
        (str(key), _unknown_message(str(key)))
        for key in values
        if key not in AFFAIRE_FIELDS and key not in EXTRA_KEYS
    ]
    for name in AFFAIRE_FIELDS:
        if name not in values:
            continue
        raw = values[name]
        try:
            if name in AFFAIRE_DATE_FIELDS:
                typed[name] = as_date(raw)
            elif name in AFFAIRE_AMOUNT_FIELDS:
                typed[name] = as_amount(raw)
            elif name == "reussite":
                typed[name] = parse_percent(raw)
            elif name in _ID_FIELDS:
                typed[name] = as_int(raw)
            elif name == "notes":
                typed[name] = None if raw is None or str(raw).strip() == "" else storable(str(raw))
            else:
                typed[name] = as_text(raw)
        except ValueError as exc:
            errors.append((name, _kind_message(name, str(exc))))
    return typed, errors


def _unknown_message(key: str) -> str:
    """A misspelled key refused rather than silently ignored (its value would be lost)."""
    shown = storable(key)
    close = difflib.get_close_matches(key, AFFAIRE_FIELDS, n=1)
    hint = f" : vouliez-vous dire « {close[0]} » ?" if close else "."
    return f"Champ inconnu « {shown} », rien n'a été enregistré{hint}"


def _kind_message(name: str, problem: str) -> str:
    if name in AFFAIRE_DATE_FIELDS:
        return "Date invalide : saisissez une date au format JJ/MM/AAAA."
    if name in AFFAIRE_AMOUNT_FIELDS:
        return (
            "Montant trop grand."
            if "grand" in problem
            else "Montant invalide : saisissez un nombre, par exemple 45 000,00."
        )
    if name == "reussite":
        return "La réussite est un pourcentage entier de 0 à 100, par exemple 60 %."
    return "Valeur invalide."


def _canonical(value: str | None, known: dict[str, str]) -> str | None:
    if value is None:
        return None
    return known.get(fold(value), value)


def apply_transitions(
    new: Affaire, old: Affaire | None, explicit: set[str], today: dt.date
) -> None:
    """The automatic parts of SPEC §1, in place: closing and reopening dates, cleared codes."""
    was = old.statut if old else Statut.EN_COURS.value
    if new.statut == Statut.EN_COURS.value:
        # Reopening clears the closing date, and a code clôture the caller did not retype.
        new.date_cloture = None
        if was != new.statut and "code_cloture" not in explicit:
            new.code_cloture = None
        return
    if new.statut == Statut.GAGNEE.value:
        if new.date_signature is None and "date_signature" not in explicit:
            new.date_signature = today
        if was != new.statut and "code_cloture" not in explicit:
            new.code_cloture = None
        new.date_cloture = new.date_signature
        return
    if new.date_cloture is None:
        new.date_cloture = today


def validate(
    values: Mapping[str, Any],
    lookups: Lookups,
    actor: Actor,
    *,
    old: Affaire | None = None,
    today: dt.date | None = None,
) -> tuple[Affaire, list[tuple[str, str]]]:
    """The affaire that values would give (a new one, or old changed) and every problem found.

    Defaults on creation: date de début today, gestion par the actor, statut En cours, the first
    étape, type Nouveau, réussite the étape's default rate.
    """
    today = today or dt.date.today()
    typed, errors = coerce(values)
    bad = {f for f, _ in errors}
    explicit = {k for k in typed if k not in bad}
    base = old if old is not None else Affaire()
    aff = replace(base, **{k: v for k, v in typed.items() if k not in bad})

    if old is None:
        if aff.date_debut is None and "date_debut" not in bad:
            aff.date_debut = today
        if aff.gestion_par is None and "gestion_par" not in bad:
            aff.gestion_par = actor.id
        aff.statut = aff.statut or Statut.EN_COURS.value
        aff.etape = aff.etape or lookups.first_etape
        aff.type = aff.type or TypeAffaire.NOUVEAU.value

    aff.statut = canonical_value("statut", aff.statut, lookups) or ""
    aff.type = canonical_value("type", aff.type, lookups) or ""
    aff.etape = canonical_value("etape", aff.etape, lookups)
    aff.code_cloture = canonical_value("code_cloture", aff.code_cloture, lookups)
    aff.famille_article = canonical_value("famille_article", aff.famille_article, lookups)
    # An out-of-bounds réussite is refused below, never silently replaced by a default.
    if "reussite" not in bad and (aff.reussite is None or 0 <= aff.reussite <= 100):
        _follow_reussite(aff, old, lookups, "reussite" in explicit)

    if aff.statut in _STATUTS.values():
        apply_transitions(aff, old, explicit, today)
    errors.extend(_check(aff, old, lookups, actor, bad))
    return aff, errors


_CLOSED_REUSSITE = {
    Statut.GAGNEE.value: 100,
    Statut.PERDUE.value: 0,
    Statut.ABANDONNEE.value: 0,
}


def default_reussite(statut: str | None, etape: str | None, rates: Mapping[str, int]) -> int | None:
    """The réussite an affaire has unless typed by hand: 100 when Gagnée, 0 when Perdue or
    Abandonnée, else its étape's default rate in rates (None for an unknown étape)."""
    if statut in _CLOSED_REUSSITE:
        return _CLOSED_REUSSITE[statut]
    return rates.get(etape) if etape else None


def _follow_reussite(aff: Affaire, old: Affaire | None, lookups: Lookups, typed: bool) -> None:
    """SPEC §1: the réussite follows the étape unless typed by hand, and a closed affaire's is
    fixed. "Typed by hand" means it differs from the default of the state it was saved in; a
    value the caller changes in this very save is typed by hand too."""
    default = default_reussite(aff.statut, aff.etape, lookups.etapes)
    if aff.statut in _CLOSED_REUSSITE:
        aff.reussite = default
        return
    if old is None:
        if aff.reussite is None:
            aff.reussite = default
        return
    if typed and aff.reussite != old.reussite:
        return
    before = default_reussite(old.statut, old.etape, lookups.etapes)
    if (
        default is not None
        and default != before
        and (old.reussite is None or old.reussite == before)
    ):
        aff.reussite = default


def _changed(aff: Affaire, old: Affaire | None, name: str) -> bool:
    return old is None or getattr(aff, name) != getattr(old, name)


def _check(
    aff: Affaire, old: Affaire | None, lookups: Lookups, actor: Actor, bad: set[str]
) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []

    def add(name: str, message: str) -> None:
        if name not in bad:
            errors.append((name, message))

    nom = (aff.nom or "").strip()
    if not nom:
        add("nom", MESSAGES["nom_required"])
    elif len(nom) > NOM_MAX_LENGTH:
        add("nom", nom_too_long(nom))
    aff.nom = nom
    if aff.date_debut is None:
        add("date_debut", MESSAGES["date_debut_required"])
    else:
        if aff.date_fin is not None and aff.date_fin < aff.date_debut:
            add("date_fin", MESSAGES["date_fin_before_debut"])
        errors.extend(_check_closing_dates(aff, old, bad))
    errors.extend(_check_links(aff, old, lookups, actor, bad))
    errors.extend(_check_lists(aff, old, lookups, bad))
    for name in AFFAIRE_AMOUNT_FIELDS:
        amount: Decimal | None = getattr(aff, name)
        if amount is not None and amount < 0:
            add(name, MESSAGES["amount_negative"])
    if aff.reussite is not None and not 0 <= aff.reussite <= 100:
        add("reussite", MESSAGES["reussite_bounds"])
    if aff.statut == Statut.PERDUE.value and not aff.code_cloture:
        add("code_cloture", MESSAGES["perdue_code"])
    if aff.code_cloture and aff.statut in (Statut.EN_COURS.value, Statut.GAGNEE.value):
        add("code_cloture", MESSAGES["code_not_closed"])
    if aff.statut == Statut.GAGNEE.value:
        if aff.date_signature is None:
            add("date_signature", MESSAGES["gagnee_signature"])
        if aff.total_ht is None:
            add("total_ht", MESSAGES["gagnee_total"])
    return errors


def _check_closing_dates(aff: Affaire, old: Affaire | None, bad: set[str]) -> list[tuple[str, str]]:
    """An affaire is not signed nor closed before it starts (a negative cycle otherwise).

    Checked when one of the dates changes, so that a record saved before this rule stays
    editable; a Gagnée's closing date is its date de signature, reported once on that field.
    """
    assert aff.date_debut is not None
    errors: list[tuple[str, str]] = []
    moved = {"date_debut", "date_signature", "date_cloture"}
    if not any(_changed(aff, old, name) for name in moved):
        return errors
    signature = aff.date_signature
    if signature is not None and signature < aff.date_debut and "date_signature" not in bad:
        errors.append(
            ("date_signature", date_before_debut("date_signature", signature, aff.date_debut))
        )
    cloture = aff.date_cloture
    if (
        cloture is not None
        and cloture < aff.date_debut
        and cloture != signature
        and "date_cloture" not in bad
    ):
        errors.append(("date_cloture", date_before_debut("date_cloture", cloture, aff.date_debut)))
    return errors


def _check_links(
    aff: Affaire, old: Affaire | None, lookups: Lookups, actor: Actor, bad: set[str]
) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if aff.compte_id is None:
        if "compte_id" not in bad:
            errors.append(("compte_id", MESSAGES["compte_required"]))
    elif _changed(aff, old, "compte_id") and not lookups.compte_exists(aff.compte_id):
        errors.append(("compte_id", MESSAGES["compte_unknown"]))
    if aff.contact_id is not None and (
        _changed(aff, old, "contact_id") or _changed(aff, old, "compte_id")
    ):
        owner = lookups.contact_compte(aff.contact_id)
        if owner is None:
            errors.append(("contact_id", MESSAGES["contact_unknown"]))
        elif owner != aff.compte_id:
            errors.append(("contact_id", MESSAGES["contact_other_compte"]))
    if aff.gestion_par is None:
        if "gestion_par" not in bad:
            errors.append(("gestion_par", MESSAGES["gestion_required"]))
    elif _changed(aff, old, "gestion_par"):
        if aff.gestion_par not in lookups.active_users:
            errors.append(("gestion_par", MESSAGES["user_unknown"]))
        elif not actor.sees_everything and aff.gestion_par != actor.id:
            errors.append(("gestion_par", MESSAGES["user_not_self"]))
    return errors


def _check_lists(
    aff: Affaire, old: Affaire | None, lookups: Lookups, bad: set[str]
) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if aff.statut not in _STATUTS.values() and "statut" not in bad:
        errors.append(("statut", MESSAGES["statut_unknown"]))
    if aff.type not in _TYPES.values():
        errors.append(("type", MESSAGES["type_unknown"]))
    checks = (
        ("etape", aff.etape, lookups.etapes, lookups.active_etapes),
        ("code_cloture", aff.code_cloture, lookups.codes.values(), lookups.active_codes),
        (
            "famille_article",
            aff.famille_article,
            lookups.familles.values(),
            lookups.active_familles,
        ),
    )
    for name, value, known, active in checks:
        if value is None or name in bad:
            if name == "etape" and value is None and name not in bad:
                errors.append(("etape", MESSAGES["etape_required"]))
            continue
        if value not in known:
            errors.append((name, not_in_list(value)))
        elif value not in active and _changed(aff, old, name):
            errors.append((name, no_longer_offered(value)))
    return errors
