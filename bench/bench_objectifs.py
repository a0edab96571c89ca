"""Benchmark of the objectifs at a million affaires and 50 commerciaux: A14 against its floor (one
hand-written DuckDB query giving the same figures, timed alternately in the same run), the
Pipe's coverage, and the Objectifs grid's full server run under AppTest (showing it, and saving
one cell per commercial) against the Affaires list's run in the same process.

    python -m bench.bench_objectifs [--affaires 1000000] [--db bench/out/objectifs.duckdb]

The base is built once with bulk SQL (50 commerciaux, random affaires over 2024-2026, objectifs
for 80 % of their months) and reused from --db.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm_data.analyses.objectifs import coverage, objectifs  # noqa: E402
from crm_data.filters import Filters  # noqa: E402
from crm_data.store import db  # noqa: E402
from crm_data.users import add_user, local_admin  # noqa: E402

TODAY = dt.date.today()
PERIOD = Filters(du=dt.date(TODAY.year, 1, 1), au=dt.date(TODAY.year, 12, 31), today=TODAY)
COMMERCIAUX = 50

A14_FLOOR = """
    WITH months AS (
        SELECT strftime(m, '%Y-%m') AS mois
        FROM range(date_trunc('month', CAST($du AS DATE)), CAST($au AS DATE) + 1,
                   INTERVAL 1 MONTH) AS t(m)
    ),
    s AS (
        SELECT gestion_par AS u, strftime(date_signature, '%Y-%m') AS mois,
               sum(total_ht) AS ca_signe
        FROM affaire
        WHERE statut = 'Gagnée' AND deleted_at IS NULL
          AND date_signature BETWEEN $du AND $au
        GROUP BY ALL
    ),
    p AS (
        SELECT gestion_par AS u, strftime(date_fin, '%Y-%m') AS mois,
               sum(coalesce(ca_potentiel, 0) * coalesce(reussite, 0) / 100) AS pipe
        FROM affaire
        WHERE statut = 'En cours' AND deleted_at IS NULL
          AND date_fin BETWEEN date_trunc('month', CAST($du AS DATE)) AND last_day($au)
        GROUP BY ALL
    ),
    o AS (
        SELECT utilisateur_id AS u, strftime(mois, '%Y-%m') AS mois, montant
        FROM objectif
        WHERE mois BETWEEN date_trunc('month', CAST($du AS DATE)) AND $au
    ),
    g AS (
        SELECT users.u, months.mois
        FROM (SELECT u FROM s UNION SELECT u FROM o) AS users, months
    )
    SELECT ut.nom AS gestion_par, g.mois, o.montant AS objectif,
           coalesce(s.ca_signe, 0) AS ca_signe,
           coalesce(s.ca_signe, 0) / o.montant AS realisation,
           sum(coalesce(o.montant, 0)) OVER w AS cumul_objectif,
           sum(coalesce(s.ca_signe, 0)) OVER w AS cumul_signe,
           CASE WHEN g.mois >= strftime($today, '%Y-%m')
                 AND o.montant - coalesce(s.ca_signe, 0) > 0
                THEN coalesce(p.pipe, 0) / (o.montant - coalesce(s.ca_signe, 0)) END AS couverture
    FROM g
    LEFT JOIN s USING (u, mois)
    LEFT JOIN o USING (u, mois)
    LEFT JOIN p USING (u, mois)
    JOIN utilisateur AS ut ON ut.id = g.u
    WINDOW w AS (PARTITION BY g.u ORDER BY g.mois)
    ORDER BY ut.nom, g.mois
