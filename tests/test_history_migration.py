"""A base written by the code before versions (schema 3, field history) upgrades with nothing
lost: its Historique, shown before and after, is the same field by field.

The "before" runs the code of the last commit without versions (OLD_CODE, taken from git) in a
child process: it writes a schema-3 base through its own write path (saves, closing, reopening,
reassignment, a canonical import, a Maven import dated by its engage and close dates) and
prints each affaire's Historique as it showed it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from crm_data import history
from crm_data.model import AFFAIRE_FIELDS
from crm_data.store import integrity, schema
from crm_data.store.db import open_base
from crm_data.users import local_admin

OLD_CODE = "8eb1a1bb"
"""The last commit whose writes keep one history row per changed field (schema 4 there had no
fold yet, so the old base stops at schema 3)."""
REPO = Path(__file__).resolve().parent.parent

_WRITER = r"""
import datetime as dt, json, sys
import duckdb
from crm_data import affaires, comptes, contacts, history, users
from crm_data.imports.canonical import import_file
from crm_data.imports.mapped import import_mapped_file
from crm_data.mapping.store import load_mapping
from crm_data.store import schema

path, folder = sys.argv[1], sys.argv[2]
con = duckdb.connect(path)
schema.migrate(con, target=3)
admin = users.local_admin(con)
users.add_user(con, None, "claire", "commercial", "Claire Petit", "claire@exemple.fr")
users.add_user(con, None, "marc", "manager", "Marc Roux", "marc@exemple.fr")
claire, marc = users.get_actor(con, "claire"), users.get_actor(con, "marc")
acme = comptes.create_compte(con, admin, {"nom": "Acme"})
other = comptes.create_compte(con, admin, {"nom": "Bêta & Fils"})
durand = contacts.create_contact(con, admin, {"compte_id": acme, "nom": "Durand", "prenom": "Léa"})
first = affaires.create_affaire(con, claire, {
    "nom": "Parc <b>informatique</b>", "compte_id": acme, "contact_id": durand,
    "ca_potentiel": "45 000,50", "date_fin": "2031-03-31", "notes": "Première note",
})
def save(actor, affaire_id, **values):
    aff = affaires.get_affaire(con, actor, affaire_id)
    affaires.update_affaire(con, actor, affaire_id, values, aff.version)
save(claire, first, etape="Analyse des besoins")
save(claire, first, ca_potentiel="52000", etape="Proposition commerciale", notes=None)
save(admin, first, compte_id=other, contact_id=None)
save(claire, first, statut="Gagnée", total_ht="50000", date_signature="2031-02-01")
save(admin, first, statut="En cours")
lost = affaires.create_affaire(con, claire, {"nom": "Perdue", "compte_id": acme})
save(claire, lost, statut="Perdue", code_cloture="Prix")
affaires.reassign_affaires(con, marc, claire.id, marc.id, open_only=True)
silent = affaires.create_affaire(con, admin, {"nom": "Sans historique", "compte_id": acme})
con.execute("DELETE FROM affaire_historique WHERE affaire_id = ?", [silent])
import_file(con, admin, folder + "/canonical.csv")
import_mapped_file(con, admin, folder + "/pipeline.csv", load_mapping(con, "maven"))
ids = [i for (i,) in con.execute("SELECT id FROM affaire ORDER BY id").fetchall()]
shown = {}
for i in ids:
    frame = history.affaire_history(con, admin, i)
    shown[i] = [[str(r.changed_at), *(None if v is None or v != v else v
                 for v in (r.utilisateur, r.champ, r.ancien, r.nouveau))]
                for r in frame.itertuples()]
