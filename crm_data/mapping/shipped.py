"""The shipped mappings (maven, salesforce) and the companion files read beside an export.

Companions bring what the main file only names: comptes with their secteur (accounts.csv,
Account.csv), users and their roles (sales_teams.csv), familles and list prices (products.csv),
the deals' past states (OpportunityHistory.csv: stage, amount, probability, close date). They
only add to a mapping and to what the import creates; a companion missing on a re-import leaves
what it had set alone (KEPT_WITHOUT).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from crm_data.files.reader import open_source
from crm_data.mapping.model import Mapping, convert_date
from crm_data.mapping.suggest import suggest_values
from crm_data.model import Role, Statut, TypeAffaire
from crm_data.money import parse_amount
from crm_data.text import fold

COMPTE_SANS_NOM = "Compte non renseigné"
CODE_NON_RENSEIGNE = "Non renseigné"
"""The code clôture of a loss whose reason the source does not give (created as externe)."""

_US_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4}) (\d{1,2}):(\d{2}) ?([AP]M)", re.I)


def maven() -> Mapping:
    """Maven Analytics' sales_pipeline.csv with accounts, products and sales teams beside it.

    Prospecting and Engaging are open étapes; Won and Lost are outcomes whose last open étape is
    Engaging when engage_date is filled. close_value is the signed total of a Won deal (it is 0
    on every Lost deal: the lost amount is unknown, so it is not kept). Deals without account
    go to the compte "Compte non renseigné". Products become familles d'article; an open deal
    (no close_value) takes its product's list price (sales_price in products.csv) as CA potentiel.
    """
    return Mapping(
        nom="maven",
        columns={
            "opportunity_id": "source_id",
            "sales_agent": "gestion_par",
            "product": "famille_article",
            "account": "compte_id",
            "deal_stage": "etape",
            "engage_date": "date_debut",
            "close_date": "date_cloture",
            "close_value": "total_ht",
        },
        values={
            "etape": {
                "prospecting": "Qualification",
                "engaging": "Analyse des besoins",
                "won": Statut.GAGNEE.value,
                "lost": Statut.PERDUE.value,
            },
        },
        defaults={
            "compte_id": COMPTE_SANS_NOM,
            "code_cloture": CODE_NON_RENSEIGNE,
            "type": TypeAffaire.NOUVEAU.value,
        },
        sans_compte="defaut",
        reached={"engage_date": "Engaging"},
        creer_utilisateurs=True,
        creer_familles=True,
        companions={
            "comptes_maven": "accounts.csv",
            "equipes_maven": "sales_teams.csv",
            "produits_maven": "products.csv",
        },
    )


def salesforce() -> Mapping:
    """Salesforce's Opportunity.csv, with Account.csv and OpportunityHistory.csv when beside it.

    StageName's standard values map to our étapes, Closed Won / Closed Lost to the outcomes;
    Amount is the CA potentiel and, on a won deal, the signed total; CloseDate the date fin
    (and the closing date of a closed deal); Type New / Existing Business is Nouveau / Récurrent.
    """
    stages = [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Discovery",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal",
        "Proposal/Quote",
        "Proposal/Price Quote",
        "Negotiation",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    return Mapping(
        nom="salesforce",
        columns={
            "Id": "source_id",
            "Name": "nom",
            "AccountId": "compte_id",
            "StageName": "etape",
            "Amount": "ca_potentiel",
            "Probability": "reussite",
            "CloseDate": "date_fin",
            "Type": "type",
            "CreatedDate": "date_debut",
            "Description": "notes",
            "Product__c": "famille_article",
        },
        values={
            "etape": suggest_values("etape", stages, []),
            "type": suggest_values("type", ["New Business", "Existing Business"], []),
        },
        defaults={
            "compte_id": COMPTE_SANS_NOM,
            "code_cloture": CODE_NON_RENSEIGNE,
            "type": TypeAffaire.NOUVEAU.value,
        },
        sans_compte="defaut",
        format_date="us",
        creer_familles=True,
        companions={
            "comptes_salesforce": "Account.csv",
            "historique_salesforce": "OpportunityHistory.csv",
        },
    )


SHIPPED: dict[str, Callable[[], Mapping]] = {"maven": maven, "salesforce": salesforce}


@dataclass(frozen=True)
class CompteSource:
    """A compte described by a companion file."""

    nom: str
    secteur: str | None = None
    ville: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class SourceState:
    """One row of a source's history (Salesforce's OpportunityHistory): the deal's stage,
    amount, probability and close date as they stood from that instant on (None: not given)."""

    when: dt.datetime
    stage: str
    amount: Decimal | None = None
    probability: int | None = None
    close_date: dt.date | None = None


@dataclass
class Companions:
    """What companion files add: comptes, users (nom, role), familles, stage history."""

    comptes: list[CompteSource] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)
    familles: list[str] = field(default_factory=list)
    history: dict[str, list[tuple[dt.datetime, str]]] = field(default_factory=dict)
    states: dict[str, list[SourceState]] = field(default_factory=dict)
    """Source id → its history rows in time order, each a version of the affaire imported."""
    list_prices: dict[str, str] = field(default_factory=dict)
    """Folded famille name → its list price, the CA potentiel of an open deal without amount."""
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """The mapping's companion kinds whose file was not found."""

    def kept_fields(self) -> set[str]:
        """The fields a re-import leaves alone on the affaires already imported, because the
        companion that gives them their value is missing."""
        return {f for kind in self.missing for f in KEPT_WITHOUT.get(kind, ((), ""))[0]}

    def kept_notes(self, mapping: Mapping) -> list[str]:
        """One French sentence per missing companion whose fields a re-import keeps."""
        return [
            f"{mapping.companions[kind]} absent : {KEPT_WITHOUT[kind][1]}."
            for kind in self.missing
            if kind in KEPT_WITHOUT
        ]

    def stage_history(self) -> dict[str, list[str]]:
        """Source id → its stages in time order, as apply takes them."""
        return {k: [s for _, s in v] for k, v in self.history.items()}


