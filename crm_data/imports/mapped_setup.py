"""What a mapped import creates before its rows (crm_data.imports.mapped): the comptes, users,
familles and codes clôture its companion files describe or its mapping names, when missing, in
the import's own transaction.
"""

from __future__ import annotations

import itertools
import re

from crm_data.comptes import insert_comptes
from crm_data.files.canonical import SourceRow
from crm_data.imports.bulk import allocate_ids
from crm_data.imports.mapped_report import MappedImportReport
from crm_data.mapping.model import Mapping
from crm_data.mapping.shipped import Companions, CompteSource
from crm_data.model import Actor, CategorieCloture, Role
from crm_data.referentiels import insert_value
from crm_data.store.db import Connection
from crm_data.text import fold
from crm_data.users import insert_user


def prepare(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    companions: Companions,
    report: MappedImportReport,
) -> None:
    """Create what companions describe and what the mapping's defaults name, if missing."""
    for nom, role in companions.users:
        _ensure_user(cur, actor, nom, role, report)
    for nom in companions.familles:
        _ensure_famille(cur, actor, nom, report)
    code = mapping.defaults.get("code_cloture")
    if code:
        _ensure_code(cur, actor, code, report)
    by_source = {
        str(s): int(i)
        for s, i in cur.execute(
            """
            SELECT source_id, id
            FROM compte
            WHERE source_id IS NOT NULL
            """
        ).fetchall()
    }
    known = {
        str(k)
        for (k,) in cur.execute(
            """
            SELECT nom_cle
            FROM compte
            """
        ).fetchall()
    }
    new: dict[str, CompteSource] = {}
    for compte in companions.comptes:
        key = fold(compte.nom)
        if key in known or (compte.source_id and compte.source_id in by_source):
            continue
        new.setdefault(key, compte)
    _insert_comptes(cur, actor, new, dry_run=report.dry_run)
    report.comptes_crees.extend(c.nom for c in new.values())


def _insert_comptes(
    cur: Connection, actor: Actor, new: dict[str, CompteSource], *, dry_run: bool
) -> None:
    """Insert the companions' new comptes in bulk, through the comptes' one insert."""
    ids = allocate_ids(cur, "compte_id_seq", len(new), dry_run=dry_run)
    insert_comptes(
        cur,
        actor,
        [
            (
                i,
                {
                    "nom": " ".join(c.nom.split()),
                    "secteur": c.secteur,
                    "ville": c.ville,
                    "source_id": c.source_id,
                },
            )
            for i, c in zip(ids, new.values(), strict=True)
        ],
    )


def create_missing(
    cur: Connection,
    actor: Actor,
    mapping: Mapping,
    chunk: list[SourceRow],
    report: MappedImportReport,
) -> None:
    """Create the users and familles the chunk names, if the mapping asks for it."""
    if mapping.creer_utilisateurs:
        for nom in dict.fromkeys(r.values.get("gestion_par", "") for r in chunk):
            if nom.strip():
                _ensure_user(cur, actor, nom, Role.COMMERCIAL.value, report)
    if mapping.creer_familles:
        for nom in dict.fromkeys(r.values.get("famille_article", "") for r in chunk):
            if nom.strip():
                _ensure_famille(cur, actor, nom, report)


def _ensure_user(
    cur: Connection, actor: Actor, nom: str, role: str, report: MappedImportReport
) -> None:
    """Create the user named nom unless one has that name or login (case and accents aside),
    with a login drawn from the name."""
    nom = " ".join(nom.split())
    rows = cur.execute(
        """
        SELECT login, nom
        FROM utilisateur
        """
    ).fetchall()
    if fold(nom) in {fold(str(n)) for _, n in rows} | {fold(str(lg)) for lg, _ in rows}:
        return
    base = re.sub(r"[^a-z0-9.-]", "", fold(nom).replace(" ", ".")) or "utilisateur"
    logins = {str(lg).lower() for lg, _ in rows}
    login = next(
        candidate
        for candidate in itertools.chain([base], (f"{base}{n}" for n in itertools.count(2)))
        if candidate not in logins
    )
    insert_user(cur, actor, login, role, nom)
    report.users_crees.append(f"{nom} ({role})")


def _ensure_value(
    cur: Connection, actor: Actor, referentiel: str, nom: str, categorie: str | None = None
) -> bool:
    """Create nom in the reference list (referentiels.insert_value, with its checks) unless a
    value has that name, case and accents aside; True when it was created."""
    existing = {
        fold(str(n))
        for (n,) in cur.execute(
            f"""
            SELECT nom
            FROM {referentiel}
            """
        ).fetchall()
    }
    if fold(nom) in existing:
        return False
    if categorie is None:
        insert_value(cur, actor, referentiel, nom)
    else:
        insert_value(cur, actor, referentiel, nom, categorie=categorie)
    return True


def _ensure_famille(cur: Connection, actor: Actor, nom: str, report: MappedImportReport) -> None:
    nom = " ".join(nom.split())
    if _ensure_value(cur, actor, "famille_article", nom):
        report.familles_creees.append(nom)


def _ensure_code(cur: Connection, actor: Actor, nom: str, report: MappedImportReport) -> None:
    # A reason the source does not give is not one the team could have avoided: externe.
    if _ensure_value(cur, actor, "code_cloture", nom, CategorieCloture.EXTERNE.value):
        report.codes_crees.append(nom)
