"""The names an import's rows refer to (comptes, contacts, users), resolved against the base and
the import's own new ones, and a row's text read into the values validation takes.

No writing here: crm_data.imports.canonical inserts the new comptes and contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_data.files.canonical import SourceRow, parse_amount, parse_date, parse_reussite
from crm_data.model import AFFAIRE_AMOUNT_FIELDS, AFFAIRE_DATE_FIELDS, AFFAIRE_FIELDS
from crm_data.store.db import Connection
from crm_data.text import fold
from crm_data.validation import Lookups, load_lookups


@dataclass
class Names:
    """Names already in the base, folded, and the comptes and contacts this import adds."""

    comptes: dict[str, int]
    compte_noms: dict[int, str]
    contacts: dict[tuple[int, str], int]
    users: dict[str, int]
    ambiguous_users: set[str]
    new_comptes: dict[str, tuple[int, str]] = field(default_factory=dict)
    new_contacts: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)
    contact_owner: dict[int, int] = field(default_factory=dict)

    def settle(self, comptes: dict[int, int], contacts: dict[int, int]) -> None:
        """The comptes and contacts just inserted (provisional id → real id) become known, so
        that the next chunk of a streamed import names them without creating them again."""
        for key, (provisional, nom) in list(self.new_comptes.items()):
            if provisional in comptes:
                self.comptes[key] = comptes[provisional]
                self.compte_noms[comptes[provisional]] = nom
                del self.new_comptes[key]
        for (compte, nom_key), (provisional, _) in list(self.new_contacts.items()):
            if provisional in contacts:
                owner = comptes.get(compte, compte)
                self.contacts[(owner, nom_key)] = contacts[provisional]
                self.contact_owner[contacts[provisional]] = owner
                del self.new_contacts[(compte, nom_key)]

    def compte_id(self, nom: str) -> int:
        key = fold(nom)
        if key in self.comptes:
            return self.comptes[key]
        if key not in self.new_comptes:
            self.new_comptes[key] = (-1 - len(self.new_comptes), " ".join(nom.split()))
        return self.new_comptes[key][0]

    def contact_id(self, compte_id: int, nom_complet: str) -> int:
        return self.contact_by_key(compte_id, fold(nom_complet), nom_complet)

    def contact_by_key(self, compte_id: int, folded: str, nom_complet: str) -> int:
        """contact_id for a name already folded (folded: fold(nom_complet))."""
        key = (compte_id, folded)
        if key in self.contacts:
            return self.contacts[key]
        if key not in self.new_contacts:
            provisional = -1 - len(self.new_contacts)
            self.new_contacts[key] = (provisional, " ".join(nom_complet.split()))
            self.contact_owner[provisional] = compte_id
        return self.new_contacts[key][0]


def import_lookups(cur: Connection, names: Names) -> Lookups:
    """validation's lookups for an import: comptes and contacts answered from names (the base's
    and those the import creates, provisional ids below zero) instead of one query a row."""
    lookups = load_lookups(cur)
    lookups.compte_exists = lambda i: i < 0 or i in names.compte_noms
    lookups.contact_compte = names.contact_owner.get
    return lookups


def load_names(cur: Connection) -> Names:
    """The comptes, contacts and users already in the base, by folded name, for resolving rows."""
    comptes: dict[str, int] = {}
    compte_noms: dict[int, str] = {}
    for key, compte_id, nom in cur.execute(
        """
        SELECT nom_cle, id, nom
        FROM compte
        """
    ).fetchall():
        comptes[str(key)] = int(compte_id)
        compte_noms[int(compte_id)] = str(nom)
    contacts: dict[tuple[int, str], int] = {}
    owners: dict[int, int] = {}
    for contact_id, compte_id, prenom, nom in cur.execute(
        """
        SELECT id, compte_id, prenom, nom
        FROM contact
        ORDER BY id
        """
    ).fetchall():
        contacts.setdefault((int(compte_id), fold(f"{prenom or ''} {nom}")), int(contact_id))
        owners[int(contact_id)] = int(compte_id)
    users: dict[str, int] = {}
    ambiguous: set[str] = set()
    for user_id, login, nom in cur.execute(
        """
        SELECT id, login, nom
        FROM utilisateur
        ORDER BY id
        """
    ).fetchall():
        for key in {fold(str(nom)), fold(str(login))}:
            if key in users and users[key] != user_id:
                ambiguous.add(key)
            users.setdefault(key, int(user_id))
    return Names(comptes, compte_noms, contacts, users, ambiguous, contact_owner=owners)


def row_problems(
    typing: list[tuple[str, str]], validation: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Every problem of a row: those found reading its text, then validation's on the other
    fields (a field that could not be read gets validation's echo of it only once). A problem
    of the whole row (no field) never hides another."""
    unread = {name for name, _ in typing if name}
    return [*typing, *((name, m) for name, m in validation if not name or name not in unread)]


