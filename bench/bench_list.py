"""Server-side time of the Affaires screen's interactions on 1,000,000 affaires.

For each interaction (filter, search, sort, next page, open a record) it times the crm_data calls
the page makes in one run, the whole page run under AppTest, and the bare DuckDB query behind it,
in the same run, and prints the ratios. Run: `python -m bench.bench_list [--affaires N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_data import (
    actions,
    affaires,
    comptes,
    contacts,
    documents,
    history,
    projets,
    referentiels,
    users,
)
from crm_data.affaires_list import list_affaires, list_totals
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store import db

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 7
USERS = 20


def build(path: Path, n: int) -> None:
    """A base of n affaires over n/20 comptes, 2 contacts each, with history, actions,
    documents and projets, generated in SQL (every CHECK of the schema holds)."""
    con = db.open_base(path)
    n_comptes = max(10, n // 20)
    con.execute(
        """
        INSERT INTO utilisateur (id, login, nom, role)
        SELECT i, 'user' || i, 'Commercial ' || i, 'commercial'
        FROM range(2, $u + 1) AS t(i)
        """,
        {"u": USERS},
    )
    con.execute(
        """
        INSERT INTO compte (id, nom, nom_cle, ville, created_by, updated_by)
        SELECT i, 'Compte ' || i, 'compte ' || i,
               ['Paris', 'Lyon', 'Nantes', 'Lille', 'Bordeaux'][1 + i % 5], 1, 1
        FROM range(1, $c + 1) AS t(i)
        """,
        {"c": n_comptes},
    )
    con.execute(
        """
        INSERT INTO compte_cle (nom_cle, compte_id)
        SELECT nom_cle, id
        FROM compte
        """
    )
    con.execute(
        """
        INSERT INTO contact (id, compte_id, prenom, nom, created_by, updated_by)
        SELECT i, (i + 1) // 2, ['Julie', 'Marc', 'Léa', 'Paul'][1 + i % 4], 'Contact ' || i, 1, 1
        FROM range(1, 2 * $c + 1) AS t(i)
        """,
        {"c": n_comptes},
    )
    con.execute(
        """
        INSERT INTO affaire (id, nom, date_debut, date_fin, compte_id, contact_id, gestion_par,
                             statut, etape, type, famille_article, ca_potentiel, reussite,
                             ca_attendu, code_cloture, date_signature, total_ht, date_cloture,
                             created_by, updated_at, updated_by)
        SELECT i, 'Affaire ' || i, d, d + 30 + CAST(h % 120 AS INTEGER), c, 2 * c - h % 2,
               1 + h % $u, s,
               ['Qualification', 'Analyse des besoins', 'Proposition commerciale',
                'Négociation'][1 + h2 % 4],
               ['Nouveau', 'Récurrent', 'Mise à jour'][1 + h % 3],
               ['Logiciel', 'Matériel', 'Prestation', 'Formation', 'Maintenance'][1 + h2 % 5],
               CAST(1000 + h % 99000 AS DECIMAL(14, 2)), CAST(h2 % 101 AS INTEGER),
               CAST(500 + h % 50000 AS DECIMAL(14, 2)),
               CASE WHEN s = 'Perdue' THEN ['Prix', 'Concurrent', 'Pas de budget'][1 + h % 3] END,
               CASE WHEN s = 'Gagnée' THEN d + 45 END,
               CASE WHEN s = 'Gagnée' THEN CAST(900 + h % 90000 AS DECIMAL(14, 2)) END,
               CASE WHEN s = 'Gagnée' THEN d + 45 WHEN s <> 'En cours' THEN d + 60 END,
               1, TIMESTAMP '2020-01-01' + to_seconds(CAST(h % 180000000 AS BIGINT)), 1
        FROM (
            SELECT i, h, h2, d, 1 + h2 % $c AS c,
                   CASE WHEN h % 10 < 5 THEN 'En cours' WHEN h % 10 < 7 THEN 'Gagnée'
                        WHEN h % 10 < 9 THEN 'Perdue' ELSE 'Abandonnée' END AS s
            FROM (
                SELECT i, CAST(hash(i) % 1000000007 AS BIGINT) AS h,
                       CAST(hash(i * 7 + 1) % 1000000007 AS BIGINT) AS h2,
                       DATE '2020-01-01' + CAST(hash(i * 3) % 2400 AS INTEGER) AS d
                FROM range(1, $n + 1) AS t(i)
            )
        )
        """,
        {"n": n, "c": n_comptes, "u": USERS},
    )
    con.execute(
        """
        INSERT INTO affaire_historique (id, affaire_id, changed_at, changed_by, champ, ancien,
                                        nouveau)
        SELECT row_number() OVER (), a.id, a.created_at, 1, f.champ, NULL,
               CASE f.champ WHEN 'nom' THEN a.nom WHEN 'statut' THEN 'En cours'
                            WHEN 'etape' THEN 'Qualification' ELSE a.type END
        FROM affaire AS a
        CROSS JOIN (VALUES ('nom'), ('statut'), ('etape'), ('type')) AS f(champ)
        """
    )
    for table, sql in (
        (
            "action",
            """
            INSERT INTO action (id, affaire_id, type, date_action, objet, echeance, fait,
                                utilisateur_id)
            SELECT id, id, 'Relance', date_debut, 'Relancer', date_debut + 20, id % 3 = 0,
                   gestion_par
            FROM affaire
            WHERE id % 2 = 0
            """,
        ),
        (
            "document",
            """
            INSERT INTO document (id, affaire_id, type, numero, date_document, montant_ht, statut)
            SELECT id, id, 'Devis', 'D' || id, date_debut, ca_potentiel, 'Envoyé'
            FROM affaire
            WHERE id % 3 = 0
            """,
        ),
        (
            "projet",
            """
            INSERT INTO projet (id, affaire_id, nom, statut)
            SELECT id, id, 'Installation', 'À réaliser'
            FROM affaire
            WHERE statut = 'Gagnée'
              AND id % 5 = 0
            """,
        ),
    ):
        assert table
        con.execute(sql)
    con.execute("CHECKPOINT")
    con.close()


def median_ms(action: Callable[[], object]) -> float:
    action()
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def list_run(
    con: db.Connection, actor: Actor, filters: Filters, count: bool = True, **kw: object
) -> None:
    """The crm_data calls one run of the Affaires list makes (it counts only when the filters
    changed)."""
    users.list_users(con)
    referentiels.names(con, "etape", active_only=False)
    referentiels.names(con, "famille_article", active_only=False)
    if count:
        list_totals(con, actor, filters)
    list_affaires(con, actor, filters, **kw)  # type: ignore[arg-type]


def record_run(con: db.Connection, actor: Actor, affaire_id: int) -> None:
    """The crm_data calls one run of an opened Fiche affaire makes."""
    aff = affaires.get_affaire(con, actor, affaire_id)
    assert aff.compte_id is not None
    comptes.get_compte(con, aff.compte_id)
    contacts.contacts_of_compte(con, aff.compte_id)
    users.list_users(con)
    for name in ("etape", "famille_article", "code_cloture"):
        referentiels.names(con, name)
    documents.documents_of_affaire(con, actor, affaire_id)
    projets.projets_of_affaire(con, actor, affaire_id)
    users.list_users(con)
    actions.actions_of_affaire(con, actor, affaire_id)
    history.affaire_history(con, actor, affaire_id)


def bare(con: db.Connection, sql: str, params: list[object]) -> Callable[[], object]:
    def run() -> object:
        with db.read(con) as cur:
            return cur.execute(sql, params).fetchall()

    return run


BARE_PAGE = """
    SELECT *
    FROM affaire
    WHERE statut = ?
      AND etape = ?
    ORDER BY {order} DESC
    LIMIT 50
    OFFSET ?