con.close()
print(json.dumps(shown))
"""

_CANONICAL = (
    "Nom;Date de début;Date fin;Compte;Contact;Gestion par;Statut;Etape;CA potentiel;"
    "Code clôture;Date de clôture\n"
    "Importée ouverte;2026-01-05;2026-06-30;Acme;Léa Durand;;En cours;Négociation;1 200,00;;\n"
    "Importée perdue;2025-11-02;;Gamma;;;Perdue;Qualification;;Concurrent;2026-01-10\n"
)
_PIPELINE = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    "W1,Anna Snelling,GTX Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
    "E1,Anna Snelling,GTX Basic,Cancity,Engaging,2016-11-02,,\n"
)


def _old_code(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to take the code before versions")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", OLD_CODE, "crm_data"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {OLD_CODE} not in this repository")
    root = tmp_path / "old"
    root.mkdir()
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter="data")
    return root


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[list[str]]]]:
    tmp_path = tmp_path_factory.mktemp("migration")
    old = _old_code(tmp_path)
    (tmp_path / "canonical.csv").write_text(_CANONICAL, encoding="utf-8")
    (tmp_path / "pipeline.csv").write_text(_PIPELINE, encoding="utf-8")
    base = tmp_path / "old.duckdb"
    done = subprocess.run(
        [sys.executable, "-c", _WRITER, str(base), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=old,
        env={"PYTHONPATH": str(old), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return base, json.loads(done.stdout)


def _shown(frame: object) -> list[list[str | None]]:
    return [
        [
            str(r.changed_at),
            *(
                None if v is None or v != v else v
                for v in (r.utilisateur, r.champ, r.ancien, r.nouveau)
            ),
        ]
        for r in frame.itertuples()  # type: ignore[attr-defined]
    ]


def _by_instant(rows: list[list[str | None]]) -> list[tuple[str | None, list[list[str | None]]]]:
    """Rows grouped by instant, newest first; within one instant the order of fields is the
    order rows were written in, which the old table kept and versions do not."""
    out: dict[str | None, list[list[str | None]]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return [(at, sorted(group, key=lambda r: str(r))) for at, group in out.items()]


def _relabelled(rows: list[list[str | None]]) -> list[list[str | None]]:
    """The old rows with today's screen labels: « Etape » is shown « Étape » since issue 13."""
    return [[*r[:2], "Étape" if r[2] == "Etape" else r[2], *r[3:]] for r in rows]


def test_the_old_base_is_written_at_schema_3(
    migrated: tuple[Path, dict[str, list[list[str]]]],
) -> None:
    _, before = migrated
    assert len(before) == 7
    assert sum(len(rows) for rows in before.values()) > 60


def test_every_affaire_shows_the_same_historique_after_the_fold(
    migrated: tuple[Path, dict[str, list[list[str]]]],
) -> None:
    base, before = migrated
    con = open_base(base)
    assert schema.current_version(con) == schema.SCHEMA_VERSION
    admin = local_admin(con)
    for affaire_id, old_rows in before.items():
        after = _shown(history.affaire_history(con, admin, int(affaire_id)))
        if old_rows:
            assert _by_instant(after) == _by_instant(_relabelled(old_rows)), affaire_id
        else:
            # No history at all: one version, its current state at its creation.
            assert {r[3] for r in after} == {None}
            assert len({r[0] for r in after}) == 1


def test_the_folded_base_is_sound_and_versions_end_on_each_row(
    migrated: tuple[Path, dict[str, list[list[str]]]],
) -> None:
    base, _ = migrated
    con = open_base(base)
    assert integrity.check(con) == []
    numbers = con.execute(
        """
        SELECT a.id, a.version, max(v.version), count(*)
        FROM affaire AS a
        JOIN affaire_version AS v ON v.affaire_id = a.id
        GROUP BY a.id, a.version
        ORDER BY a.id
        """
    ).fetchall()
    assert all(version == last for _, version, last, _ in numbers)
    # The first affaire: created, five saves, reassigned (seven writes, seven versions).
    assert numbers[0][1:] == (7, 7, 7)
    assert con.execute(
        "SELECT count(*) FROM affaire_historique WHERE champ IN ?", [list(AFFAIRE_FIELDS)]
    ).fetchone() == (0,)


def test_a_past_state_is_rebuilt_from_the_field_changes(
    migrated: tuple[Path, dict[str, list[list[str]]]],
) -> None:
    base, _ = migrated
    con = open_base(base)
    third = con.execute(
        """
        SELECT etape, ca_potentiel, notes, compte_id, statut
        FROM affaire_version
        WHERE affaire_id = 1
          AND version = 3
        """
    ).fetchone()
    assert third is not None
    assert (third[0], str(third[1]), third[2], third[4]) == (
        "Proposition commerciale",
        "52000.00",
        None,
        "En cours",
    )
    second = con.execute(
        "SELECT ca_potentiel, notes FROM affaire_version WHERE affaire_id = 1 AND version = 2"
    ).fetchone()
    assert second is not None
    assert (str(second[0]), second[1]) == ("45000.50", "Première note")
