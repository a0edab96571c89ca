"""What an import through a mapping did (crm_data.imports.mapped), told in French."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_data.imports.canonical import RowError


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
        one = self.created == 1
        verb = ("serait" if one else "seraient") if self.dry_run or not self.written else None
        verb = verb or ("a été" if one else "ont été")
        lines = [
            f"{self.rows_read} ligne{'s' if self.rows_read != 1 else ''} lue"
            f"{'s' if self.rows_read != 1 else ''} : {self.created} "
            f"affaire{'' if one else 's'} {verb} créée{'' if one else 's'}, "
            f"{self.updated} mises à jour (déjà importées), {self.unchanged} inchangées."
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
            lines.append(f"{len(self.skipped_lines)} lignes sans compte ignorées.")
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
                f"{len(self.invalid_lines)} lignes rejetées"
                + (" : rien n'a été enregistré." if not self.written else ".")
            )
        return lines


def _shortlist(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" et {len(items) - limit} autres" if len(items) > limit else "")
