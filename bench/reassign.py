"""Bulk reassignment of a departed user's affaires, against a bare UPDATE of the same rows.

Run: python -m bench.reassign [N ...]   (default 100000 1000000 affaires, all of one user)
Prints, per size, the seconds of reassign_affaires (history rows, audit columns, version) and
its ratio to the obvious single `UPDATE affaire SET gestion_par` of the same rows (without
history), measured in the same run on a base built the same way.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_data import affaires, users
from crm_data.store.db import Connection, open_base, transaction


def fill(con: Connection, size: int) -> tuple[int, int]:
    """A base where one commercial manages `size` affaires; returns (their id, an heir's id)."""
    admin = users.local_admin(con)
    leaving = users.add_user(con, admin, "depart", "commercial", "Parti")
    heir = users.add_user(con, admin, "heritier", "commercial", "Héritier")
    with transaction(con) as cur:
        cur.execute(
            """
            INSERT INTO compte (nom, nom_cle)
            VALUES ('Acme', 'acme')
            """
        )
        cur.execute(
            """
            INSERT INTO affaire (nom, date_debut, compte_id, gestion_par, statut, etape, type,
                                 ca_potentiel, reussite, date_cloture)
            SELECT 'Affaire ' || i, DATE '2026-01-01' + CAST(i % 300 AS INTEGER),
                   (SELECT max(id) FROM compte), ?,
                   CASE WHEN i % 3 = 0 THEN 'Abandonnée' ELSE 'En cours' END,
                   'Qualification', 'Nouveau', i % 50000, 20,
                   CASE WHEN i % 3 = 0 THEN DATE '2026-06-30' END
            FROM range(?) AS t(i)
            """,
            [leaving, size],
        )
    return leaving, heir


def bare_update(con: Connection, leaving: int, heir: int) -> int:
    with transaction(con) as cur:
        row = cur.execute(
            """
            UPDATE affaire
            SET gestion_par = ?
            WHERE gestion_par = ?
            """,
            [heir, leaving],
        ).fetchone()
    return int(row[0]) if row else 0


def timed(size: int, reassign: Callable[[Connection, int, int], int]) -> float:
    """Seconds that reassign takes to move `size` affaires on a freshly filled base file."""
    with tempfile.TemporaryDirectory() as folder:
        con = open_base(Path(folder) / "bench.duckdb")
        leaving, heir = fill(con, size)
        start = time.perf_counter()
        moved = reassign(con, leaving, heir)
        elapsed = time.perf_counter() - start
        con.close()
    assert moved == size
    return elapsed


def main(sizes: list[int]) -> None:
    print(f"{'affaires':>10} {'reassign (s)':>13} {'bare UPDATE (s)':>16} {'ratio':>6}")
    for size in sizes:
        ours = timed(
            size,
            lambda con, a, b: affaires.reassign_affaires(con, users.local_admin(con), a, b),
        )
        bare = timed(size, bare_update)
        print(f"{size:>10} {ours:>13.3f} {bare:>16.3f} {ours / bare:>6.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