def typed_values(row: SourceRow, names: Names) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row's values as validate expects them, and the problems found reading its text.

    A value that cannot be read is passed on as text, so that validate treats the field as bad
    and does not fill a default in its place.
    """
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = list(row.problems)
    for name, text in row.values.items():
        if name not in AFFAIRE_FIELDS or name in ("compte_id", "contact_id"):
            continue
        try:
            values[name] = read_cell(name, text, names)
        except ValueError as exc:
            errors.append((name, str(exc)))
            values[name] = text
    compte_id, contact_id = name_links(
        row.values.get("compte_id", ""), row.values.get("contact_id", ""), names
    )
    if compte_id is not None:
        values["compte_id"] = compte_id
    if contact_id is not None:
        values["contact_id"] = contact_id
    return values, errors


def read_cell(name: str, text: str, names: Names) -> Any:
    """A cell's text as validate takes it: a date, an amount, a réussite, a user's id, else the
    text itself; ValueError in French when it cannot be read."""
    if name in AFFAIRE_DATE_FIELDS:
        return parse_date(text)
    if name in AFFAIRE_AMOUNT_FIELDS:
        return parse_amount(text)
    if name == "reussite":
        return parse_reussite(text)
    if name == "gestion_par":
        return _user_id(text, names)
    return text


def name_links(compte: str, contact: str, names: Names) -> tuple[int | None, int | None]:
    """The ids of a row's compte and contact (« Prénom Nom »), by name; provisional ids (below
    zero) for those the import creates. No contact without a compte."""
    compte = compte.strip()
    if not compte:
        return None, None
    compte_id = names.compte_id(compte)
    contact = contact.strip()
    return compte_id, names.contact_id(compte_id, contact) if contact else None


def pair_links(
    comptes: list[str], contacts: list[str], pairs: list[tuple[int, int]], names: Names
) -> list[tuple[int | None, int | None]]:
    """name_links of each pair (positions in comptes and contacts), in the order of pairs: the
    same ids, provisional ones too, when comptes holds the comptes in the order the pairs first
    name them. Each distinct text is trimmed and folded once, not once a pair."""
    compte_ids = [names.compte_id(t.strip()) if t.strip() else None for t in comptes]
    folded = [fold(t) if t.strip() else None for t in contacts]
    found: list[tuple[int | None, int | None]] = []
    for compte, contact in pairs:
        compte_id = compte_ids[compte]
        if compte_id is None:
            found.append((None, None))
        elif folded[contact] is None:
            found.append((compte_id, None))
        else:
            key = folded[contact] or ""
            known = names.contacts.get((compte_id, key))
            if known is None:
                known = names.contact_by_key(compte_id, key, contacts[contact].strip())
            found.append((compte_id, known))
    return found


def _user_id(text: str, names: Names) -> int | None:
    key = fold(text)
    if not key:
        return None
    if key in names.ambiguous_users:
        raise ValueError(
            f"Plusieurs utilisateurs s'appellent « {text.strip()} » : donnez le login."
        )
    if key not in names.users:
        raise ValueError(
            f"Utilisateur « {text.strip()} » inconnu : un import ne crée pas d'utilisateurs."
        )
    return names.users[key]
