"""The domain's vocabulary: enums, records, the acting user and the errors a write can raise.

Pure Python, no database and no UI: every other module of crm_data speaks these types.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal


class Statut(enum.StrEnum):
    EN_COURS = "En cours"
    GAGNEE = "Gagnée"
    PERDUE = "Perdue"
    ABANDONNEE = "Abandonnée"


class TypeAffaire(enum.StrEnum):
    NOUVEAU = "Nouveau"
    RECURRENT = "Récurrent"
    MISE_A_JOUR = "Mise à jour"


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    COMMERCIAL = "commercial"


class CategorieCloture(enum.StrEnum):
    INTERNE = "interne"
    EXTERNE = "externe"


class TypeAction(enum.StrEnum):
    MAIL = "Mail"
    TELEPHONE = "Téléphone"
    RELANCE = "Relance"
    RENDEZ_VOUS = "Rendez-vous"
    TACHE = "Tâche"


class TypeDocument(enum.StrEnum):
    DEVIS = "Devis"
    FACTURE = "Facture"


DOCUMENT_STATUTS: dict[TypeDocument, tuple[str, ...]] = {
    TypeDocument.DEVIS: ("Brouillon", "Envoyé", "Accepté", "Refusé"),
    TypeDocument.FACTURE: ("Émise", "Payée"),
}


class StatutProjet(enum.StrEnum):
    A_REALISER = "À réaliser"
    EN_COURS = "En cours"
    REALISE = "Réalisé"
    ANNULE = "Annulé"


CLOSED_STATUTS = (Statut.GAGNEE, Statut.PERDUE, Statut.ABANDONNEE)
NOM_MAX_LENGTH = 200
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Actor:
    """The user a read or write is done for; rights are checked against it in crm_data."""

    id: int
    login: str
    nom: str
    role: Role

    @property
    def sees_everything(self) -> bool:
        """A manager or an admin sees and edits every affaire; a commercial only their own."""
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


@dataclass
class Affaire:
    """One affaire, with the guide's fields in the guide's order, then the project's own."""

    nom: str = ""
    date_debut: dt.date | None = None
    date_fin: dt.date | None = None
    compte_id: int | None = None
    contact_id: int | None = None
    gestion_par: int | None = None
    statut: str = Statut.EN_COURS.value
    etape: str | None = None
    type: str = TypeAffaire.NOUVEAU.value
    famille_article: str | None = None
    notes: str | None = None
    ca_potentiel: Decimal | None = None
    reussite: int | None = None
    ca_attendu: Decimal | None = None
    code_cloture: str | None = None
    date_signature: dt.date | None = None
    total_ht: Decimal | None = None
    date_cloture: dt.date | None = None
    source_id: str | None = None
    id: int | None = None
    version: int = 0
    created_at: dt.datetime | None = None
    created_by: int | None = None
    updated_at: dt.datetime | None = None
    updated_by: int | None = None


AFFAIRE_FIELDS: tuple[str, ...] = (
    "nom",
    "date_debut",
    "date_fin",
    "compte_id",
    "contact_id",
    "gestion_par",
    "statut",
    "etape",
    "type",
    "famille_article",
    "notes",
    "ca_potentiel",
    "reussite",
    "ca_attendu",
    "code_cloture",
    "date_signature",
    "total_ht",
    "date_cloture",
)
"""The editable fields of an affaire, in the guide's order (plus date_cloture)."""
AFFAIRE_DATE_FIELDS: tuple[str, ...] = ("date_debut", "date_fin", "date_signature", "date_cloture")
"""The affaire's fields that hold a date."""
AFFAIRE_AMOUNT_FIELDS: tuple[str, ...] = ("ca_potentiel", "ca_attendu", "total_ht")
"""The affaire's fields that hold an amount in euros (exact, never negative)."""

AFFAIRE_LABELS: dict[str, str] = {
    "nom": "Nom",
    "date_debut": "Date de début",
    "date_fin": "Date fin",
    "compte_id": "Compte",
    "contact_id": "Contact",
    "gestion_par": "Gestion par",
    "statut": "Statut",
    "etape": "Etape",
    "type": "Type",
    "famille_article": "Famille d'article",
    "notes": "Notes",
    "ca_potentiel": "CA potentiel",
    "reussite": "Réussite",
    "ca_attendu": "CA attendu",
    "code_cloture": "Code clôture",
    "date_signature": "Date de signature",
    "total_ht": "Total HT",
    "date_cloture": "Date de clôture",
}
"""The guide's labels: the canonical file's headers (SPEC §4), kept as the guide spells them."""

SCREEN_LABELS: dict[str, str] = {**AFFAIRE_LABELS, "etape": "Étape"}
"""The labels shown on screen and in messages: the guide's, with French accents on capitals."""


class CrmError(Exception):
    """Base of every error crm_data raises on purpose; its message is French and shown as is."""


@dataclass
class ValidationError(CrmError):
    """A rejected write: every problem as (field, French message); nothing was written."""

    errors: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{SCREEN_LABELS.get(f, f)} : {m}" for f, m in self.errors)

    def for_field(self, name: str) -> list[str]:
        return [m for f, m in self.errors if f == name]


class NotFoundError(CrmError):
    """The record does not exist, or the acting user may not see it (the same answer on purpose)."""


class PermissionDeniedError(CrmError):
    """The acting user may see the record but not do this to it."""


class ConflictError(CrmError):
    """Someone saved the record after it was read: the save is refused, nothing overwritten."""

    def __init__(self, message: str, *, saved_by: str | None, saved_at: dt.datetime | None):
        super().__init__(message)
        self.saved_by = saved_by
        self.saved_at = saved_at


class BaseLockedError(CrmError):
    """Another process holds the base file."""
