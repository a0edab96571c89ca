"""PostgreSQL keeps each affaire version's neighbours (crm_data.store.pg_versions): after every
kind of write (saves by a manager and by a commercial, a reassignment, a deletion, an import
bringing a source's history, its re-import, a rename of an étape, the migration of an older
base), every version's valid_to is the next version's valid_from, and its etape_avant and
date_fin_avant the previous version's étape and date fin, as lead() and lag() recompute them
from scratch."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from crm_data import affaires, referentiels
from crm_data.imports.mapped import import_mapped_file
from crm_data.mapping.store import load_mapping
from crm_data.model import Role
from crm_data.store import db, pg_versions, schema
from tests.factories import admin, make_affaire, make_user

MAVEN = Path("/work/shared/data/maven_crm")


def wrong_ends(pg_con: db.Connection) -> int:
    """How many versions keep neighbours other than those recomputed from scratch."""
    row = pg_con.execute(
        """
        SELECT count(*)
        FROM (
            SELECT valid_to, etape_avant, date_fin_avant,
                   lead(valid_from) OVER w AS next_from,
                   lag(etape) OVER w AS previous_etape,
                   lag(date_fin) OVER w AS previous_date_fin
            FROM affaire_version
            WINDOW w AS (PARTITION BY affaire_id ORDER BY valid_from, version)
        ) AS v
        WHERE valid_to IS DISTINCT FROM next_from
           OR etape_avant IS DISTINCT FROM previous_etape
           OR date_fin_avant IS DISTINCT FROM previous_date_fin
        """
    ).fetchone()
    assert row is not None
    return int(row[0])


def ends(pg_con: db.Connection) -> int:
    row = pg_con.execute("SELECT count(valid_to) FROM affaire_version").fetchone()
    assert row is not None
    return int(row[0])


def edit(pg_con: db.Connection, actor: object, affaire_id: int, **values: object) -> None:
    current = affaires.get_affaire(pg_con, actor, affaire_id)  # type: ignore[arg-type]
    affaires.update_affaire(pg_con, actor, affaire_id, values, current.version)  # type: ignore[arg-type]


def test_saves_reassignments_and_deletions_keep_every_end(pg_con: db.Connection) -> None:
    manager = admin(pg_con)
    commercial = make_user(pg_con, Role.COMMERCIAL)
    other = make_user(pg_con, Role.COMMERCIAL)
    kept = make_affaire(pg_con, manager, nom="Gardée")
    mine = make_affaire(pg_con, commercial, nom="La mienne", gestion_par=commercial.id)
    gone = make_affaire(pg_con, manager, nom="Supprimée")
    etapes = [e.nom for e in referentiels.list_etapes(pg_con)]
    for n in range(3):
        edit(pg_con, manager, kept, nom=f"Gardée {n}", date_fin=dt.date(2027, 1, 10 - 3 * n))
        edit(pg_con, commercial, mine, nom=f"La mienne {n}", etape=etapes[n % len(etapes)])
        edit(pg_con, manager, gone, nom=f"Supprimée {n}")
    # Given to another commercial: its first owner's role no longer sees it.
    edit(pg_con, manager, mine, gestion_par=other.id)
    edit(pg_con, other, mine, nom="La sienne")
    current = affaires.get_affaire(pg_con, manager, gone)
    affaires.delete_affaire(pg_con, manager, gone, current.version)
    assert ends(pg_con) == 8  # 4 + 6 versions, the last of each open
    assert wrong_ends(pg_con) == 0


def test_an_import_with_history_then_its_reimport_and_a_rename_keep_every_end(
    pg_con: db.Connection, tmp_path: Path
) -> None:
    for name in ("sales_pipeline.csv", "accounts.csv", "products.csv", "sales_teams.csv"):
        shutil.copy(MAVEN / name, tmp_path / name)
    mapping = load_mapping(pg_con, "maven")
    report = import_mapped_file(pg_con, admin(pg_con), tmp_path / "sales_pipeline.csv", mapping)
    assert report.written and not report.errors
    assert ends(pg_con) > 1000
    assert wrong_ends(pg_con) == 0
    again = import_mapped_file(pg_con, admin(pg_con), tmp_path / "sales_pipeline.csv", mapping)
    assert not again.errors
    assert wrong_ends(pg_con) == 0
    used = {
        str(e) for (e,) in pg_con.execute("SELECT DISTINCT etape FROM affaire_version").fetchall()
    }
    etape = next(e for e in referentiels.list_etapes(pg_con) if e.nom in used)
    referentiels.save_value(
        pg_con,
        admin(pg_con),
        "etape",
        f"{etape.nom} (renommée)",
        old_nom=etape.nom,
        ordre=etape.ordre,
        reussite_defaut=etape.reussite_defaut,
    )
    assert wrong_ends(pg_con) == 0


def test_without_the_triggers_a_save_leaves_a_wrong_end(pg_con: db.Connection) -> None:
    """The control: the check above sees an end the base did not move."""
    affaire_id = make_affaire(pg_con)
    pg_con.execute("ALTER TABLE affaire_version DISABLE TRIGGER USER")
    edit(pg_con, admin(pg_con), affaire_id, nom="Sans fin tenue")
    assert wrong_ends(pg_con) == 2  # the first version's end, the second's étape before


def test_the_migration_gives_an_older_base_its_ends(pg_con: db.Connection) -> None:
    affaire_id = make_affaire(pg_con)
    for n in range(4):
        edit(pg_con, admin(pg_con), affaire_id, nom=f"Version {n}")
    # Back to the schema before the ends: no column, no trigger, no function, no index (the
    # column's own goes with it), no view of the reports.
    pg_con.execute("DROP VIEW affaire_reports")
    for event in ("insert", "update", "delete"):
        pg_con.execute(f"DROP TRIGGER affaire_version_neighbours_{event} ON affaire_version")
    pg_con.execute("DROP FUNCTION affaire_version_neighbours()")
    pg_con.execute("DROP INDEX affaire_deleted_idx")
    pg_con.execute("DROP INDEX affaire_version_from_idx")
    for column in pg_versions.DERIVED["affaire_version"]:
        pg_con.execute(f"ALTER TABLE affaire_version DROP COLUMN {column}")
    seventh = schema.MIGRATIONS.index(schema.MIGRATION_7) + 1
    pg_con.execute("DELETE FROM schema_version WHERE version >= ?", [seventh])
    assert schema.migrate(pg_con, target=seventh) == seventh
    assert ends(pg_con) == 4
    assert wrong_ends(pg_con) == 0
