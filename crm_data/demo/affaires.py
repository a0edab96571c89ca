"""One chunk of demo affaires with their versions, actions, documents and projets.

Columns are drawn with numpy and inserted with INSERT ... SELECT from frames; the
versions are derived in DuckDB from the affaires just inserted, the last one being the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_data.demo import children as demo_children
from crm_data.demo import words as demo_words
from crm_data.demo.children import (
    DAY,
    Ids,
    Statement,
    categorical,
    cents,
    date_of,
    instant,
    pick,
)
from crm_data.demo.team import Comptes, Team
from crm_data.model import CrmError
from crm_data.store.db import Connection

OPEN, WON, LOST, DROPPED = 0, 1, 2, 3
STATUTS = np.asarray(["En cours", "Gagnée", "Perdue", "Abandonnée"], dtype=object)
TABLES = (
    "utilisateur",
    "compte",
    "compte_cle",
    "contact",
    "affaire",
    "affaire_version",
    "action",
    "document",
    "projet",
)
"""Every table the demo fills, in the order it fills them."""
TYPES = ("Nouveau", "Récurrent", "Mise à jour")


@dataclass
class Refs:
    """The base's active reference lists the demo draws from."""

    etapes: list[str]
    reussite: np.ndarray
    codes: np.ndarray
    code_weights: np.ndarray
    externe: np.ndarray
    familles: np.ndarray


def read_refs(cur: Connection) -> Refs:
    """Active étapes in order, codes clôture with their draw weights, familles d'article."""
    etapes = cur.execute(
        """
        SELECT nom, reussite_defaut
        FROM etape
        WHERE actif
        ORDER BY ordre
        """
    ).fetchall()
    codes = cur.execute(
        """
        SELECT nom, categorie
        FROM code_cloture
        WHERE actif
        ORDER BY nom
        """
    ).fetchall()
    familles = cur.execute(
        """
        SELECT nom
        FROM famille_article
        WHERE actif
        ORDER BY nom
        """
    ).fetchall()
    if not etapes or not codes:
        raise CrmError(
            "Les données de démonstration demandent au moins une étape et un code clôture actifs."
        )
    weights = np.asarray([demo_words.POIDS_CODES_PERTE.get(str(n), 1.0) for n, _ in codes])
    return Refs(
        etapes=[str(n) for n, _ in etapes],
        reussite=np.asarray([int(r) for _, r in etapes]),
        codes=np.asarray([str(n) for n, _ in codes], dtype=object),
        code_weights=weights / weights.sum(),
        externe=np.asarray([c == "externe" for _, c in codes]),
        familles=np.asarray([str(f[0]) for f in familles], dtype=object),
    )


def _amount(rng: np.random.Generator, n: int) -> np.ndarray:
    """Amounts in cents, log-normal between 1 k€ and 500 k€ (median about 15 k€)."""
    euros = np.clip(rng.lognormal(np.log(15_000), 1.0, n), 1_000, 500_000)
    return np.round(euros * 100).astype(np.int64)


def _nullable(values: np.ndarray, keep: np.ndarray, small: bool = False) -> pd.Series:
    """Integers where keep holds, NULL elsewhere; small ones (days) as 32 bits."""
    dtype = pd.Int32Dtype() if small else pd.Int64Dtype()
    series: pd.Series = pd.Series(values).astype(dtype).where(keep, pd.NA)
    return series