"""
"""A14 as one query a person would write (the floor of bench_analyses too)."""


def build(path: Path, n: int) -> None:
    """50 commerciaux, 1,000 comptes, n affaires of every statut over 2024-2026 and objectifs."""
    con = db.open_base(path)
    for i in range(COMMERCIAUX):
        add_user(con, None, f"com{i:02d}", "commercial", nom=f"Commercial {i:02d}")
    con.execute(
        """
        INSERT INTO compte (nom, nom_cle)
        SELECT 'Compte ' || i, 'compte ' || i
        FROM range(1000) AS t(i)
        """
    )
    con.execute(
        """
        INSERT INTO affaire (nom, date_debut, date_fin, compte_id, gestion_par, statut, etape,
                             type, ca_potentiel, reussite, code_cloture, date_signature,
                             total_ht, date_cloture)
        WITH r AS (
            SELECT i,
                   i % 10 AS k,
                   DATE '2024-01-01' + CAST(hash(i, 'debut') % 1000 AS INTEGER) AS debut,
                   CAST(hash(i, 'duree') % 150 AS INTEGER) AS duree
            FROM range($n) AS t(i)
        )
        SELECT 'Affaire ' || i, debut, debut + duree,
               (SELECT min(id) FROM compte) + i % 1000,
               (SELECT min(id) FROM utilisateur WHERE role = 'commercial') + i % 50,
               CASE WHEN k < 4 THEN 'En cours' WHEN k < 7 THEN 'Gagnée'
                    WHEN k < 9 THEN 'Perdue' ELSE 'Abandonnée' END,
               'Qualification', 'Nouveau',
               CAST(hash(i, 'ca') % 10000000 AS DECIMAL(14, 2)) / 100,
               CAST(hash(i, 'r') % 101 AS INTEGER),
               CASE WHEN k IN (7, 8) THEN 'Prix' END,
               CASE WHEN k BETWEEN 4 AND 6 THEN debut + duree END,
               CASE WHEN k BETWEEN 4 AND 6
                    THEN CAST(hash(i, 'ht') % 8000000 AS DECIMAL(14, 2)) / 100 END,
               CASE WHEN k >= 4 THEN debut + duree END
        FROM r
        """,
        {"n": n},
    )
    con.execute(
        """
        INSERT INTO objectif (utilisateur_id, mois, montant)
        SELECT u.id, CAST(m AS DATE), CAST(hash(u.id, m) % 50000000 AS DECIMAL(14, 2)) / 100
        FROM utilisateur AS u, range(DATE '2024-01-01', DATE '2027-01-01', INTERVAL 1 MONTH) AS t(m)
        WHERE u.role = 'commercial'
          AND hash(u.id, m, 'o') % 10 < 8
        """
    )
    con.execute("CHECKPOINT")
    con.close()


def bench_a14(con: db.Connection) -> list[tuple[str, float, float]]:
    # bench_analyses takes its A14 floor from here: its helpers are imported when used.
    from bench.bench_analyses import best_of, paired

    actor = local_admin(con)
    values = {"du": PERIOD.du, "au": PERIOD.au, "today": PERIOD.today}

    def floor() -> object:
        with db.read(con) as cur:
            return cur.execute(A14_FLOOR, values).df()

    frame, floor_frame = objectifs(con, actor, PERIOD), floor()
    for column in ("ca_signe", "cumul_objectif"):
        got, expected = float(frame[column].sum()), float(floor_frame[column].sum())  # type: ignore[index]
        if abs(got - expected) > 0.01 or len(frame) != len(floor_frame):  # type: ignore[arg-type]
            raise AssertionError(f"A14 {column}: {got} != floor {expected}")
    took, floor_took = paired(lambda: objectifs(con, actor, PERIOD), floor)
    cover = best_of(lambda: coverage(con, actor, PERIOD))
    return [("objectifs (A14)", took, floor_took), ("couverture (Pipe)", cover, floor_took)]


def bench_grid(path: Path) -> list[tuple[str, float]]:
    """The Objectifs page shown, then saved with one cell typed per commercial, and the Affaires
    list (the default page) for reference, each a full server run of dashboard.py."""
    from streamlit.testing.v1 import AppTest

    from bench.bench_analyses import best_of

    os.environ["CRM_DB"] = str(path)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    affaires = best_of(at.run, runs=5)
    at.switch_page("app_pages/objectifs.py")
    shown = best_of(at.run, runs=5)
    key = f"objectifs_grid_{TODAY.year}"
    saves = []
    for attempt in range(3):
        amount = f"{1000 + attempt} 000,00"
        rows = {i: {f"{TODAY.year}-{TODAY.month:02d}": amount} for i in range(COMMERCIAUX)}
        at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
        button = next(b for b in at.button if b.label == "Enregistrer les objectifs")
        start = time.perf_counter()
        button.click().run()
        saves.append(time.perf_counter() - start)
        if at.exception or at.error:
            raise RuntimeError([e.value for e in (*at.exception, *at.error)])
    return [
        ("affaires (reference)", affaires),
        ("objectifs grid", shown),
        ("grid save", min(saves)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affaires", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "objectifs.duckdb")
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build(args.db, args.affaires)
        print(f"base built in {time.perf_counter() - start:.0f} s: {args.db}")
    con = db.shared_connection(args.db)
    with db.read(con) as cur:
        found = cur.execute(
            "SELECT (SELECT count(*) FROM affaire), (SELECT count(*) FROM objectif)"
        ).fetchone()
    assert found is not None
    counts = [f"{n:,}".replace(",", " ") for n in found]
    print(f"affaires: {counts[0]}; objectifs: {counts[1]}")
    print(f"\n{'analysis':<20}{'ms':>9}{'floor ms':>10}{'ratio':>8}")
    for name, took, floor in bench_a14(con):
        print(f"{name:<20}{took * 1000:>9.1f}{floor * 1000:>10.1f}{took / floor:>8.2f}")
    rows = bench_grid(args.db)
    reference = rows[0][1]
    print(f"\n{'screen (full run)':<22}{'ms':>9}{'× affaires':>12}")
    for name, took in rows:
        print(f"{name:<22}{took * 1000:>9.0f}{took / reference:>12.2f}")


if __name__ == "__main__":
    main()
