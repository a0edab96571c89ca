"""Realistic French demo data for an empty base: users, comptes, contacts, affaires and their
history, actions, documents and projets, bulk-loaded in chunks inside one transaction.

Deterministic: the same seed and the same `today` give the same base, row for row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import closing

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_data.demo import affaires as demo_affaires
from crm_data.demo import words as demo_words
from crm_data.demo.ahead import ahead
from crm_data.demo.children import Ids, Statement, day_start, load, maybe, pick
from crm_data.demo.team import Comptes, Team
from crm_data.model import CrmError
from crm_data.store.db import Connection, bounded_memory, read, transaction
from crm_data.store.engine import dialect
from crm_data.text import fold

CHUNK = 100_000
"""Affaires generated and inserted at a time: bounds memory whatever the total."""

MANAGERS = 2
COMMERCIAUX = 8
EPOCH = dt.date(1970, 1, 1)
Progress = Callable[[float, str], None]


def generate(
    con: Connection,
    *,
    affaires: int,
    seed: int,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill a base with realistic French demo data; return the row count per table created.

    The base must hold no affaire yet (CrmError otherwise). Everything is written in one
    transaction: a failure leaves nothing behind. On DuckDB the uncommitted rows spill to disk
    beyond bounded_memory's limit rather than grow the process.
    """
    if affaires < 0:
        raise CrmError("Le nombre d'affaires de démonstration ne peut pas être négatif.")
    today = today or dt.date.today()
    report = progress or (lambda fraction, message: None)
    counts = dict.fromkeys(demo_affaires.TABLES, 0)
    with bounded_memory(con), transaction(con) as cur:
        if not _holds_no_affaire(cur):
            raise CrmError(
                "La base contient déjà des affaires : les données de démonstration ne se "
                "chargent que dans une base vide."
            )
        refs = demo_affaires.read_refs(cur)
        ids = Ids()
        ids.open(cur)
        report(0.0, "Création des utilisateurs, comptes et contacts…")
        rng = np.random.default_rng([seed, 0])
        today_days = (today - EPOCH).days
        team = _insert_users(cur, rng, ids, today_days, counts)
        n_comptes = max(30, round(affaires / 8))
        comptes, compte_rows = _draw_comptes(cur, rng, ids, n_comptes, team, today_days, counts)
        engine = dialect(cur)

        def draw(index: int) -> dict[str, Statement]:
            size = min(CHUNK, affaires - index * CHUNK)
            chunk_rng = np.random.default_rng([seed, index + 1])
            chunk = demo_affaires.Chunk(engine, chunk_rng, ids, refs, team, comptes, today_days)
            return chunk.draw(size)

        # The next chunk is drawn (numpy, pandas, Arrow: mostly outside the GIL) while the
        # engine writes this one, in order (demo.ahead): the ids and random streams of a
        # plain loop.
        n_chunks = -(-affaires // CHUNK)
        with closing(ahead(draw(index) for index in range(n_chunks))) as drawn:
            for statement in compte_rows:
                statement.run(cur)
            del compte_rows
            for index, statements in enumerate(drawn):
                done = index * CHUNK
                size = min(CHUNK, affaires - done)
                report(
                    0.05 + 0.95 * done / affaires,
                    f"Affaires {_fr_int(done)} à {_fr_int(done + size)} sur {_fr_int(affaires)}…",
                )
                for table, n in demo_affaires.insert(cur, statements).items():
                    counts[table] += n
        report(0.99, "Enregistrement de la base…")
        ids.close(cur)
    report(1.0, f"Données de démonstration chargées : {_fr_int(affaires)} affaires.")
    return counts


def _holds_no_affaire(cur: Connection) -> bool:
    row = cur.execute(
        """
        SELECT count(*)
        FROM affaire
        """
    ).fetchone()
    return not (row and row[0])


def can_load(con: Connection) -> bool:
    """True when the base holds no affaire at all: the only time demo data may be loaded."""
    with read(con) as cur:
        return _holds_no_affaire(cur)


def _fr_int(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _slug(texts: pd.Series) -> pd.Series:
    """Lower-case ASCII words joined by hyphens, for logins, e-mails and web addresses."""
    return _hyphenated(texts.map(fold))


def _slugs(words: tuple[str, ...]) -> np.ndarray:
    """The _slug of each word of a list, in its order."""
    return np.asarray(_slug(pd.Series(words, dtype=object)), dtype=object)


def _hyphenated(folded: pd.Series) -> pd.Series:
    """Already folded texts (crm_data.text.fold) as their words joined by hyphens."""
    return folded.str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")


_TWO_DIGITS = pa.array([f"{i:02d}" for i in range(100)], pa.string())


def _phones(rng: np.random.Generator, prefixes: np.ndarray) -> np.ndarray:
    """French numbers written `01 23 45 67 89`, each starting with its given two digits."""
    digits = rng.integers(0, 100, (len(prefixes), 4))
    # Joined by Arrow: numpy's per-number text conversions took 1 s at a million affaires.
    parts = [pa.array(prefixes.astype(object), pa.string())]
    parts += [_TWO_DIGITS.take(pa.array(digits[:, i])) for i in range(4)]
    joined = pc.binary_join_element_wise(*parts, " ")
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def _insert_users(
    cur: Connection, rng: np.random.Generator, ids: Ids, today: int, counts: dict[str, int]
) -> Team:
    taken = {str(r[0]) for r in cur.execute("SELECT login FROM utilisateur").fetchall()}
    # Enough candidates to find ten new logins even in a base that already holds earlier ones.
    prenoms = pick(rng, demo_words.PRENOMS, 200)
    noms = pick(rng, demo_words.NOMS, 200)
    people = pd.DataFrame({"prenom": prenoms, "nom": noms})
    people["login"] = _slug(people["prenom"]) + "." + _slug(people["nom"])
    people = people.drop_duplicates("login")
    people = people[~people["login"].isin(taken)].head(MANAGERS + COMMERCIAUX)
    n = len(people)
    first = ids.take("utilisateur_id_seq", n)
    frame = pd.DataFrame(
        {
            "id": np.arange(first, first + n, dtype=np.int64),
            "login": people["login"].to_numpy(dtype=object),
            "nom": (people["prenom"] + " " + people["nom"]).to_numpy(dtype=object),
            "email": (people["login"] + "@entreprise-demo.fr").to_numpy(dtype=object),
            "role": ["manager"] * MANAGERS + ["commercial"] * (n - MANAGERS),
            "created_day": np.full(n, today - 4 * 365, dtype=np.int32),
        }
    )
    load(
        cur,
        f"""
        INSERT INTO utilisateur (id, login, nom, email, role, actif, created_at)
        SELECT id, login, nom, email, role, TRUE, {day_start("created_day")}
        FROM bulk_frame
        ORDER BY id
        """,
        frame,
    )
    counts["utilisateur"] = n
    user_ids = frame["id"].to_numpy()
    return Team(commerciaux=user_ids[MANAGERS:], managers=user_ids[:MANAGERS])


def _draw(
    rng: np.random.Generator, words: tuple[str, ...], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """size words drawn as pick() draws them, with their folded forms."""
    index = rng.integers(0, len(words), size)
    return np.asarray(words, dtype=object)[index], _folded(words)[index]


def _folded(words: tuple[str, ...]) -> np.ndarray:
    return np.asarray([fold(w) for w in words], dtype=object)


def _compose(pattern: np.ndarray, words: list[np.ndarray], fils: str) -> np.ndarray:
    """The names (or their keys) of each pattern from their words: trade, two family names,
    speciality, cabinet, region. Each pattern's names are built on its rows only."""
    m, a, b, s, c, r = words
    builds: list[Callable[[np.ndarray], np.ndarray]] = [
        lambda i: m[i] + " " + a[i],
        lambda i: m[i] + " " + a[i] + fils,
        lambda i: c[i] + " " + a[i] + " " + s[i],
        lambda i: m[i] + " " + r[i],
        lambda i: a[i] + " et " + b[i],
    ]
    out = np.empty(len(pattern), dtype=object)
    other = np.ones(len(pattern), dtype=bool)
    for index, build in enumerate(builds):
        rows = pattern == index
        other &= ~rows
        out[rows] = build(rows)
    out[other] = a[other] + " " + m[other]
    return out


def _compte_names(cur: Connection, rng: np.random.Generator, n: int) -> pd.DataFrame:
    """n company names unique after folding, with their sector, drawn from the word lists.

    A name's key is built from its words' keys (fold works word by word on these lists, whose
    words are trimmed): folding every name one by one took 20 s at 125,000 comptes."""
    taken = {str(r[0]) for r in cur.execute("SELECT nom_cle FROM compte_cle").fetchall()}
    metier_words = tuple(m for m, _ in demo_words.METIERS)
    metiers = np.asarray(metier_words, dtype=object)
    metier_keys = _folded(metier_words)
    secteurs = np.asarray([s for _, s in demo_words.METIERS], dtype=object)
    kept = pd.DataFrame(
        {
            "nom": pd.Series(dtype=object),
            "secteur": pd.Series(dtype=object),
            "nom_cle": pd.Series(dtype=object),
        }
    )
    draws = 0
    while len(kept) < n:
        size = 2 * (n - len(kept)) + 50
        metier = rng.integers(0, len(metiers), size)
        nom1, cle1 = _draw(rng, demo_words.NOMS, size)
        nom2, cle2 = _draw(rng, demo_words.NOMS, size)
        specialite, cle_specialite = _draw(rng, demo_words.SPECIALITES, size)
        cabinet, cle_cabinet = _draw(rng, demo_words.CABINETS, size)
        region, cle_region = _draw(rng, demo_words.REGIONS, size)
        forme, cle_forme = _draw(rng, demo_words.FORMES, size)
        pattern = rng.integers(0, 6, size)
        names = _compose(
            pattern, [metiers[metier], nom1, nom2, specialite, cabinet, region], " & Fils"
        )
        keys = _compose(
            pattern,
            [metier_keys[metier], cle1, cle2, cle_specialite, cle_cabinet, cle_region],
            " & fils",
        )
        with_forme = rng.random(size) < 0.35
        names = np.where(with_forme, names + " " + forme, names)
        keys = np.where(with_forme, keys + " " + cle_forme, keys)
        if draws >= 3:
            # The word lists run short for very large bases: a city tells namesakes apart.
            ville, cle_ville = _draw(rng, tuple(v for v, _ in demo_words.VILLES), size)
            names = names + " " + ville
            keys = keys + " " + cle_ville
        sector = np.where(
            pattern == 2,
            demo_words.SPECIALITE_SECTEUR,
            np.where(
                pattern == 4, secteurs[rng.integers(0, len(secteurs), size)], secteurs[metier]
            ),
        )
        batch = pd.DataFrame(
            {
                "nom": names.astype(object),
                "secteur": sector.astype(object),
                "nom_cle": keys.astype(object),
            }
        )
        kept = pd.concat([kept, batch], ignore_index=True)
        kept = kept.drop_duplicates("nom_cle")
        kept = kept[~kept["nom_cle"].isin(taken)].reset_index(drop=True)
        draws += 1
    return kept.head(n)


def _draw_comptes(
    cur: Connection,
    rng: np.random.Generator,
    ids: Ids,
    n: int,
    team: Team,
    today: int,
    counts: dict[str, int],
) -> tuple[Comptes, list[Statement]]:
    """n comptes and their contacts, drawn; the statements inserting them, in order (compte,
    compte_cle, contact): the affaires' first chunk is drawn while they run."""
    names = _compte_names(cur, rng, n)
    villes = rng.integers(0, len(demo_words.VILLES), n)
    prefixes = np.asarray([p for _, p in demo_words.VILLES], dtype=object)[villes]
    # The key is the folded name: slugging it skips folding 125,000 names one by one at a
    # million affaires (about 2.5 s).
    bare = names["nom_cle"].str.replace(r" (sas|sarl|sa|eurl|scop)$", "", regex=True)
    domain = _hyphenated(bare) + ".fr"
    first = ids.take("compte_id_seq", n)
    compte_ids = np.arange(first, first + n, dtype=np.int64)
    created = today - 1100 - rng.integers(0, 400, n)
    frame = pd.DataFrame(
        {
            "id": compte_ids,
            "nom": names["nom"].to_numpy(dtype=object),
            "nom_cle": names["nom_cle"].to_numpy(dtype=object),
            "secteur": names["secteur"].to_numpy(dtype=object),
            "ville": np.asarray([v for v, _ in demo_words.VILLES], dtype=object)[villes],
            "telephone": _phones(rng, prefixes),
            "site_web": ("www." + domain).to_numpy(dtype=object),
            "notes": maybe(pick(rng, demo_words.NOTES_COMPTE, n), rng.random(n) < 0.1),
            "created_day": created.astype(np.int32),
        }
    )
    owner = rng.choice(team.commerciaux, n)
    compte = Statement(
        f"""
        INSERT INTO compte (id, nom, nom_cle, secteur, ville, telephone, site_web, notes,
                            created_at, created_by, updated_at, updated_by)
        SELECT id, nom, nom_cle, secteur, ville, telephone, site_web, notes,
               {day_start("created_day")}, NULL,
               {day_start("created_day")}, NULL
        FROM bulk_frame
        ORDER BY id
        """,
        frame,
    )
    compte_cle = Statement(
        """
        INSERT INTO compte_cle (nom_cle, compte_id)
        SELECT nom_cle, id
        FROM bulk_frame
        ORDER BY id
        """,
        frame,
    )
    counts["compte"] = n
    counts["compte_cle"] = n
    contact_count = rng.integers(1, 5, n)
    contact_first, contact = _draw_contacts(rng, ids, compte_ids, contact_count, domain, created)
    counts["contact"] = int(contact_count.sum())
    comptes = Comptes(
        ids=compte_ids,
        noms=frame["nom"].to_numpy(),
        owner=owner,
        contact_first=contact_first,
        contact_count=contact_count,
    )
    return comptes, [compte, compte_cle, contact]


def _draw_contacts(
    rng: np.random.Generator,
    ids: Ids,
    compte_ids: np.ndarray,
    per_compte: np.ndarray,
    domain: pd.Series,
    compte_created: np.ndarray,
) -> tuple[np.ndarray, Statement]:
    """Each compte's contacts, drawn: the id of each compte's first contact, and the statement
    inserting them."""
    m = int(per_compte.sum())
    owner = np.repeat(np.arange(len(compte_ids)), per_compte)
    first = ids.take("contact_id_seq", m)
    # Drawn as pick() draws them; each word slugged once, not once a contact.
    prenom = rng.integers(0, len(demo_words.PRENOMS), m)
    nom = rng.integers(0, len(demo_words.NOMS), m)
    prenoms = np.asarray(demo_words.PRENOMS, dtype=object)[prenom]
    noms = np.asarray(demo_words.NOMS, dtype=object)[nom]
    emails = (
        _slugs(demo_words.PRENOMS)[prenom]
        + "."
        + _slugs(demo_words.NOMS)[nom]
        + "@"
        + domain.to_numpy(dtype=object)[owner]
    )
    mobile = np.where(rng.random(m) < 0.5, "06", "07").astype(object)
    frame = pd.DataFrame(
        {
            "id": np.arange(first, first + m, dtype=np.int64),
            "compte_id": compte_ids[owner],
            "prenom": prenoms,
            "nom": noms,
            "fonction": pick(rng, demo_words.FONCTIONS, m),
            "email": maybe(emails, rng.random(m) < 0.9),
            "telephone": maybe(_phones(rng, mobile), rng.random(m) < 0.8),
            "created_day": (compte_created[owner] + rng.integers(0, 60, m)).astype(np.int32),
        }
    )
    statement = Statement(
        f"""
        INSERT INTO contact (id, compte_id, prenom, nom, fonction, email, telephone,
                             created_at, updated_at)
        SELECT id, compte_id, prenom, nom, fonction, email, telephone,
               {day_start("created_day")},
               {day_start("created_day")}
        FROM bulk_frame
        ORDER BY id
        """,
        frame,
    )
    starts = np.concatenate([[0], np.cumsum(per_compte)[:-1]])
    return np.asarray(first + starts, dtype=np.int64), statement