"""
BARE_COUNT = """
    SELECT count(*), sum(ca_potentiel)
    FROM affaire
    WHERE statut = ?
      AND etape = ?
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--affaires", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="reuse or create the base at this path")
    parser.add_argument("--no-apptest", action="store_true")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.duckdb"
    if not path.exists():
        start = time.perf_counter()
        build(path, args.affaires)
        print(f"base of {args.affaires:,} affaires built in {time.perf_counter() - start:.1f} s")
    con = db.open_base(path)
    actor = users.local_admin(con)
    narrowed = Filters(statuts=["En cours"], etapes=["Négociation"])
    target = args.affaires // 2
    rows: list[tuple[str, float, float]] = []

    def both(sqls: list[tuple[str, list[object]]]) -> Callable[[], None]:
        runs = [bare(con, s, p) for s, p in sqls]
        return lambda: [r() for r in runs] and None

    page0 = (BARE_PAGE.format(order="updated_at"), ["En cours", "Négociation", 0])
    count = (BARE_COUNT, ["En cours", "Négociation"])
    rows.append(
        (
            "filter (statut + étape)",
            median_ms(lambda: list_run(con, actor, narrowed)),
            median_ms(both([count, page0])),
        )
    )
    rows.append(
        (
            "search (name contains)",
            median_ms(lambda: list_run(con, actor, Filters(search="affaire 4242"))),
            median_ms(
                both(
                    [
                        ("SELECT count(*) FROM affaire WHERE nom ILIKE ?", ["%affaire 4242%"]),
                        ("SELECT * FROM affaire WHERE nom ILIKE ? LIMIT 50", ["%affaire 4242%"]),
                    ]
                )
            ),
        )
    )
    rows.append(
        (
            "sort (CA potentiel)",
            median_ms(lambda: list_run(con, actor, narrowed, False, sort="ca_potentiel")),
            median_ms(both([(BARE_PAGE.format(order="ca_potentiel"), page0[1])])),
        )
    )
    rows.append(
        (
            "next page",
            median_ms(lambda: list_run(con, actor, narrowed, False, offset=50)),
            median_ms(both([(page0[0], ["En cours", "Négociation", 50])])),
        )
    )
    rows.append(
        (
            "unfiltered list",
            median_ms(lambda: list_run(con, actor, Filters())),
            median_ms(
                both(
                    [
                        ("SELECT count(*), sum(ca_potentiel) FROM affaire", []),
                        ("SELECT * FROM affaire ORDER BY updated_at DESC LIMIT 50", []),
                    ]
                )
            ),
        )
    )
    rows.append(
        (
            "open a record",
            median_ms(lambda: record_run(con, actor, target)),
            median_ms(bare(con, "SELECT * FROM affaire WHERE id = ?", [target])),
        )
    )
    before_after = compare_before(con, actor, narrowed)
    con.close()
    apptest = {} if args.no_apptest else apptest_times(path, target)
    print(
        f"\n{'interaction':<26}{'page calls ms':>14}{'AppTest run ms':>16}{'bare ms':>9}"
        f"{'ratio':>7}"
    )
    for name, page_ms, bare_ms in rows:
        full = apptest.get(name)
        full_text = f"{full:>16.1f}" if full is not None else f"{'':>16}"
        print(f"{name:<26}{page_ms:>14.1f}{full_text}{bare_ms:>9.1f}{page_ms / bare_ms:>7.1f}")
    print(f"\nmedian of {REPEAT} runs after one warm-up; ratio = page calls / bare query")
    print(f"\n{'before → after (same run)':<44}{'before ms':>10}{'after ms':>10}{'gain':>7}")
    for name, before_ms, after_ms in before_after:
        print(f"{name:<44}{before_ms:>10.1f}{after_ms:>10.1f}{before_ms / after_ms:>7.1f}")