def _records(path: Path) -> list[dict[str, str]]:
    table = open_source(path)
    return [
        {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(table.header)}
        for _, cells in table.rows
    ]


def _comptes_maven(path: Path, found: Companions, mapping: Mapping) -> None:
    for rec in _records(path):
        if rec.get("account"):
            found.comptes.append(
                CompteSource(rec["account"], rec.get("sector") or None, None, None)
            )


def _equipes_maven(path: Path, found: Companions, mapping: Mapping) -> None:
    managers: dict[str, None] = {}
    for rec in _records(path):
        if rec.get("sales_agent"):
            found.users.append((rec["sales_agent"], Role.COMMERCIAL.value))
        if rec.get("manager"):
            managers[rec["manager"]] = None
    found.users.extend((nom, Role.MANAGER.value) for nom in managers)


def _produits(path: Path, found: Companions, mapping: Mapping) -> None:
    records = [rec for rec in _records(path) if rec.get("product")]
    names = [rec["product"] for rec in records]
    found.list_prices.update(
        {fold(rec["product"]): rec["sales_price"] for rec in records if rec.get("sales_price")}
    )
    found.familles.extend(names)
    by_key = {re.sub(r"[^a-z0-9]", "", fold(n)): n for n in names}
    # The pipeline writes "GTXPro" where products.csv writes "GTX Pro": match without spaces.
    mapping.values.setdefault("famille_article", {}).update(
        {fold(n.replace(" ", "")): n for n in names} | {fold(n): n for n in by_key.values()}
    )


def _comptes_salesforce(path: Path, found: Companions, mapping: Mapping) -> None:
    names = mapping.values.setdefault("compte_id", {})
    for rec in _records(path):
        nom = " ".join(rec.get("Name", "").split())
        if not nom or not rec.get("Id"):
            continue
        names[fold(rec["Id"])] = nom
        found.comptes.append(
            CompteSource(
                nom, rec.get("Industry") or None, rec.get("BillingCity") or None, rec["Id"]
            )
        )


def _historique_salesforce(path: Path, found: Companions, mapping: Mapping) -> None:
    for rec in _records(path):
        when = parse_timestamp(rec.get("CreatedDate", ""), mapping.format_date)
        if when is None or not rec.get("OpportunityId") or not rec.get("StageName"):
            continue
        found.history.setdefault(rec["OpportunityId"], []).append((when, rec["StageName"]))
        found.states.setdefault(rec["OpportunityId"], []).append(
            SourceState(
                when,
                rec["StageName"],
                _amount(rec.get("Amount", "")),
                _probability(rec.get("Probability", "")),
                _day(rec.get("CloseDate", ""), mapping.format_date),
            )
        )
    for events in found.history.values():
        events.sort(key=lambda e: e[0])
    for states in found.states.values():
        states.sort(key=lambda e: e.when)


def _amount(text: str) -> Decimal | None:
    try:
        amount = parse_amount(text)
    except ValueError:
        return None
    return amount if amount is None or amount >= 0 else None


def _probability(text: str) -> int | None:
    try:
        rate = round(float(text.strip().rstrip("%").replace(",", ".")))
    except (ValueError, OverflowError):
        return None
    return rate if 0 <= rate <= 100 else None


def _day(text: str, format_date: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(convert_date(text, format_date))
    except ValueError:
        return None


def parse_timestamp(text: str, format_date: str) -> dt.datetime | None:
    """A date and time from `02/23/26 08:55 PM`, an ISO timestamp or a date; None if unreadable."""
    match = _US_TIME.fullmatch(text.strip())
    if match:
        month, day, year = int(match[1]), int(match[2]), int(match[3])
        hour = int(match[4]) % 12 + (12 if match[6].upper() == "PM" else 0)
        try:
            return dt.datetime(year + (2000 if year < 100 else 0), month, day, hour, int(match[5]))
        except ValueError:
            return None
    iso = convert_date(text, format_date)
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        return None


_READERS: dict[str, Callable[[Path, Companions, Mapping], None]] = {
    "comptes_maven": _comptes_maven,
    "equipes_maven": _equipes_maven,
    "produits_maven": _produits,
    "comptes_salesforce": _comptes_salesforce,
    "historique_salesforce": _historique_salesforce,
}
COMPANION_KINDS = tuple(_READERS)

KEPT_WITHOUT: dict[str, tuple[tuple[str, ...], str]] = {
    "produits_maven": (
        ("famille_article",),
        "les familles d'article déjà importées sont gardées",
    ),
    "comptes_salesforce": (
        ("compte_id", "contact_id"),
        "les comptes des affaires déjà importées sont gardés",
    ),
}
"""Companion kind → the fields it gives their value (spellings, names, prices), which a
re-import without it leaves as they are, and the report's sentence saying so."""


def read_companions(mapping: Mapping, folder: Path) -> Companions:
    """Read the mapping's companion files found in folder (missing ones are skipped) and add
    their value maps (account ids → names, product spellings) to the mapping."""
    found = Companions()
    for kind, name in mapping.companions.items():
        reader = _READERS.get(kind)
        path = folder / name
        if reader is not None and path.is_file():
            reader(path, found, mapping)
            found.files.append(name)
        elif reader is not None:
            found.missing.append(kind)
    return found
