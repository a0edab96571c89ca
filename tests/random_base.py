"""A random base of many affaires with their versions and actions, inserted in bulk from pandas,
for checking the analyses against an independent pandas computation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crm_data.model import AFFAIRE_FIELDS, Role
from crm_data.store.db import Connection, open_base
from crm_data.users import add_user
from tests import engines

ETAPES = ["Qualification", "Analyse des besoins", "Proposition commerciale", "Négociation"]
CODES = [
    "Prix",
    "Offre inadaptée",
    "Concurrent",
    "Délai de réponse",
    "Projet annulé",
    "Pas de budget",
    "Client injoignable",
    "Décision reportée",
]
TYPES = ["Nouveau", "Récurrent", "Mise à jour"]
FAMILLES = ["Logiciel", "Matériel", "Prestation", "Formation", "Maintenance"]
START = np.datetime64("2023-06-01")
_CLOSED_FIELDS = ("code_cloture", "date_signature", "total_ht", "date_cloture")
"""What only a closed affaire has: its open versions leave them empty."""


def _cents(rng: np.random.Generator, n: int, missing: float) -> pd.Series:
    values = pd.Series(rng.integers(0, 5_000_000, n) / 100)
    return values.where(rng.random(n) >= missing)


def _insert_versions(
    con: Connection,
    ids: np.ndarray,
    steps: np.ndarray,
    visit_days: np.ndarray,
    visit_etapes: np.ndarray,
    closing: np.ndarray,
    closed: np.ndarray,
) -> None:
    """Each affaire's versions: one per visit (open, in that étape, at 9 h, 10 h, 11 h of its
    day; two visits in a row may share an étape), then, when closed, its row at 18 h of its
    closing day. The last version is the affaire's row, whose saves are dated by it."""
    visits = [
        pd.DataFrame(
            {
                "affaire_id": ids[steps > k],
                "valid_from": visit_days[steps > k, k].astype("datetime64[s]")
                + np.timedelta64(9 + k, "h"),
                "version": k + 1,
                "etape": np.array(ETAPES)[visit_etapes[steps > k, k]],
                "ouverte": True,
            }
        )
        for k in range(3)
    ]
    closings = pd.DataFrame(
        {
            "affaire_id": ids[closed],
            "valid_from": closing[closed].astype("datetime64[s]") + np.timedelta64(18, "h"),
            "version": steps[closed] + 1,
            "etape": None,
            "ouverte": False,
        }
    )
    cur = con.cursor()
    cur.register("generated", pd.concat([*visits, closings], ignore_index=True))
    columns = [f for f in AFFAIRE_FIELDS if f not in ("statut", "etape", *_CLOSED_FIELDS)]
    cur.execute(
        f"""
        INSERT INTO affaire_version (affaire_id, version, valid_from, written_by,
                                     {", ".join(columns)}, statut, etape,
                                     {", ".join(_CLOSED_FIELDS)})
        SELECT g.affaire_id, g.version, g.valid_from, 1,
               {", ".join(f"a.{c}" for c in columns)},
               CASE WHEN g.ouverte THEN 'En cours' ELSE a.statut END,
               coalesce(g.etape, a.etape),
               {", ".join(f"CASE WHEN g.ouverte THEN NULL ELSE a.{c} END" for c in _CLOSED_FIELDS)}
        FROM generated AS g
        JOIN affaire AS a ON a.id = g.affaire_id
        ORDER BY g.valid_from, g.affaire_id, g.version
        """
    )
    cur.unregister("generated")
    cur.close()
    con.execute(
        """
        UPDATE affaire
        SET updated_at = v.derniere, version = v.versions
        FROM (
            SELECT affaire_id, max(valid_from) AS derniere, count(*) AS versions
            FROM affaire_version
            GROUP BY affaire_id
        ) AS v
        WHERE v.affaire_id = affaire.id
        """
    )