class Chunk:
    """Draws one chunk of affaires and everything hanging on them, as the statements that
    insert them: drawing needs no connection, so the next chunk can be drawn while this one is
    written."""

    def __init__(
        self,
        engine: str,
        rng: np.random.Generator,
        ids: Ids,
        refs: Refs,
        team: Team,
        comptes: Comptes,
        today: int,
    ) -> None:
        self.engine = engine
        self.rng = rng
        self.ids = ids
        self.refs = refs
        self.team = team
        self.comptes = comptes
        self.today = today

    def draw(self, n: int) -> dict[str, Statement]:
        """The statements inserting n affaires and their children, per table in their order."""
        frame = self._affaires(n)
        users = np.concatenate([self.team.managers, self.team.commerciaux])
        rng, ids, today = self.rng, self.ids, self.today
        return {
            "affaire": Statement(_INSERT_AFFAIRE, frame),
            "affaire_version": demo_children.versions(
                self.engine, frame, self.refs.etapes, [int(r) for r in self.refs.reussite]
            ),
            "action": demo_children.actions(rng, ids, frame, self.team.commerciaux, today),
            "document": demo_children.documents(rng, ids, frame, today),
            "projet": demo_children.projets(rng, ids, frame, users, today),
        }

    def _outcome(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Age in days, cycle length in days and statut code of n affaires.

        An affaire whose cycle has run out by today is closed, except a few forgotten ones left
        open with a past date_fin; older affaires are thus mostly closed, recent ones open.
        """
        rng = self.rng
        age = rng.integers(1, 3 * 365 + 1, n)
        cycle = np.clip(np.round(rng.lognormal(np.log(55), 0.6, n)), 3, 400).astype(np.int64)
        closed = (cycle < age) & (rng.random(n) >= 0.15)
        outcome = rng.choice([WON, LOST, DROPPED], n, p=[35 / 85, 40 / 85, 10 / 85])
        return age, cycle, np.where(closed, outcome, OPEN)

    def _etape(self, statut: np.ndarray, age: np.ndarray, cycle: np.ndarray) -> np.ndarray:
        """Index of the étape each affaire reached."""
        rng, n, e = self.rng, len(statut), len(self.refs.etapes)
        rising = np.minimum(np.arange(1, e + 1), 3).astype(float)
        falling = rising[::-1].copy()
        # A forgotten open affaire may have stalled at any étape.
        stalled = rng.uniform(0, e, n)
        progress = np.where(age < cycle, age / cycle * e, stalled) + rng.normal(0, 0.6, n)
        by_statut = {
            OPEN: np.floor(progress),
            WON: e - 1 - (rng.random(n) < 0.25),
            LOST: rng.choice(e, n, p=rising / rising.sum()),
            DROPPED: rng.choice(e, n, p=falling / falling.sum()),
        }
        index = np.select([statut == s for s in by_statut], list(by_statut.values()))
        clipped: np.ndarray = np.clip(index, 0, e - 1).astype(np.int64)
        return clipped

    def _affaires(self, n: int) -> pd.DataFrame:
        rng, refs, comptes, today = self.rng, self.refs, self.comptes, self.today
        age, cycle, statut = self._outcome(n)
        is_open = statut == OPEN
        etape = self._etape(statut, age, cycle)
        debut = today - age
        closing = debut + cycle
        compte = np.floor(len(comptes.ids) * rng.random(n) ** 1.6).astype(np.int64)
        contact = comptes.contact_first[compte] + np.floor(
            rng.random(n) * comptes.contact_count[compte]
        ).astype(np.int64)
        has_contact = rng.random(n) >= np.where(is_open, 0.08, 0.03)
        gestion = np.where(
            rng.random(n) < 0.85, comptes.owner[compte], rng.choice(self.team.commerciaux, n)
        )
        type_index = rng.choice(3, n, p=[0.55, 0.25, 0.20])
        if len(refs.familles):
            famille_index = rng.integers(0, len(refs.familles), n)
            has_famille = rng.random(n) >= 0.06
            famille = np.where(has_famille, refs.familles[famille_index], "").astype(object)
        else:
            famille_index = np.zeros(n, dtype=np.int64)
            has_famille = np.zeros(n, dtype=bool)
            famille = np.full(n, "", dtype=object)
        money = self._money(statut)
        reussite = refs.reussite[etape] + rng.normal(0, 7, n)
        reussite = np.clip(np.round(reussite / 5) * 5, 0, 100).astype(np.int64)
        planned = debut + np.round(cycle * rng.uniform(0.7, 1.3, n)).astype(np.int64)
        has_fin = ~is_open | (rng.random(n) >= 0.05)
        code, code_kept = self._codes(statut)
        first = self.ids.take("affaire_id_seq", n)
        return pd.DataFrame(
            {
                "id": np.arange(first, first + n, dtype=np.int64),
                "nom": self._names(type_index, famille, compte),
                "date_debut": debut.astype(np.int32),
                "date_fin": _nullable(planned, has_fin, small=True),
                "compte_id": comptes.ids[compte],
                "contact_id": _nullable(contact, has_contact),
                "gestion_par": gestion.astype(np.int64),
                "statut": categorical(STATUTS, statut),
                "etape_index": etape,
                "etape": categorical(refs.etapes, etape),
                "type": categorical(TYPES, type_index),
                "famille_article": categorical(refs.familles, famille_index, has_famille),
                "notes": categorical(
                    demo_words.NOTES_AFFAIRE,
                    rng.integers(0, len(demo_words.NOTES_AFFAIRE), n),
                    rng.random(n) < 0.2,
                ),
                "ca_potentiel": money["ca_potentiel"],
                "reussite": reussite,
                "ca_attendu": money["ca_attendu"],
                "code_cloture": categorical(refs.codes, code, code_kept),
                "date_signature": _nullable(closing, statut == WON, small=True),
                "total_ht": money["total_ht"],
                "date_cloture": _nullable(closing, ~is_open, small=True),
                "version": 1 + etape + (~is_open),
                "n_etapes": len(refs.etapes),
                "compte_nom": categorical(comptes.noms, compte),
                **self._timeline(debut, age, closing, etape, is_open),
            }
        )

    def _timeline(
        self,
        debut: np.ndarray,
        age: np.ndarray,
        closing: np.ndarray,
        etape: np.ndarray,
        is_open: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """Epoch seconds of creation (t0), of closing or of the last move of an open affaire
        (t_end), and of the last change (t_updated); the étape moves fall in between, spread by
        jitter (the same formula as in demo_children.versions)."""
        rng, n = self.rng, len(debut)
        t0 = debut * DAY + 8 * 3600 + rng.integers(0, 9 * 3600, n)
        open_end = debut * DAY + (age * DAY * rng.uniform(0.2, 0.95, n)).astype(np.int64)
        closed_end = closing * DAY + 9 * 3600 + rng.integers(0, 8 * 3600, n)
        t_end = np.maximum(np.where(is_open, open_end, closed_end), t0 + 3600)
        jitter = rng.random(n)
        last_move = t0 + np.floor((t_end - t0) * (etape + 0.6 * (jitter - 0.5)) / (etape + 1))
        updated = np.where(is_open, np.where(etape > 0, last_move, t0), t_end)
        return {"t0": t0, "t_end": t_end, "t_updated": updated.astype(np.int64), "jitter": jitter}

    def _money(self, statut: np.ndarray) -> dict[str, pd.Series]:
        """ca_potentiel (missing on a few open affaires), ca_attendu below it, and total_ht of
        won affaires: ca_potentiel less a discount of at most 30 %."""
        rng, n = self.rng, len(statut)
        potentiel = _amount(rng, n)
        known = (statut != OPEN) | (rng.random(n) >= 0.07)
        attendu = np.floor(potentiel * rng.uniform(0.55, 0.95, n)).astype(np.int64)
        discount = np.minimum(rng.beta(2, 16, n), 0.3)
        total = np.round(potentiel * (1 - discount)).astype(np.int64)
        return {
            "ca_potentiel": _nullable(potentiel, known),
            "ca_attendu": _nullable(attendu, known),
            "total_ht": _nullable(total, statut == WON),
        }

    def _codes(self, statut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A code clôture for every lost affaire (Prix and Concurrent first), and for most
        abandoned ones, mostly external reasons; whether each affaire keeps it."""
        rng, refs, n = self.rng, self.refs, len(statut)
        externe_weights = refs.code_weights * np.where(refs.externe, 4.0, 1.0)
        # Indices into refs.codes, drawn as choice(refs.codes, ...) draws its values.
        code = np.where(
            statut == LOST,
            rng.choice(len(refs.codes), n, p=refs.code_weights),
            rng.choice(len(refs.codes), n, p=externe_weights / externe_weights.sum()),
        )
        kept = (statut == LOST) | ((statut == DROPPED) & (rng.random(n) < 0.7))
        return code, kept

    def _names(self, type_index: np.ndarray, famille: np.ndarray, compte: np.ndarray) -> np.ndarray:
        """ "Renouvellement parc informatique — Boulangeries Martin" and the like."""
        rng, n = self.rng, len(type_index)
        prefix = np.empty(n, dtype=object)
        for i, name in enumerate(TYPES):
            mask = type_index == i
            prefix[mask] = pick(rng, demo_words.OBJETS_TYPE[name], int(mask.sum()))
        objet = np.empty(n, dtype=object)
        for name, words in demo_words.OBJETS_FAMILLE.items():
            mask = famille == name
            objet[mask] = pick(rng, words, int(mask.sum()))
        unknown = pd.isna(objet)
        objet[unknown] = pick(rng, demo_words.OBJETS_FAMILLE[""], int(unknown.sum()))
        return np.asarray(prefix + " " + objet + " — " + self.comptes.noms[compte], dtype=object)


_INSERT_AFFAIRE = f"""
    INSERT INTO affaire (id, nom, date_debut, date_fin, compte_id, contact_id, gestion_par,
                         statut, etape, type, famille_article, notes, ca_potentiel, reussite,
                         ca_attendu, code_cloture, date_signature, total_ht, date_cloture,
                         created_at, created_by, updated_at, updated_by, version)
    SELECT id, nom, {date_of("date_debut")}, {date_of("date_fin")}, compte_id,
           contact_id, gestion_par, statut, etape, type, famille_article, notes,
           {cents("ca_potentiel")}, reussite,
           {cents("ca_attendu")}, code_cloture,
           {date_of("date_signature")}, {cents("total_ht")},
           {date_of("date_cloture")}, {instant("t0")}, gestion_par,
           {instant("t_updated")}, gestion_par, version
    FROM bulk_frame
"""


def insert(cur: Connection, statements: dict[str, Statement]) -> dict[str, int]:
    """Run a chunk's statements in order; return the rows added per table."""
    return {table: statement.run(cur) for table, statement in statements.items()}