JOINED_BEFORE_CUT = """
    SELECT a.id, a.nom, c.nom AS compte,
           nullif(trim(coalesce(ct.prenom, '') || ' ' || coalesce(ct.nom, '')), '') AS contact,
           u.nom AS gestion_par, a.statut, a.etape, a.type, a.famille_article,
           a.date_debut, a.date_fin, a.ca_potentiel, a.reussite, a.total_ht,
           a.date_signature, a.code_cloture, a.version
    FROM affaire AS a
    JOIN compte AS c ON c.id = a.compte_id
    LEFT JOIN contact AS ct ON ct.id = a.contact_id
    JOIN utilisateur AS u ON u.id = a.gestion_par
    LEFT JOIN etape AS e ON e.nom = a.etape
    WHERE list_contains(?, a.statut)
      AND list_contains(?, a.etape)
    ORDER BY a.updated_at DESC NULLS LAST, a.id DESC
    LIMIT 50
"""
SEARCH_JOINED = """
    SELECT count(*)
    FROM affaire AS a
    JOIN compte AS c ON c.id = a.compte_id
    LEFT JOIN contact AS ct ON ct.id = a.contact_id
    WHERE a.nom ILIKE ? ESCAPE '\\'
       OR c.nom ILIKE ? ESCAPE '\\'
       OR (coalesce(ct.prenom, '') || ' ' || coalesce(ct.nom, '')) ILIKE ? ESCAPE '\\'
"""


