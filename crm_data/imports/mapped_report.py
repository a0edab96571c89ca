"""What an import through a mapping did (crm_data.imports.mapped), told in French."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_data.imports.canonical import RowError
from crm_data.text import count_fr


@dataclass
class MappedImportReport:
    """What an import through a mapping did, or (dry run, rejected file) would have done."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    dates_corrigees: int = 0
    comptes_crees: list[str] = field(default_factory=list)
    contacts_crees: list[str] = field(default_factory=list)
    users_crees: list[str] = field(default_factory=list)
    familles_creees: list[str] = field(default_factory=list)
    codes_crees: list[str] = field(default_factory=list)
    historique: int = 0
    companions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def invalid_lines(self) -> list[int]:
        """The line numbers of the rejected rows, in order."""
        return sorted({e.line for e in self.errors})

    def summary(self) -> list[str]:
        """The report in French, a sentence a line, as the screen and the command line show it."""
        would = self.dry_run or not self.written
        one = self.created < 2
        verb = ("serait" if one else "seraient") if would else ("a été" if one else "ont été")
        created = count_fr(self.created, "affaire")
        lines = [
            f"{count_fr(self.rows_read, 'ligne lue', 'lignes lues')} : {created} {verb} "
            f"créée{'' if one else 's'}, "
            f"{count_fr(self.updated, 'mise à jour', 'mises à jour')} (déjà importée"
            f"{'' if self.updated < 2 else 's'}), "
            f"{count_fr(self.unchanged, 'inchangée')}."
        ]
        named = (
            ("Nouveaux comptes", self.comptes_crees),
            ("Nouveaux contacts", self.contacts_crees),
            ("Nouveaux utilisateurs", self.users_crees),
            ("Nouvelles familles d'article", self.familles_creees),
            ("Nouveaux codes clôture", self.codes_crees),
        )
        for label, items in named:
            if items:
                lines.append(f"{label} ({len(items)}) : {_shortlist(items)}.")
        if self.skipped_lines:
            skipped = count_fr(len(self.skipped_lines), "ligne", "lignes")
            lines.append(
                f"{skipped} sans compte ignorée{'' if len(self.skipped_lines) < 2 else 's'}."
            )
        if self.dates_corrigees:
            lines.append(
                f"{self.dates_corrigees} dates de début postérieures à la date de fin ramenées "
                "à la date de fin."
            )
        if self.historique:
            lines.append(
                f"{self.historique} états passés (étape, montant, probabilité, date fin) repris "
                "de l'historique source."
            )
        lines.extend(self.notes)
        if self.errors:
            lines.append(
                count_fr(len(self.invalid_lines), "ligne rejetée", "lignes rejetées")
                + (" : rien n'a été enregistré." if not self.written else ".")
            )
        return lines


def _shortlist(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" et {len(items) - limit} autres" if len(items) > limit else "")