def random_base(n: int = 50_000, seed: int = 7, path: str | None = None) -> Connection:
    """A base with n random affaires (every statut), versions of 1 to 3 étapes each plus the
    closing, 5 commerciaux, comptes with one contact each, and n / 2 actions: at path, else a
    fresh base of the running test's engine (tests.engines). The same seed gives the same rows,
    ids included, on both engines."""
    if path is None:
        path = engines.new_pg_url() if engines.current() == engines.POSTGRESQL else ":memory:"
    rng = np.random.default_rng(seed)
    con = open_base(path)
    users = [
        add_user(con, None, f"com{i}", Role.COMMERCIAL.value, nom=f"Commercial {i}")
        for i in range(5)
    ]
    con.execute(
        "INSERT INTO compte (nom, nom_cle) SELECT 'C' || i, 'c' || i"
        " FROM generate_series(0, 199) AS t (i) ORDER BY i"
    )
    con.execute("INSERT INTO contact (compte_id, nom) SELECT id, 'Contact' FROM compte ORDER BY id")
    comptes = con.execute(
        "SELECT id, (SELECT min(id) FROM contact k WHERE k.compte_id = c.id) FROM compte c"
        " ORDER BY id"
    ).df()
    pick = rng.integers(0, len(comptes), n)
    debut = START + rng.integers(0, 800, n).astype("timedelta64[D]")
    steps = rng.integers(1, 4, n)
    gaps = rng.integers(1, 60, (n, 3)).astype("timedelta64[D]")
    visit_days = debut[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1]
    visit_etapes = rng.integers(0, 4, (n, 3))
    statut = rng.choice(["En cours", "Gagnée", "Perdue", "Abandonnée"], n, p=[0.4, 0.25, 0.25, 0.1])
    last = visit_days[np.arange(n), steps - 1]
    closing = last + rng.integers(0, 90, n).astype("timedelta64[D]")
    closed = statut != "En cours"
    frame = pd.DataFrame(
        {
            "nom": [f"Affaire {i}" for i in range(n)],
            "date_debut": debut,
            "date_fin": pd.Series(debut + rng.integers(0, 400, n).astype("timedelta64[D]")).where(
                rng.random(n) > 0.15
            ),
            "compte_id": comptes.iloc[pick, 0].to_numpy(),
            "contact_id": pd.Series(comptes.iloc[pick, 1].to_numpy()).where(rng.random(n) > 0.3),
            "gestion_par": rng.choice(users, n),
            "statut": statut,
            "etape": np.array(ETAPES)[visit_etapes[np.arange(n), steps - 1]],
            "type": rng.choice(TYPES, n),
            "famille_article": pd.Series(rng.choice(FAMILLES, n)).where(rng.random(n) > 0.1),
            "ca_potentiel": _cents(rng, n, 0.1),
            "reussite": pd.Series(rng.integers(0, 101, n))
            .where(rng.random(n) > 0.05)
            .astype("Int64"),
            "ca_attendu": _cents(rng, n, 0.3),
            "code_cloture": pd.Series(rng.choice(CODES, n)).where(
                (statut == "Perdue") | ((statut == "Abandonnée") & (rng.random(n) > 0.5))
            ),
            "date_signature": pd.Series(closing).where(statut == "Gagnée"),
            "total_ht": _cents(rng, n, 0.0).where(statut == "Gagnée"),
            "date_cloture": pd.Series(closing).where(closed),
        }
    )
    _insert(con, "affaire", frame)
    ids = con.execute("SELECT id FROM affaire ORDER BY id").df()["id"].to_numpy()
    _insert_versions(con, ids, steps, visit_days, visit_etapes, closing, closed)
    m = n // 2
    action_day = START + rng.integers(0, 900, m).astype("timedelta64[D]")
    actions = pd.DataFrame(
        {
            "affaire_id": rng.choice(ids, m),
            "date_action": action_day,
            "fait": rng.random(m) > 0.4,
            "fait_le": pd.Series(
                action_day + rng.integers(0, 10, m).astype("timedelta64[D]")
            ).where(rng.random(m) > 0.5),
            "utilisateur_id": rng.choice(users, m),
        }
    )
    _insert(con, "action", actions.assign(type="Mail", objet="Objet"))
    return con


def _insert(con: Connection, table: str, frame: pd.DataFrame) -> None:
    """frame's rows into table, in the frame's order (so that ids follow it on both engines)."""
    cur = con.cursor()
    try:
        cur.register("generated", frame.assign(rang=np.arange(len(frame))))
        cur.execute(
            f"INSERT INTO {table} ({', '.join(frame.columns)}) "
            f"SELECT {', '.join(frame.columns)} FROM generated ORDER BY rang"
        )
        cur.unregister("generated")
    finally:
        cur.close()


def raw(con: Connection, table: str) -> pd.DataFrame:
    """Every row of a table as pandas, dates as datetime64."""
    return con.execute(f"SELECT * FROM {table}").df()


def day(value: dt.date) -> pd.Timestamp:
    return pd.Timestamp(value)