def compare_before(
    con: db.Connection, actor: Actor, narrowed: Filters
) -> list[tuple[str, float, float]]:
    """The queries this work replaced, timed beside their replacements in the same run."""

    def df(sql: str, params: list[object]) -> Callable[[], object]:
        def run() -> object:
            with db.read(con) as cur:
                return cur.execute(sql, params).df()

        return run

    term = "%affaire 4242%"
    return [
        (
            "list page: join, then cut → cut, then names",
            median_ms(df(JOINED_BEFORE_CUT, [narrowed.statuts, narrowed.etapes])),
            median_ms(lambda: list_affaires(con, actor, narrowed)),
        ),
        (
            "search count: joined ILIKE → semi-joins",
            median_ms(df(SEARCH_JOINED, [term, term, term])),
            median_ms(lambda: list_totals(con, actor, Filters(search="affaire 4242"))),
        ),
        (
            "étape names: with usage counts → list only",
            median_ms(lambda: referentiels.list_values(con, "etape", active_only=False)),
            median_ms(lambda: referentiels.names(con, "etape", active_only=False)),
        ),
    ]


def apptest_times(path: Path, target: int) -> dict[str, float]:
    """The whole page's run under AppTest (Streamlit's own overhead included)."""
    from streamlit.testing.v1 import AppTest

    os.environ["CRM_DB"] = str(path)
    dashboard = str(ROOT / "dashboard.py")
    at = AppTest.from_file(dashboard, default_timeout=120)
    at.run()
    out: dict[str, float] = {}

    def timed(change: Callable[[int], None]) -> float:
        samples = []
        for i in range(REPEAT + 1):
            change(i)
            start = time.perf_counter()
            at.run()
            samples.append((time.perf_counter() - start) * 1000)
            assert not at.exception, at.exception
        return statistics.median(samples[1:])

    etapes = ["Négociation", "Qualification"]

    def filter_change(i: int) -> None:
        at.multiselect(key="affaires_statuts").set_value(["En cours"])
        at.multiselect(key="affaires_etapes").set_value([etapes[i % 2]])

    def sort_change(i: int) -> None:
        at.selectbox(key="affaires_sort").set_value(["ca_potentiel", "nom"][i % 2])

    def page_change(i: int) -> None:
        at.session_state["affaires_page"] = i % 2 + 1

    def search_change(i: int) -> None:
        at.text_input(key="affaires_search").set_value(f"affaire 42{i}")

    def open_record(i: int) -> None:
        at.query_params["affaire"] = str(target + i)

    out["filter (statut + étape)"] = timed(filter_change)
    out["sort (CA potentiel)"] = timed(sort_change)
    out["next page"] = timed(page_change)
    out["search (name contains)"] = timed(search_change)
    out["open a record"] = timed(open_record)
    db.close_shared(path)
    return out


if __name__ == "__main__":
    main()
