"""Suggestions for a new mapping: which field each source header is, which value each source value.

Known headers and stage names of common exports (Salesforce, Maven, French spreadsheets);
everything else is matched against our own labels and lists, ignoring case and accents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from crm_data.mapping.model import TARGET_FIELDS, Mapping
from crm_data.model import AFFAIRE_LABELS, Statut, TypeAffaire
from crm_data.text import fold

_HEADERS: dict[str, str] = {
    "amount": "ca_potentiel",
    "montant": "ca_potentiel",
    "capotentiel": "ca_potentiel",
    "dealvalue": "ca_potentiel",
    "value": "ca_potentiel",
    "closevalue": "total_ht",
    "totalht": "total_ht",
    "closedate": "date_fin",
    "expectedclosedate": "date_fin",
    "closingdate": "date_fin",
    "datefin": "date_fin",
    "datedecloture": "date_cloture",
    "stagename": "etape",
    "stage": "etape",
    "dealstage": "etape",
    "etape": "etape",
    "status": "statut",
    "statut": "statut",
    "account": "compte_id",
    "accountname": "compte_id",
    "accountid": "compte_id",
    "company": "compte_id",
    "compte": "compte_id",
    "societe": "compte_id",
    "client": "compte_id",
    "opportunityname": "nom",
    "name": "nom",
    "dealname": "nom",
    "nom": "nom",
    "intitule": "nom",
    "probability": "reussite",
    "probabilite": "reussite",
    "reussite": "reussite",
    "type": "type",
    "salesagent": "gestion_par",
    "owner": "gestion_par",
    "ownername": "gestion_par",
    "commercial": "gestion_par",
    "gestionpar": "gestion_par",
    "engagedate": "date_debut",
    "createddate": "date_debut",
    "createdate": "date_debut",
    "datedebut": "date_debut",
    "datecreation": "date_debut",
    "product": "famille_article",
    "productc": "famille_article",
    "produit": "famille_article",
    "famille": "famille_article",
    "id": "source_id",
    "opportunityid": "source_id",
    "dealid": "source_id",
    "contact": "contact_id",
    "contactname": "contact_id",
    "description": "notes",
    "notes": "notes",
    "lossreason": "code_cloture",
    "reason": "code_cloture",
    "codecloture": "code_cloture",
    "motif": "code_cloture",
}

_STAGES: dict[str, str] = {
    "prospecting": "Qualification",
    "qualification": "Qualification",
    "engaging": "Analyse des besoins",
    "needs analysis": "Analyse des besoins",
    "discovery": "Analyse des besoins",
    "value proposition": "Analyse des besoins",
    "id. decision makers": "Analyse des besoins",
    "perception analysis": "Proposition commerciale",
    "proposal": "Proposition commerciale",
    "proposal/quote": "Proposition commerciale",
    "proposal/price quote": "Proposition commerciale",
    "negotiation": "Négociation",
    "negotiation/review": "Négociation",
    "closed won": Statut.GAGNEE.value,
    "won": Statut.GAGNEE.value,
    "gagne": Statut.GAGNEE.value,
    "closed lost": Statut.PERDUE.value,
    "lost": Statut.PERDUE.value,
    "perdu": Statut.PERDUE.value,
    "abandoned": Statut.ABANDONNEE.value,
    "abandonne": Statut.ABANDONNEE.value,
    "open": Statut.EN_COURS.value,
}
_TYPES: dict[str, str] = {
    "new business": TypeAffaire.NOUVEAU.value,
    "new": TypeAffaire.NOUVEAU.value,
    "existing business": TypeAffaire.RECURRENT.value,
    "renewal": TypeAffaire.RECURRENT.value,
    "existing business - upgrade": TypeAffaire.MISE_A_JOUR.value,
    "existing business - replacement": TypeAffaire.MISE_A_JOUR.value,
    "upgrade": TypeAffaire.MISE_A_JOUR.value,
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def suggest_field(header: str) -> str | None:
    """The field a source header most likely holds, or None."""
    key = _key(header)
    for name in TARGET_FIELDS:
        if key in (_key(name), _key(AFFAIRE_LABELS.get(name, name))):
            return name
    return _HEADERS.get(key)


def suggest_columns(headers: Sequence[str]) -> dict[str, str]:
    """Source header → field for every header with a suggestion; a field is offered once only,
    to the first header that claims it."""
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        name = suggest_field(header)
        if name and name not in taken:
            columns[header] = name
            taken.add(name)
    return columns


def suggest_values(name: str, source_values: Iterable[str], ours: Sequence[str]) -> dict[str, str]:
    """Folded source value → our value for each source value of field name that has a likely
    match: our own list by folded name (spaces and punctuation ignored), then known names of
    common exports (a stage may map to an outcome statut)."""
    own = {_key(v): v for v in ours}
    known = {"etape": _STAGES, "statut": _STAGES, "type": _TYPES}.get(name, {})
    suggested: dict[str, str] = {}
    for value in source_values:
        if not value.strip():
            continue
        match = own.get(_key(value)) or known.get(fold(value))
        if match is not None:
            suggested[fold(value)] = match
    return suggested


def suggest_mapping(
    nom: str, headers: Sequence[str], samples: dict[str, set[str]], lists: dict[str, list[str]]
) -> Mapping:
    """A whole mapping from headers and each column's distinct values.

    lists: field → our values (étapes and statuts for etape, types, familles, codes clôture).
    Unknown sales people and familles are created, rows without compte are rejected.
    """
    columns = suggest_columns(headers)
    values = {
        target: suggest_values(target, samples.get(column, set()), lists.get(target, []))
        for column, target in columns.items()
        if target in ("statut", "etape", "type", "famille_article", "code_cloture")
    }
    return Mapping(
        nom=nom,
        columns=columns,
        values={k: v for k, v in values.items() if v},
        sans_compte="rejeter",
        creer_utilisateurs=True,
        creer_familles=True,
    )
