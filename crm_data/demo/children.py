"""What hangs on a chunk of demo affaires: versions, actions, documents and projets.

Also the id allocation shared by every demo table. Bulk inserts only: INSERT ... SELECT from
frames (crm_data.store.frames, released after each statement), or from the affaires just
inserted. The frames are built in id order and
inserted in that order without an ORDER BY (a sort of each chunk cost time and memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_data.demo import words as demo_words
from crm_data.model import AFFAIRE_FIELDS
from crm_data.store.db import Connection
from crm_data.store.engine import POSTGRESQL, dialect
from crm_data.store.frames import execute_with_frame

DAY = 86_400
SEQUENCES = (
    "utilisateur_id_seq",
    "compte_id_seq",
    "contact_id_seq",
    "affaire_id_seq",
    "historique_id_seq",
    "action_id_seq",
    "document_id_seq",
    "projet_id_seq",
)


@dataclass
class Ids:
    """Explicit ids handed out from each table's sequence, which is advanced past them at the end.

    Ids come from numpy rather than from nextval inside INSERT ... SELECT, whose evaluation order
    over a parallel scan is not guaranteed: explicit ids keep the base reproducible.
    """

    start: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)

    def open(self, cur: Connection) -> None:
        for seq in SEQUENCES:
            row = cur.execute(f"SELECT nextval('{seq}')").fetchone()
            assert row is not None
            self.start[seq] = int(row[0])
            self.used[seq] = 0

    def next_id(self, seq: str) -> int:
        return self.start[seq] + self.used[seq]

    def take(self, seq: str, n: int) -> int:
        """The first of n consecutive new ids of the sequence."""
        first = self.next_id(seq)
        self.used[seq] += n
        return first

    def close(self, cur: Connection) -> None:
        """Advance every sequence past the ids handed out, so later creations never clash."""
        for seq in SEQUENCES:
            if self.used[seq] > 1:
                cur.execute(
                    f"""
                    SELECT max(nextval('{seq}'))
                    FROM generate_series(1, ?) AS s (k)
                    """,
                    [self.used[seq] - 1],
                )


def date_of(column: str) -> str:
    """SQL: the DATE of a column of days since 1970-01-01 (PostgreSQL adds only an INTEGER)."""
    return f"(DATE '1970-01-01' + CAST({column} AS INTEGER))"


def instant(seconds: str) -> str:
    """SQL: the TIMESTAMP of an expression of whole seconds since 1970-01-01 00:00."""
    return (
        f"CAST(TIMESTAMP '1970-01-01' + CAST({seconds} AS BIGINT) * INTERVAL '1 second'"
        " AS TIMESTAMP)"
    )


def cents(column: str) -> str:
    """SQL: a column of whole cents as an exact amount (PostgreSQL divides integers whole)."""
    return f"CAST(CAST({column} AS DECIMAL(18, 2)) / 100 AS DECIMAL(14, 2))"


def day_start(column: str) -> str:
    """SQL: midnight of a column of days since 1970-01-01, as a TIMESTAMP."""
    return f"CAST({date_of(column)} AS TIMESTAMP)"


def pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    """n words drawn uniformly from words, as an object array."""
    return np.asarray(words, dtype=object)[rng.integers(0, len(words), n)]


def coded(words: tuple[str, ...], codes: np.ndarray, keep: np.ndarray | None = None) -> pa.Array:
    """The words at codes as an Arrow dictionary column, NULL where keep is false: no Python
    string is made per row (DuckDB reads the dictionary as it is)."""
    mask = None if keep is None else ~keep
    indices = pa.array(codes.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(words, pa.string()))


def pick_coded(
    rng: np.random.Generator, words: tuple[str, ...], n: int, keep_draw: float | None = None
) -> pa.Array:
    """n words drawn as pick() draws them, as coded() gives them; with keep_draw, each is then
    kept with that probability (NULL otherwise), drawn as maybe(pick(...), rng.random(n) <
    keep_draw) draws it."""
    codes = rng.integers(0, len(words), n)
    keep = None if keep_draw is None else rng.random(n) < keep_draw
    return coded(words, codes, keep)


def categorical(
    words: Sequence[str] | np.ndarray, codes: np.ndarray, keep: np.ndarray | None = None
) -> pd.Categorical:
    """The words (distinct) at codes as a pandas column of codes, missing where keep is false:
    built without a Python string per row, which a text column of a frame would convert."""
    codes = codes.astype(np.int32) if keep is None else np.where(keep, codes, -1).astype(np.int32)
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(words), dtype=object))


def maybe(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """values as an object array, with None where keep is false (NULL once inserted)."""
    out = np.asarray(values, dtype=object).copy()
    out[~keep] = None
    return out


def _hundreds(engine: str, value: str) -> str:
    """SQL: value (a DOUBLE) rounded to the hundred; PostgreSQL rounds to a negative number of
    digits only a NUMERIC."""
    if engine == POSTGRESQL:
        return f"round(CAST({value} AS NUMERIC), -2)"
    return f"round({value}, -2)"


def load(cur: Connection, sql: str, frame: pd.DataFrame | pa.Table, params: object = None) -> int:
    """Run an INSERT ... SELECT reading `bulk_frame` (a frame or an Arrow table); return the
    number of rows inserted."""
    # DuckDB scans an Arrow table without the GIL; a frame's Python strings under it.
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    if dialect(cur) == POSTGRESQL:
        # COPY writes plain columns as CSV blocks; a dictionary one would go row by row.
        table = _decoded(table)
    frame = table
    rows = execute_with_frame(cur, sql, frame, params)
    return int(rows[0][0]) if rows else 0


@dataclass
class Statement:
    """An INSERT ... SELECT reading `bulk_frame`, drawn but not yet run (see load)."""

    sql: str
    frame: pd.DataFrame | pa.Table
    params: object = None

    def __post_init__(self) -> None:
        # Drawn in the worker thread as Arrow: the engine then scans it without the GIL (a
        # frame's Python strings and nullable columns are read under it, by the writing thread).
        if isinstance(self.frame, pd.DataFrame):
            self.frame = pa.Table.from_pandas(self.frame, preserve_index=False)

    def run(self, cur: Connection) -> int:
        """Run it; return the number of rows inserted."""
        return load(cur, self.sql, self.frame, self.params)


def _decoded(table: pa.Table) -> pa.Table:
    """table with its dictionary columns as plain text, which PostgreSQL's COPY takes as CSV."""
    columns = [
        pc.cast(column, column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def versions(engine: str, frame: pd.DataFrame, etapes: list[str], reussite: list[int]) -> Statement:
    """Each affaire's versions, one per write: its creation (En cours, first étape), one per
    étape passed, then its closing; the statement inserting them.

    Early versions carry a first estimate of the amounts (revised to their final value on
    reaching the third étape) and, for about a quarter of the affaires, an earlier date fin
    that slips by 15 days at each write. The last version is the affaire's row itself.
    """
    # A second uniform draw derived from jitter, so the random stream stays as it was.
    second = "((f.jitter * 1000) - floor(f.jitter * 1000))"
    last = "s.k + 1 = a.version"
    moved = instant(
        "f.t0 + floor((f.t_end - f.t0) * (s.k + 0.6 * (f.jitter - 0.5)) / (f.etape_index + 1))"
    )
    early: dict[str, str] = {
        "statut": "'En cours'",
        "etape": "(CAST($etapes AS VARCHAR[]))[s.k + 1]",
        "reussite": "(CAST($reussite AS INTEGER[]))[s.k + 1]",
        "code_cloture": "NULL",
        "date_signature": "NULL",
        "total_ht": "NULL",
        "date_cloture": "NULL",
        **{
            name: f"""CASE
                WHEN s.k >= 2 THEN a.{name}
                ELSE CAST({_hundreds(engine, f"a.{name} * (0.75 + 0.5 * {second})")}
                          AS DECIMAL(14, 2))
            END"""
            for name in ("ca_potentiel", "ca_attendu")
        },
        "date_fin": f"""CASE
            WHEN {second} < 0.25
                THEN greatest(a.date_debut, a.date_fin - 15 * CAST(a.version - 1 - s.k AS INTEGER))
            ELSE a.date_fin
        END""",
    }
    columns = ", ".join(
        f"CASE WHEN {last} THEN a.{name} ELSE {early[name]} END" if name in early else f"a.{name}"
        for name in AFFAIRE_FIELDS
    )
    return Statement(
        f"""
        INSERT INTO affaire_version (affaire_id, version, valid_from, written_by,
                                     {", ".join(AFFAIRE_FIELDS)})
        SELECT a.id,
               s.k + 1,
               CASE
                   WHEN {last} THEN a.updated_at
                   WHEN s.k = 0 THEN {instant("f.t0")}
                   ELSE {moved}
               END,
               a.gestion_par,
               {columns}
        FROM affaire AS a
        JOIN bulk_frame AS f
            ON f.id = a.id
        JOIN generate_series(0, $n_etapes) AS s (k)
            ON s.k < a.version
        WHERE a.id BETWEEN $lo AND $hi
        ORDER BY a.id, s.k
        """,
        frame,
        {
            "etapes": etapes,
            "reussite": reussite,
            "n_etapes": len(etapes),
            "lo": int(frame["id"].iloc[0]),
            "hi": int(frame["id"].iloc[-1]),
        },
    )


def actions(
    rng: np.random.Generator,
    ids: Ids,
    frame: pd.DataFrame,
    commerciaux: np.ndarray,
    today: int,
) -> Statement:
    """2 to 8 actions per affaire spread from its start to its end (today when still open); an
    open affaire keeps one or two due actions, some overdue. The statement inserting them."""
    n = len(frame)
    is_open = frame["statut"].to_numpy() == "En cours"
    debut = frame["date_debut"].to_numpy().astype(np.int64)
    end = np.where(is_open, today, frame["date_cloture"].fillna(0).to_numpy().astype(np.int64))
    per = rng.integers(2, 9, n)
    m = int(per.sum())
    owner = np.repeat(np.arange(n), per)
    position = np.arange(m) - np.repeat(np.cumsum(per) - per, per)
    day = debut[owner] + np.floor(
        (end[owner] - debut[owner]) * (position + rng.random(m)) / per[owner]
    ).astype(np.int64)
    n_due = np.where(is_open, 1 + (rng.random(n) < 0.4), 0)
    due = position >= (per - n_due)[owner]
    echeance = np.where(due, np.maximum(day, today + rng.integers(-25, 31, m)), day)
    kind = rng.choice(len(demo_words.OBJETS_ACTION), m, p=[0.3, 0.25, 0.15, 0.15, 0.15])
    types = tuple(demo_words.OBJETS_ACTION)
    # Every objet word in one list: each kind's words from its offset, drawn as pick() draws.
    objets = tuple(w for words in demo_words.OBJETS_ACTION.values() for w in words)
    objet = np.zeros(m, dtype=np.int64)
    offset = 0
    for i, words in enumerate(demo_words.OBJETS_ACTION.values()):
        mask = kind == i
        objet[mask] = offset + rng.integers(0, len(words), int(mask.sum()))
        offset += len(words)
    gestion = frame["gestion_par"].to_numpy()[owner]
    first = ids.take("action_id_seq", m)
    rows = pa.table(
        {
            "id": np.arange(first, first + m, dtype=np.int64),
            "affaire_id": frame["id"].to_numpy()[owner],
            "type": coded(types, kind),
            "date_action": day.astype(np.int32),
            "objet": coded(objets, objet),
            "description": pick_coded(rng, demo_words.DESCRIPTIONS_ACTION, m, 0.3),
            "echeance": echeance.astype(np.int32),
            "fait": ~due,
            "utilisateur_id": np.where(rng.random(m) < 0.9, gestion, rng.choice(commerciaux, m)),
            "t": day * DAY + 8 * 3600 + rng.integers(0, 10 * 3600, m),
        }
    )
    return Statement(
        f"""
        INSERT INTO action (id, affaire_id, type, date_action, objet, description, echeance,
                            fait, fait_le, utilisateur_id, created_at, created_by, updated_at,
                            updated_by)
        SELECT id, affaire_id, type, {date_of("date_action")}, objet, description,
               {date_of("echeance")}, fait,
               CASE WHEN fait THEN {date_of("date_action")} END,
               utilisateur_id, {instant("t")}, utilisateur_id,
               {instant("t")}, utilisateur_id
        FROM bulk_frame
        """,
        rows,
    )


def documents(rng: np.random.Generator, ids: Ids, frame: pd.DataFrame, today: int) -> Statement:
    """A devis for most affaires that reached the last étapes but one, an invoice for each won
    affaire; no attached file. The statement inserting them."""
    n = len(frame)
    statut = frame["statut"].to_numpy()
    won = statut == "Gagnée"
    n_etapes = int(frame["n_etapes"].iloc[0])
    potentiel = frame["ca_potentiel"].fillna(-1).to_numpy().astype(np.int64)
    total = frame["total_ht"].fillna(0).to_numpy().astype(np.int64)
    late = frame["etape_index"].to_numpy() >= max(n_etapes - 2, 0)
    quoted = (late | won) & (potentiel >= 0) & (rng.random(n) < 0.9)
    debut = frame["date_debut"].to_numpy().astype(np.int64)
    end = np.where(
        statut == "En cours", today, frame["date_cloture"].fillna(0).to_numpy().astype(np.int64)
    )
    devis_day = debut + np.floor((end - debut) * rng.uniform(0.3, 0.9, n)).astype(np.int64)
    devis_statut = np.select(
        [won, statut == "Perdue", statut == "Abandonnée", rng.random(n) < 0.75],
        ["Accepté", "Refusé", np.where(rng.random(n) < 0.5, "Refusé", "Envoyé"), "Envoyé"],
        default="Brouillon",
    )
    signature = frame["date_signature"].fillna(0).to_numpy().astype(np.int64)
    facture_day = np.minimum(signature + rng.integers(0, 31, n), today)
    parts = pd.concat(
        [
            _documents_part(
                quoted, "Devis", devis_day, np.where(won, total, potentiel), devis_statut
            ),
            _documents_part(
                won,
                "Facture",
                facture_day,
                total,
                np.where(facture_day < today - 45, "Payée", "Émise"),
            ),
        ],
        ignore_index=True,
    ).sort_values(["row", "day", "type"], kind="stable", ignore_index=True)
    first = ids.take("document_id_seq", len(parts))
    document_ids = np.arange(first, first + len(parts), dtype=np.int64)
    days = parts["day"].to_numpy().astype(np.int64)
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    numero = (
        pd.Series(np.where(parts["type"].to_numpy() == "Devis", "DEV-", "FAC-"), dtype=object)
        + pd.Series(years).astype(str).to_numpy(dtype=object)
        + "-"
        + pd.Series(document_ids).astype(str).str.zfill(6).to_numpy(dtype=object)
    )
    rows = pd.DataFrame(
        {
            "id": document_ids,
            "numero": numero.to_numpy(dtype=object),
            "affaire_id": frame["id"].to_numpy()[parts["row"]],
            "type": parts["type"].to_numpy(dtype=object),
            "day": parts["day"].to_numpy().astype(np.int32),
            "montant": parts["montant"].to_numpy(),
            "statut": parts["statut"].to_numpy(dtype=object),
            "auteur": frame["gestion_par"].to_numpy()[parts["row"]],
        }
    )
    return Statement(
        f"""
        INSERT INTO document (id, affaire_id, type, numero, date_document, montant_ht, statut,
                              created_at, created_by, updated_at, updated_by)
        SELECT id, affaire_id, type, numero, {date_of("day")}, {cents("montant")}, statut,
               {day_start("day")}, auteur,
               {day_start("day")}, auteur
        FROM bulk_frame
        """,
        rows,
    )


def _documents_part(
    chosen: np.ndarray, kind: str, day: np.ndarray, montant: np.ndarray, statut: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.flatnonzero(chosen),
            "type": kind,
            "day": day[chosen],
            "montant": montant[chosen],
            "statut": statut[chosen],
        }
    )


def projets(
    rng: np.random.Generator,
    ids: Ids,
    frame: pd.DataFrame,
    users: np.ndarray,
    today: int,
) -> Statement:
    """A delivery projet for most won affaires, its statut following its dates. The statement
    inserting them."""
    n = len(frame)
    chosen = np.flatnonzero((frame["statut"].to_numpy() == "Gagnée") & (rng.random(n) < 0.85))
    k = len(chosen)
    signature = frame["date_signature"].to_numpy()[chosen].astype(np.int64)
    debut = signature + rng.integers(3, 31, k)
    fin = debut + rng.integers(10, 151, k)
    statut = np.select(
        [debut > today, fin >= today, rng.random(k) < 0.92],
        ["À réaliser", "En cours", "Réalisé"],
        default="Annulé",
    )
    gestion = frame["gestion_par"].to_numpy()[chosen]
    first = ids.take("projet_id_seq", k)
    rows = pd.DataFrame(
        {
            "id": np.arange(first, first + k, dtype=np.int64),
            "affaire_id": frame["id"].to_numpy()[chosen],
            "nom": pick(rng, demo_words.OBJETS_PROJET, k)
            + " — "
            + frame["compte_nom"].to_numpy()[chosen],
            "debut": debut.astype(np.int32),
            "fin": fin.astype(np.int32),
            "statut": statut.astype(object),
            "responsable": np.where(rng.random(k) < 0.6, gestion, rng.choice(users, k)),
            "auteur": gestion,
        }
    )
    return Statement(
        f"""
        INSERT INTO projet (id, affaire_id, nom, date_debut, date_fin, statut, responsable_id,
                            created_at, created_by, updated_at, updated_by)
        SELECT id, affaire_id, nom, {date_of("debut")}, {date_of("fin")}, statut,
               responsable, CAST({date_of("debut")} - 3 AS TIMESTAMP), auteur,
               CAST({date_of("debut")} - 3 AS TIMESTAMP), auteur
        FROM bulk_frame
        """,
        rows,
    )
